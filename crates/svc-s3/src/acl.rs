//! Access control lists: canned ACLs, `x-amz-grant-*` headers and `AccessControlPolicy` bodies
//! turned into stored grants, and what those grants permit.
//!
//! Grantees are kept as given (canonical user id, group URI, or e-mail address); an account's
//! canonical id is derived from its account id ([`canonical_id`]), so a grant to it can be
//! matched to a signed caller.

use s3s::dto::{AccessControlPolicy, Grant, Grantee as DtoGrantee, Permission, Type};
use s3s::{S3Error, S3ErrorCode, S3Result};
use serde::{Deserialize, Serialize};

pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

pub const FULL_CONTROL: &str = "FULL_CONTROL";
pub const READ: &str = "READ";
pub const WRITE: &str = "WRITE";
pub const READ_ACP: &str = "READ_ACP";
pub const WRITE_ACP: &str = "WRITE_ACP";
const PERMISSIONS: &[&str] = &[FULL_CONTROL, READ, WRITE, READ_ACP, WRITE_ACP];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    CanonicalUser { id: String },
    Group { uri: String },
    Email { address: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGrant {
    pub grantee: Grantee,
    pub permission: String,
}

/// An S3 canonical user id for an account (64 hex digits, stable).
pub fn canonical_id(account: &str) -> String {
    use md5::{Digest, Md5};
    let a = Md5::digest(format!("nimbus-canonical-user:{account}").as_bytes());
    let b = Md5::digest(format!("{account}:nimbus-canonical-user").as_bytes());
    format!("{}{}", hex::encode(a), hex::encode(b))
}

fn grant(grantee: Grantee, permission: &str) -> StoredGrant {
    StoredGrant {
        grantee,
        permission: permission.to_owned(),
    }
}

fn user(account: &str) -> Grantee {
    Grantee::CanonicalUser {
        id: canonical_id(account),
    }
}

fn group(uri: &str) -> Grantee {
    Grantee::Group {
        uri: uri.to_owned(),
    }
}

/// The grants of a canned ACL for a resource owned by `owner`, in a bucket owned by
/// `bucket_owner`.
pub fn canned(name: &str, owner: &str, bucket_owner: &str) -> S3Result<Vec<StoredGrant>> {
    let mut grants = vec![grant(user(owner), FULL_CONTROL)];
    match name {
        "private" => {}
        "public-read" => grants.push(grant(group(ALL_USERS), READ)),
        "public-read-write" => {
            grants.push(grant(group(ALL_USERS), READ));
            grants.push(grant(group(ALL_USERS), WRITE));
        }
        "authenticated-read" => grants.push(grant(group(AUTHENTICATED_USERS), READ)),
        "log-delivery-write" => {
            grants.push(grant(group(LOG_DELIVERY), WRITE));
            grants.push(grant(group(LOG_DELIVERY), READ_ACP));
        }
        "bucket-owner-read" => {
            if bucket_owner != owner {
                grants.push(grant(user(bucket_owner), READ));
            }
        }
        "bucket-owner-full-control" => {
            if bucket_owner != owner {
                grants.push(grant(user(bucket_owner), FULL_CONTROL));
            }
        }
        "aws-exec-read" => {}
        _ => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                format!("Invalid canned ACL: {name}"),
            ));
        }
    }
    Ok(grants)
}

/// The `x-amz-grant-*` headers of a request, by permission.
#[derive(Debug, Default, Clone)]
pub struct GrantHeaders<'a> {
    pub full_control: Option<&'a str>,
    pub read: Option<&'a str>,
    pub read_acp: Option<&'a str>,
    pub write: Option<&'a str>,
    pub write_acp: Option<&'a str>,
}

impl GrantHeaders<'_> {
    pub fn is_empty(&self) -> bool {
        self.full_control.is_none()
            && self.read.is_none()
            && self.read_acp.is_none()
            && self.write.is_none()
            && self.write_acp.is_none()
    }

    /// `id="…", uri="…", emailAddress="…"` lists, one per header.
    pub fn grants(&self) -> S3Result<Vec<StoredGrant>> {
        let mut out = Vec::new();
        for (value, permission) in [
            (self.full_control, FULL_CONTROL),
            (self.read, READ),
            (self.read_acp, READ_ACP),
            (self.write, WRITE),
            (self.write_acp, WRITE_ACP),
        ] {
            let Some(value) = value else { continue };
            for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (kind, v) = item.split_once('=').ok_or_else(invalid_grant_header)?;
                let v = v.trim().trim_matches('"').to_owned();
                let grantee = match kind.trim().to_ascii_lowercase().as_str() {
                    "id" => Grantee::CanonicalUser { id: v },
                    "uri" => Grantee::Group { uri: v },
                    "emailaddress" => Grantee::Email { address: v },
                    _ => return Err(invalid_grant_header()),
                };
                out.push(grant(grantee, permission));
            }
        }
        Ok(out)
    }
}

fn invalid_grant_header() -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, "Invalid grant header value")
}

