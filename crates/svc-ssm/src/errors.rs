//! Parameter Store's errors, with AWS's codes (the model's error shapes) and messages.

use nimbus_core::ServiceError;
use nimbus_store::StoreError;

/// The crate's internal error: a [`ServiceError`], convertible from storage failures so `?`
/// works inside store transactions.
#[derive(Debug)]
pub struct Fail(pub ServiceError);

impl From<ServiceError> for Fail {
    fn from(e: ServiceError) -> Self {
        Fail(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail(ServiceError::internal(format!("Parameter Store storage failed: {e}")))
    }
}

impl From<Fail> for ServiceError {
    fn from(Fail(e): Fail) -> Self {
        e
    }
}

pub type Res<T> = Result<T, Fail>;

/// AWS's message for every malformed parameter name (it names only the "ssm" prefix, whatever
/// the rule broken).
pub const NAME_RULES: &str = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";

/// AWS's message for a malformed path (GetParametersByPath, Path filters).
pub const PATH_RULES: &str = "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \\\"aws\\\" or \\\"ssm\\\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";

pub fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::validation(message)
}

pub fn invalid_name() -> ServiceError {
    validation(NAME_RULES)
}

pub fn invalid_path() -> ServiceError {
    validation(PATH_RULES)
}

/// Writes to names under the reserved `aws` prefix.
pub fn reserved_name(name: &str) -> ServiceError {
    let shown = name.strip_prefix('/').unwrap_or(name);
    ServiceError::new("AccessDeniedException", format!("No access to reserved parameter name: {shown}."))
}

pub fn hierarchy_too_deep() -> ServiceError {
    ServiceError::new(
        "HierarchyLevelLimitExceededException",
        "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.",
    )
}

/// AWS sends ParameterNotFound without a message.
pub fn parameter_not_found() -> ServiceError {
    ServiceError::new("ParameterNotFound", "")
}

pub fn version_not_found(name: &str, version: i64) -> ServiceError {
    ServiceError::new(
        "ParameterVersionNotFound",
        format!("Systems Manager could not find version {version} of {name}. Verify the version and try again."),
    )
}

pub fn label_not_found(name: &str, label: &str) -> ServiceError {
    ServiceError::new(
        "ParameterVersionNotFound",
        format!("Systems Manager could not find label {label} of {name}. Verify the label and try again."),
    )
}

pub fn already_exists() -> ServiceError {
    ServiceError::new(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    )
}

/// PutParameter racing another update of the same parameter.
pub fn too_many_updates() -> ServiceError {
    ServiceError::new(
        "TooManyUpdates",
        "There are concurrent updates for the resource that you're trying to update. Please try again.",
    )
}

pub fn tags_with_overwrite() -> ServiceError {
    validation(
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
    )
}

pub fn max_versions(name: &str, oldest: i64) -> ServiceError {
    ServiceError::new(
        "ParameterMaxVersionLimitExceeded",
        format!(
            "You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again."
        ),
    )
}

pub fn standard_limit(limit: u64) -> ServiceError {
    ServiceError::new(
        "ParameterLimitExceeded",
        format!(
            "You have reached the maximum number of standard parameters for this AWS account and Region ({limit}). To add more parameters, either delete existing parameters or upgrade to the advanced-parameter tier (charges apply)."
        ),
    )
}

pub fn advanced_limit(limit: u64) -> ServiceError {
    ServiceError::new(
        "ParameterLimitExceeded",
        format!(
            "You have reached the maximum number of advanced parameters for this AWS account and Region ({limit}). To add more parameters, delete existing parameters."
        ),
    )
}

pub fn standard_value_too_long() -> ServiceError {
    validation(
        "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
    )
}

pub fn value_too_long(max: usize) -> ServiceError {
    validation(format!(
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to {max}"
    ))
}

pub fn value_empty() -> ServiceError {
    validation(
        "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    )
}

pub fn tier_downgrade() -> ServiceError {
    validation(
        "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.",
    )
}

pub fn policies_need_advanced() -> ServiceError {
    validation(
        "Parameter policies are supported only for advanced-tier parameters. To attach policies, set the tier of the parameter to Advanced or Intelligent-Tiering.",
    )
}

pub fn invalid_policy_type(policy_type: &str) -> ServiceError {
    ServiceError::new(
        "InvalidPolicyTypeException",
        format!(
            "The policy type {policy_type} isn't supported. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification."
        ),
    )
}

pub fn invalid_policy_attribute(detail: impl std::fmt::Display) -> ServiceError {
    ServiceError::new(
        "InvalidPolicyAttributeException",
        format!("A policy attribute or its value is invalid: {detail}"),
    )
}

pub fn incompatible_policies() -> ServiceError {
    ServiceError::new(
        "IncompatiblePolicyException",
        "There is a conflict in the policies specified for this parameter. You can't, for example, specify two Expiration policies for a parameter. Review your policies, and try again.",
    )
}

pub fn too_many_policies() -> ServiceError {
    ServiceError::new(
        "PoliciesLimitExceededException",
        "You specified more than the maximum number of allowed policies for the parameter. The maximum is 10.",
    )
}

pub fn invalid_allowed_pattern(detail: impl std::fmt::Display) -> ServiceError {
    ServiceError::new(
        "InvalidAllowedPatternException",
        format!("The request doesn't meet the regular expression requirement: {detail}"),
    )
}

pub fn pattern_mismatch(pattern: &str) -> ServiceError {
    ServiceError::new(
        "ParameterPatternMismatchException",
        format!("Parameter value, cannot be validated against allowedPattern: {pattern}"),
    )
}

pub fn label_limit() -> ServiceError {
    ServiceError::new(
        "ParameterVersionLabelLimitExceeded",
        "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
    )
}

pub fn too_many_tags(max: usize) -> ServiceError {
    ServiceError::new("TooManyTagsError", format!("A resource can have a maximum of {max} tags."))
}

pub fn invalid_resource_id() -> ServiceError {
    ServiceError::new(
        "InvalidResourceId",
        "The resource ID isn't valid. Verify that you entered the correct ID and try again.",
    )
}

pub fn invalid_next_token() -> ServiceError {
    ServiceError::new("InvalidNextToken", "The specified token isn't valid.")
}

pub fn invalid_filter_key(key: &str, valid: &[&str]) -> ServiceError {
    ServiceError::new(
        "InvalidFilterKey",
        format!("The following filter key is not valid: {key}. Valid filter keys include: [{}].", valid.join(", ")),
    )
}

pub fn invalid_filter_option(option: &str, valid: &[&str]) -> ServiceError {
    ServiceError::new(
        "InvalidFilterOption",
        format!("The following filter option is not valid: {option}. Valid options include: [{}].", valid.join(", ")),
    )
}

pub fn invalid_filter_value(value: &str, valid: &[&str]) -> ServiceError {
    ServiceError::new(
        "InvalidFilterValue",
        format!("The following filter value is not valid: {value}. Valid values include: [{}].", valid.join(", ")),
    )
}

pub fn missing_filter_values(key: &str) -> ServiceError {
    ServiceError::new("InvalidFilterValue", format!("The filter key {key} requires at least one value."))
}

pub fn duplicate_filter(key: &str) -> ServiceError {
    validation(format!(
        "The following filter is duplicated in the request: {key}. A request can contain only one occurrence of a specific filter."
    ))
}
