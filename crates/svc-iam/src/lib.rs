//! AWS Identity and Access Management.
//!
//! IAM is global: everything lives in the store under the account's id as scope (see
//! [`records`]), with ARNs `arn:aws:iam::<account>:<type><path><name>`. Access keys are
//! registered with the server's [`CredentialRegistry`] the moment they are created, so requests
//! signed with them verify at once; deactivating one marks it inactive there, deleting it
//! removes it.
//!
//! [`Iam::directory`] is IAM's side of strict mode: the server and STS ask it for a principal's
//! policies, a role's trust policy and managed policies. Answers are kept parsed in memory and
//! dropped on every IAM write (see [`directory`]).
//!
//! The simulator (`SimulatePrincipalPolicy`, `SimulateCustomPolicy`) resolves policies through
//! the same code as the directory and evaluates with `nimbus_policy::evaluate`, so it decides
//! exactly as enforcement does.
//!
//! Operations of the model not listed in [`OPERATIONS`] answer `NotImplemented`: MFA devices,
//! SSH keys, signing and server certificates, service-specific credentials, credential and
//! access-advisor reports, delegation requests, organizations features.

mod access;
mod access_keys;
mod account;
mod aws_managed;
pub mod directory;
mod errors;
mod groups;
mod instance_profiles;
mod paging;
mod policies;
mod providers;
pub mod records;
mod roles;
mod simulate;
mod tags;
mod users;
mod util;

use std::sync::Arc;

use nimbus_core::{Clock, CredentialRegistry, Document, RequestContext, Service, ServiceError};
use nimbus_policy::Directory;
use nimbus_store::{Record, Store, Txn};

use errors::Res;
use records::PathNamed;

const OPERATIONS: &[&str] = &[
    // users
    "CreateUser",
    "GetUser",
    "UpdateUser",
    "DeleteUser",
    "ListUsers",
    "TagUser",
    "UntagUser",
    "ListUserTags",
    "CreateLoginProfile",
    "GetLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    // groups
    "CreateGroup",
    "GetGroup",
    "UpdateGroup",
    "DeleteGroup",
    "ListGroups",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "ListGroupsForUser",
    // roles
    "CreateRole",
    "GetRole",
    "UpdateRole",
    "UpdateRoleDescription",
    "UpdateAssumeRolePolicy",
    "DeleteRole",
    "ListRoles",
    "TagRole",
    "UntagRole",
    "ListRoleTags",
    "CreateServiceLinkedRole",
    "DeleteServiceLinkedRole",
    "GetServiceLinkedRoleDeletionStatus",
    // inline policies
    "PutUserPolicy",
    "GetUserPolicy",
    "DeleteUserPolicy",
    "ListUserPolicies",
    "PutGroupPolicy",
    "GetGroupPolicy",
    "DeleteGroupPolicy",
    "ListGroupPolicies",
    "PutRolePolicy",
    "GetRolePolicy",
    "DeleteRolePolicy",
    "ListRolePolicies",
    // managed policies
    "CreatePolicy",
    "GetPolicy",
    "DeletePolicy",
    "ListPolicies",
    "CreatePolicyVersion",
    "GetPolicyVersion",
    "ListPolicyVersions",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "AttachUserPolicy",
    "AttachGroupPolicy",
    "AttachRolePolicy",
    "DetachUserPolicy",
    "DetachGroupPolicy",
    "DetachRolePolicy",
    "ListAttachedUserPolicies",
    "ListAttachedGroupPolicies",
    "ListAttachedRolePolicies",
    "ListEntitiesForPolicy",
    "TagPolicy",
    "UntagPolicy",
    "ListPolicyTags",
    "PutUserPermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    // access keys
    "CreateAccessKey",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "ListAccessKeys",
    "GetAccessKeyLastUsed",
    // instance profiles
    "CreateInstanceProfile",
    "GetInstanceProfile",
    "DeleteInstanceProfile",
    "ListInstanceProfiles",
    "AddRoleToInstanceProfile",
    "RemoveRoleFromInstanceProfile",
    "ListInstanceProfilesForRole",
    "TagInstanceProfile",
    "UntagInstanceProfile",
    "ListInstanceProfileTags",
    // identity providers
    "CreateOpenIDConnectProvider",
    "GetOpenIDConnectProvider",
    "ListOpenIDConnectProviders",
    "DeleteOpenIDConnectProvider",
    "UpdateOpenIDConnectProviderThumbprint",
    "AddClientIDToOpenIDConnectProvider",
    "RemoveClientIDFromOpenIDConnectProvider",
    "TagOpenIDConnectProvider",
    "UntagOpenIDConnectProvider",
    "ListOpenIDConnectProviderTags",
    "CreateSAMLProvider",
    "GetSAMLProvider",
    "ListSAMLProviders",
    "DeleteSAMLProvider",
    "UpdateSAMLProvider",
    "TagSAMLProvider",
    "UntagSAMLProvider",
    "ListSAMLProviderTags",
    // account
    "CreateAccountAlias",
    "DeleteAccountAlias",
    "ListAccountAliases",
    "UpdateAccountPasswordPolicy",
    "GetAccountPasswordPolicy",
    "DeleteAccountPasswordPolicy",
    "GetAccountSummary",
    "GetAccountAuthorizationDetails",
    // simulator
    "SimulatePrincipalPolicy",
    "SimulateCustomPolicy",
    "GetContextKeysForPrincipalPolicy",
    "GetContextKeysForCustomPolicy",
];