fn malformed_acl() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedACLError,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// The grants of an `AccessControlPolicy` body.
pub fn from_policy(policy: &AccessControlPolicy) -> S3Result<Vec<StoredGrant>> {
    let mut out = Vec::new();
    for g in policy.grants.iter().flatten() {
        let permission = g
            .permission
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .ok_or_else(malformed_acl)?;
        if !PERMISSIONS.contains(&permission.as_str()) {
            return Err(malformed_acl());
        }
        let grantee = g.grantee.as_ref().ok_or_else(malformed_acl)?;
        let grantee = match grantee.type_.as_str() {
            Type::CANONICAL_USER => Grantee::CanonicalUser {
                id: grantee.id.clone().ok_or_else(malformed_acl)?,
            },
            Type::GROUP => Grantee::Group {
                uri: grantee.uri.clone().ok_or_else(malformed_acl)?,
            },
            Type::AMAZON_CUSTOMER_BY_EMAIL => Grantee::Email {
                address: grantee.email_address.clone().ok_or_else(malformed_acl)?,
            },
            _ => return Err(malformed_acl()),
        };
        out.push(StoredGrant {
            grantee,
            permission,
        });
    }
    Ok(out)
}

/// The wire form of stored grants. Canonical users of known accounts get their display name.
pub fn to_dto(grants: &[StoredGrant], display_name: impl Fn(&str) -> Option<String>) -> Vec<Grant> {
    grants
        .iter()
        .map(|g| {
            let grantee = match &g.grantee {
                Grantee::CanonicalUser { id } => DtoGrantee {
                    display_name: display_name(id),
                    email_address: None,
                    id: Some(id.clone()),
                    type_: Type::from_static(Type::CANONICAL_USER),
                    uri: None,
                },
                Grantee::Group { uri } => DtoGrantee {
                    display_name: None,
                    email_address: None,
                    id: None,
                    type_: Type::from_static(Type::GROUP),
                    uri: Some(uri.clone()),
                },
                Grantee::Email { address } => DtoGrantee {
                    display_name: None,
                    email_address: Some(address.clone()),
                    id: None,
                    type_: Type::from_static(Type::AMAZON_CUSTOMER_BY_EMAIL),
                    uri: None,
                },
            };
            Grant {
                grantee: Some(grantee),
                permission: Some(Permission::from(g.permission.clone())),
            }
        })
        .collect()
}

/// Whether the grants give anything to everyone or to every AWS user (S3's "public ACL").
pub fn is_public(grants: &[StoredGrant]) -> bool {
    grants.iter().any(|g| {
        matches!(&g.grantee, Grantee::Group { uri } if uri == ALL_USERS || uri == AUTHENTICATED_USERS)
    })
}

/// Whether the grants are exactly "the bucket owner has full control" (all Object Ownership
/// `BucketOwnerEnforced` accepts).
pub fn is_bucket_owner_full_control(grants: &[StoredGrant], bucket_owner: &str) -> bool {
    let owner_id = canonical_id(bucket_owner);
    !grants.is_empty()
        && grants.iter().all(|g| {
            g.permission == FULL_CONTROL
                && matches!(&g.grantee, Grantee::CanonicalUser { id } if *id == owner_id)
        })
}

/// Whether the grants give `permission` to a caller (`None`: anonymous), ignoring public grants
/// when `ignore_public` (Block Public Access's IgnorePublicAcls).
pub fn permits(
    grants: &[StoredGrant],
    caller: Option<&str>,
    permission: &str,
    ignore_public: bool,
) -> bool {
    let caller_id = caller.map(canonical_id);
    grants.iter().any(|g| {
        let grantee_matches = match &g.grantee {
            Grantee::Group { uri } if uri == ALL_USERS => !ignore_public,
            Grantee::Group { uri } if uri == AUTHENTICATED_USERS => {
                !ignore_public && caller.is_some()
            }
            Grantee::Group { .. } => false,
            Grantee::CanonicalUser { id } => caller_id.as_deref() == Some(id.as_str()),
            Grantee::Email { .. } => false,
        };
        grantee_matches && (g.permission == permission || g.permission == FULL_CONTROL)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_acls() {
        let public = canned("public-read", "111", "111").unwrap();
        assert!(is_public(&public));
        assert!(permits(&public, None, READ, false));
        assert!(!permits(&public, None, WRITE, false));
        assert!(!permits(&public, None, READ, true), "IgnorePublicAcls");
        assert!(
            permits(&public, Some("111"), WRITE, true),
            "the owner keeps full control"
        );

        let private = canned("private", "111", "111").unwrap();
        assert!(!is_public(&private));
        assert!(!permits(&private, Some("222"), READ, false));
        assert!(is_bucket_owner_full_control(&private, "111"));

        let auth = canned("authenticated-read", "111", "111").unwrap();
        assert!(permits(&auth, Some("222"), READ, false));
        assert!(!permits(&auth, None, READ, false));

        let bofc = canned("bucket-owner-full-control", "222", "111").unwrap();
        assert!(permits(&bofc, Some("111"), WRITE_ACP, false));
        assert!(
            !is_bucket_owner_full_control(&bofc, "111"),
            "the writer has a grant too"
        );
        assert!(canned("bogus", "1", "1").is_err());
    }

    #[test]
    fn grant_headers() {
        let h = GrantHeaders {
            read: Some(&format!("uri=\"{ALL_USERS}\", id=\"abc\"")),
            ..Default::default()
        }
        .grants()
        .unwrap();
        assert_eq!(h.len(), 2);
        assert!(is_public(&h));
        assert!(
            GrantHeaders {
                read: Some("nonsense"),
                ..Default::default()
            }
            .grants()
            .is_err()
        );
    }
}
