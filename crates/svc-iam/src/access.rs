//! What strict mode authorizes for an IAM call: `iam:<Operation>` on the resource the service
//! authorization reference names (the user, group, role, policy, instance profile or provider,
//! path included), with `iam:PolicyARN` / `iam:PermissionsBoundary` / `iam:ResourceTag/<key>`
//! condition keys where they apply. Resources IAM cannot name (list operations, the account's
//! settings) are `*`.

use nimbus_core::{Access, Document, RequestContext};
use nimbus_store::Store;

use crate::records::{GroupRecord, InstanceProfileRecord, RoleRecord, UserRecord, key};
use crate::util::{arn, opt, target_user_name};

/// The path an entity has (the input's for a Create, else the stored one, else `/`).
fn path_of<R: nimbus_store::Record>(
    store: &Store,
    ctx: &RequestContext,
    input: &Document,
    name: &str,
    path: impl Fn(&R) -> String,
) -> String {
    if ctx.operation.starts_with("Create")
        && let Some(p) = opt(input, "Path")
    {
        return p.to_owned();
    }
    store
        .get::<R>(&ctx.account_id, &key(name))
        .ok()
        .flatten()
        .map_or_else(|| "/".to_owned(), |r| path(&r))
}

/// Operations that act on the calling user when no `UserName` is given.
const ACTS_ON_CALLER: &[&str] = &[
    "GetUser",
    "CreateAccessKey",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "ListAccessKeys",
    "CreateLoginProfile",
    "GetLoginProfile",
    "DeleteLoginProfile",
];

pub(crate) fn accesses(
    store: &Store,
    ctx: &RequestContext,
    operation: &str,
    input: &Document,
) -> Vec<Access> {
    let account = &ctx.account_id;
    let resource = if let Some(name) = opt(input, "InstanceProfileName") {
        let path = path_of::<InstanceProfileRecord>(store, ctx, input, name, |r| r.path.clone());
        arn(account, "instance-profile", &path, name)
    } else if let Some(name) = opt(input, "GroupName").filter(|_| operation.contains("Group")) {
        let path = path_of::<GroupRecord>(store, ctx, input, name, |r| r.path.clone());
        arn(account, "group", &path, name)
    } else if let Some(name) = opt(input, "RoleName") {
        let path = path_of::<RoleRecord>(store, ctx, input, name, |r| r.path.clone());
        arn(account, "role", &path, name)
    } else if opt(input, "UserName").is_some() || ACTS_ON_CALLER.contains(&operation) {
        match target_user_name(ctx, input) {
            Some(name) => {
                let path = path_of::<UserRecord>(store, ctx, input, &name, |r| r.path.clone());
                arn(account, "user", &path, &name)
            }
            None => "*".to_owned(),
        }
    } else if let Some(policy_arn) = opt(input, "PolicyArn") {
        policy_arn.to_owned()
    } else if let Some(name) = opt(input, "PolicyName").filter(|_| operation == "CreatePolicy") {
        arn(account, "policy", opt(input, "Path").unwrap_or("/"), name)
    } else if let Some(provider) =
        opt(input, "OpenIDConnectProviderArn").or_else(|| opt(input, "SAMLProviderArn"))
    {
        provider.to_owned()
    } else if let Some(source) = opt(input, "PolicySourceArn") {
        source.to_owned()
    } else {
        "*".to_owned()
    };
    let mut access = Access::new(format!("iam:{operation}"), vec![resource]);
    if (operation.starts_with("Attach") || operation.starts_with("Detach"))
        && let Some(p) = opt(input, "PolicyArn")
    {
        access = access.with("iam:PolicyARN", vec![p.to_owned()]);
    }
    if let Some(b) = opt(input, "PermissionsBoundary") {
        access = access.with("iam:PermissionsBoundary", vec![b.to_owned()]);
    }
    vec![access]
}
