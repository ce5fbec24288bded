"""What the strict-mode tests share: policy documents, and IAM users with their own access keys
whose clients sign as them and whose SimulatePrincipalPolicy answers can be compared with what the
server enforces."""
import json
import uuid

ACCOUNT = "000000000000"
# The second account's root, declared with `--credential OTHER_ACCOUNT:OTHER_SECRET`.
OTHER_ACCOUNT = "111111111111"
OTHER_SECRET = "other-root-secret"
STRICT_ARGS = ("--auth", "strict", "--credential", f"{OTHER_ACCOUNT}:{OTHER_SECRET}")


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def client(server, service, **kw):
    """A client of `server`; S3 path-style, as Nimbus's tests address buckets."""
    if service == "s3":
        kw.setdefault("s3", {"addressing_style": "path"})
    return server.client(service, **kw)


class User:
    """An IAM user with inline policies (and optionally a permissions boundary) and its own
    access key, and clients signed with it."""

    def __init__(self, server, iam, policies=(), boundary=None):
        self.server = server
        self.iam = iam
        self.name = f"u-{uuid.uuid4().hex[:8]}"
        kwargs = {"PermissionsBoundary": boundary} if boundary else {}
        self.arn = iam.create_user(UserName=self.name, **kwargs)["User"]["Arn"]
        for i, policy in enumerate(policies):
            iam.put_user_policy(UserName=self.name, PolicyName=f"p{i}", PolicyDocument=policy)
        key = iam.create_access_key(UserName=self.name)["AccessKey"]
        self.key, self.secret = key["AccessKeyId"], key["SecretAccessKey"]

    def client(self, service, **kw):
        return client(self.server, service, access_key=self.key, secret_key=self.secret, **kw)

    def simulate(self, action, resource, context=None, resource_policy=None):
        """SimulatePrincipalPolicy's EvalDecision for one action on one resource."""
        kwargs = {"PolicySourceArn": self.arn, "ActionNames": [action], "ResourceArns": [resource]}
        if context:
            kwargs["ContextEntries"] = [
                {"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"} for k, v in context.items()
            ]
        if resource_policy:
            kwargs["ResourcePolicy"] = resource_policy
        return self.iam.simulate_principal_policy(**kwargs)["EvaluationResults"][0]["EvalDecision"]
