//! IAM's errors (codes from the model, AWS's messages) and the input checks IAM makes that the
//! model's constraints do not (name and path patterns).

use nimbus_core::ServiceError;
use nimbus_store::StoreError;

/// An error on its way out of a store transaction.
#[derive(Debug)]
pub struct Failure(pub Box<ServiceError>);

pub type Res<T> = Result<T, Failure>;

impl From<ServiceError> for Failure {
    fn from(e: ServiceError) -> Self {
        Failure(Box::new(e))
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure(Box::new(ServiceError::new(
            "ServiceFailure",
            format!("storage failed: {e}"),
        )))
    }
}

pub fn no_such(message: impl Into<String>) -> Failure {
    ServiceError::new("NoSuchEntity", message).into()
}

pub fn exists(message: impl Into<String>) -> Failure {
    ServiceError::new("EntityAlreadyExists", message).into()
}

pub fn conflict(message: impl Into<String>) -> Failure {
    ServiceError::new("DeleteConflict", message).into()
}

pub fn limit(message: impl Into<String>) -> Failure {
    ServiceError::new("LimitExceeded", message).into()
}

pub fn invalid(message: impl Into<String>) -> Failure {
    ServiceError::new("InvalidInput", message).into()
}

pub fn malformed(message: impl Into<String>) -> Failure {
    ServiceError::new("MalformedPolicyDocument", message).into()
}

pub fn validation(message: impl Into<String>) -> Failure {
    ServiceError::new("ValidationError", message).into()
}

pub fn no_user(name: &str) -> Failure {
    no_such(format!("The user with name {name} cannot be found."))
}

pub fn no_group(name: &str) -> Failure {
    no_such(format!("The group with name {name} cannot be found."))
}

pub fn no_role(name: &str) -> Failure {
    no_such(format!("The role with name {name} cannot be found."))
}

pub fn no_policy(arn: &str) -> Failure {
    no_such(format!("Policy {arn} was not found."))
}

pub fn no_instance_profile(name: &str) -> Failure {
    no_such(format!("Instance Profile {name} cannot be found."))
}

/// `1 validation error detected: Value '<v>' at '<member>' failed to satisfy constraint: ...`
fn pattern_error(value: &str, member: &str, pattern: &str) -> Failure {
    validation(format!(
        "1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}"
    ))
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// User, group, role, policy and instance profile names: `[\w+=,.@-]+` (lengths are checked
/// by the codec from the model).
pub fn check_name(name: &str, member: &str) -> Res<()> {
    if name.is_empty() || !name.chars().all(name_char) {
        return Err(pattern_error(name, member, "[\\w+=,.@-]+"));
    }
    Ok(())
}

/// Paths: `/` or `/segment/.../` of printable ASCII.
pub fn check_path(path: &str, member: &str) -> Res<()> {
    let printable = path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if !(path == "/"
        || (path.len() >= 2 && path.starts_with('/') && path.ends_with('/') && printable))
    {
        return Err(pattern_error(
            path,
            member,
            "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    if path.contains("//") {
        return Err(pattern_error(
            path,
            member,
            "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(())
}

/// Path prefixes: `/` followed by printable ASCII.
pub fn check_path_prefix(prefix: &str, member: &str) -> Res<()> {
    if !prefix.starts_with('/') || !prefix.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c)) {
        return Err(pattern_error(prefix, member, "\\u002F[\\u0021-\\u007F]*"));
    }
    Ok(())
}