/// AWS IAM over a [`Store`], dates from a [`Clock`], keys registered with the server.
pub struct Iam {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub store: Store,
    pub clock: Clock,
    pub credentials: Arc<dyn CredentialRegistry>,
    pub cache: directory::Cache,
}

impl Iam {
    pub fn new(store: Store, clock: Clock, credentials: Arc<dyn CredentialRegistry>) -> Self {
        Iam {
            inner: Arc::new(Inner {
                store,
                clock,
                credentials,
                cache: directory::Cache::default(),
            }),
        }
    }

    /// IAM as strict mode and STS see it: principals' policies, roles' trust, managed policies.
    pub fn directory(&self) -> Arc<dyn Directory> {
        Arc::new(directory::IamDirectory(self.inner.clone()))
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    fn now(&self) -> i64 {
        self.inner.clock.now_millis()
    }

    /// Runs `f` as one store transaction in the account's scope, then drops every cached
    /// directory answer (a write may change any principal's policies).
    fn write<T>(&self, ctx: &RequestContext, f: impl FnOnce(&Txn, &str) -> Res<T>) -> Res<T> {
        let result = self.inner.store.transaction(|txn| f(txn, &ctx.account_id));
        self.inner.cache.invalidate();
        result
    }

    /// Reads one entity with `load`, lets `change` edit it and writes it back under the key of
    /// its name, in one transaction ([`Iam::write`]).
    fn update_entity<R: Record + PathNamed, T>(
        &self,
        ctx: &RequestContext,
        load: impl FnOnce(&Txn, &str) -> Res<R>,
        change: impl FnOnce(&mut R) -> Res<T>,
    ) -> Res<T> {
        self.write(ctx, |t, account| {
            let mut entity = load(t, account)?;
            let out = change(&mut entity)?;
            t.put(account, &records::key(entity.name()), &entity)?;
            Ok(out)
        })
    }
}

#[async_trait::async_trait]
impl Service for Iam {
    fn model_name(&self) -> &'static str {
        "iam"
    }

    fn operations(&self) -> &'static [&'static str] {
        OPERATIONS
    }

    fn access(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: &Document,
    ) -> Vec<nimbus_core::Access> {
        access::accesses(&self.inner.store, ctx, operation, input)
    }

    async fn call(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Document,
    ) -> Result<Document, ServiceError> {
        let i = &input;
        let result = match operation {
            "CreateUser" => self.create_user(ctx, i),
            "GetUser" => self.get_user(ctx, i),
            "UpdateUser" => self.update_user(ctx, i),
            "DeleteUser" => self.delete_user(ctx, i),
            "ListUsers" => self.list_users(ctx, i),
            "TagUser" => self.tag_user(ctx, i),
            "UntagUser" => self.untag_user(ctx, i),
            "ListUserTags" => self.list_user_tags(ctx, i),
            "CreateLoginProfile" => self.create_login_profile(ctx, i),
            "GetLoginProfile" => self.get_login_profile(ctx, i),
            "UpdateLoginProfile" => self.update_login_profile(ctx, i),
            "DeleteLoginProfile" => self.delete_login_profile(ctx, i),
            "CreateGroup" => self.create_group(ctx, i),
            "GetGroup" => self.get_group(ctx, i),
            "UpdateGroup" => self.update_group(ctx, i),
            "DeleteGroup" => self.delete_group(ctx, i),
            "ListGroups" => self.list_groups(ctx, i),
            "AddUserToGroup" => self.add_user_to_group(ctx, i),
            "RemoveUserFromGroup" => self.remove_user_from_group(ctx, i),
            "ListGroupsForUser" => self.list_groups_for_user(ctx, i),
            "CreateRole" => self.create_role(ctx, i),
            "GetRole" => self.get_role(ctx, i),
            "UpdateRole" => self.update_role(ctx, i),
            "UpdateRoleDescription" => self.update_role_description(ctx, i),
            "UpdateAssumeRolePolicy" => self.update_assume_role_policy(ctx, i),
            "DeleteRole" => self.delete_role(ctx, i),
            "ListRoles" => self.list_roles(ctx, i),
            "TagRole" => self.tag_role(ctx, i),
            "UntagRole" => self.untag_role(ctx, i),
            "ListRoleTags" => self.list_role_tags(ctx, i),
            "CreateServiceLinkedRole" => self.create_service_linked_role(ctx, i),
            "DeleteServiceLinkedRole" => self.delete_service_linked_role(ctx, i),
            "GetServiceLinkedRoleDeletionStatus" => {
                self.get_service_linked_role_deletion_status(ctx, i)
            }
            "PutUserPolicy" => self.put_inline(ctx, i, policies::Owner::User),
            "GetUserPolicy" => self.get_inline(ctx, i, policies::Owner::User),
            "DeleteUserPolicy" => self.delete_inline(ctx, i, policies::Owner::User),
            "ListUserPolicies" => self.list_inline(ctx, i, policies::Owner::User),
            "PutGroupPolicy" => self.put_inline(ctx, i, policies::Owner::Group),
            "GetGroupPolicy" => self.get_inline(ctx, i, policies::Owner::Group),
            "DeleteGroupPolicy" => self.delete_inline(ctx, i, policies::Owner::Group),
            "ListGroupPolicies" => self.list_inline(ctx, i, policies::Owner::Group),
            "PutRolePolicy" => self.put_inline(ctx, i, policies::Owner::Role),
            "GetRolePolicy" => self.get_inline(ctx, i, policies::Owner::Role),
            "DeleteRolePolicy" => self.delete_inline(ctx, i, policies::Owner::Role),
            "ListRolePolicies" => self.list_inline(ctx, i, policies::Owner::Role),
            "CreatePolicy" => self.create_policy(ctx, i),
            "GetPolicy" => self.get_policy(ctx, i),
            "DeletePolicy" => self.delete_policy(ctx, i),
            "ListPolicies" => self.list_policies(ctx, i),
            "CreatePolicyVersion" => self.create_policy_version(ctx, i),
            "GetPolicyVersion" => self.get_policy_version(ctx, i),
            "ListPolicyVersions" => self.list_policy_versions(ctx, i),
            "DeletePolicyVersion" => self.delete_policy_version(ctx, i),
            "SetDefaultPolicyVersion" => self.set_default_policy_version(ctx, i),
            "AttachUserPolicy" => self.attach(ctx, i, policies::Owner::User, true),
            "AttachGroupPolicy" => self.attach(ctx, i, policies::Owner::Group, true),
            "AttachRolePolicy" => self.attach(ctx, i, policies::Owner::Role, true),
            "DetachUserPolicy" => self.attach(ctx, i, policies::Owner::User, false),
            "DetachGroupPolicy" => self.attach(ctx, i, policies::Owner::Group, false),
            "DetachRolePolicy" => self.attach(ctx, i, policies::Owner::Role, false),
            "ListAttachedUserPolicies" => self.list_attached(ctx, i, policies::Owner::User),
            "ListAttachedGroupPolicies" => self.list_attached(ctx, i, policies::Owner::Group),
            "ListAttachedRolePolicies" => self.list_attached(ctx, i, policies::Owner::Role),
            "ListEntitiesForPolicy" => self.list_entities_for_policy(ctx, i),
            "TagPolicy" => self.tag_policy(ctx, i, true),
            "UntagPolicy" => self.tag_policy(ctx, i, false),
            "ListPolicyTags" => self.list_policy_tags(ctx, i),
            "PutUserPermissionsBoundary" => self.boundary(ctx, i, policies::Owner::User, true),
            "DeleteUserPermissionsBoundary" => self.boundary(ctx, i, policies::Owner::User, false),
            "PutRolePermissionsBoundary" => self.boundary(ctx, i, policies::Owner::Role, true),
            "DeleteRolePermissionsBoundary" => self.boundary(ctx, i, policies::Owner::Role, false),
            "CreateAccessKey" => self.create_access_key(ctx, i),
            "UpdateAccessKey" => self.update_access_key(ctx, i),
            "DeleteAccessKey" => self.delete_access_key(ctx, i),
            "ListAccessKeys" => self.list_access_keys(ctx, i),
            "GetAccessKeyLastUsed" => self.get_access_key_last_used(ctx, i),
            "CreateInstanceProfile" => self.create_instance_profile(ctx, i),
            "GetInstanceProfile" => self.get_instance_profile(ctx, i),
            "DeleteInstanceProfile" => self.delete_instance_profile(ctx, i),
            "ListInstanceProfiles" => self.list_instance_profiles(ctx, i),
            "AddRoleToInstanceProfile" => self.role_in_instance_profile(ctx, i, true),
            "RemoveRoleFromInstanceProfile" => self.role_in_instance_profile(ctx, i, false),
            "ListInstanceProfilesForRole" => self.list_instance_profiles_for_role(ctx, i),
            "TagInstanceProfile" => self.tag_instance_profile(ctx, i, true),
            "UntagInstanceProfile" => self.tag_instance_profile(ctx, i, false),
            "ListInstanceProfileTags" => self.list_instance_profile_tags(ctx, i),
            "CreateOpenIDConnectProvider" => self.create_oidc(ctx, i),
            "GetOpenIDConnectProvider" => self.get_oidc(ctx, i),
            "ListOpenIDConnectProviders" => self.list_oidc(ctx),
            "DeleteOpenIDConnectProvider" => self.delete_oidc(ctx, i),
            "UpdateOpenIDConnectProviderThumbprint" => self.update_oidc_thumbprints(ctx, i),
            "AddClientIDToOpenIDConnectProvider" => self.oidc_client_id(ctx, i, true),
            "RemoveClientIDFromOpenIDConnectProvider" => self.oidc_client_id(ctx, i, false),
            "TagOpenIDConnectProvider" => self.tag_oidc(ctx, i, true),
            "UntagOpenIDConnectProvider" => self.tag_oidc(ctx, i, false),
            "ListOpenIDConnectProviderTags" => self.list_oidc_tags(ctx, i),
            "CreateSAMLProvider" => self.create_saml(ctx, i),
            "GetSAMLProvider" => self.get_saml(ctx, i),
            "ListSAMLProviders" => self.list_saml(ctx),
            "DeleteSAMLProvider" => self.delete_saml(ctx, i),
            "UpdateSAMLProvider" => self.update_saml(ctx, i),
            "TagSAMLProvider" => self.tag_saml(ctx, i, true),
            "UntagSAMLProvider" => self.tag_saml(ctx, i, false),
            "ListSAMLProviderTags" => self.list_saml_tags(ctx, i),
            "CreateAccountAlias" => self.create_account_alias(ctx, i),
            "DeleteAccountAlias" => self.delete_account_alias(ctx, i),
            "ListAccountAliases" => self.list_account_aliases(ctx),
            "UpdateAccountPasswordPolicy" => self.update_password_policy(ctx, i),
            "GetAccountPasswordPolicy" => self.get_password_policy(ctx),
            "DeleteAccountPasswordPolicy" => self.delete_password_policy(ctx),
            "GetAccountSummary" => self.get_account_summary(ctx),
            "GetAccountAuthorizationDetails" => self.get_account_authorization_details(ctx, i),
            "SimulatePrincipalPolicy" => self.simulate_principal_policy(ctx, i),
            "SimulateCustomPolicy" => self.simulate_custom_policy(ctx, i),
            "GetContextKeysForPrincipalPolicy" => self.context_keys_for_principal(ctx, i),
            "GetContextKeysForCustomPolicy" => self.context_keys_for_custom(i),
            other => return Err(ServiceError::not_implemented("IAM", other)),
        };
        result.map_err(|failure| *failure.0)
    }
}

#[cfg(test)]
mod tests;
