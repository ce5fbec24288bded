//! CloudTrail's errors: the model's error shapes, with messages in AWS's words where they are
//! documented and plain descriptions where they are not.

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
        Fail(ServiceError::internal(format!("CloudTrail storage failed: {e}")))
    }
}

pub type Res<T> = Result<T, Fail>;

fn fail(code: &'static str, message: impl Into<String>) -> Fail {
    Fail(ServiceError::new(code, message))
}

pub fn trail_not_found(name_or_arn: &str, account: &str, region: &str) -> Fail {
    let arn = if name_or_arn.starts_with("arn:") {
        name_or_arn.to_owned()
    } else {
        format!("arn:aws:cloudtrail:{region}:{account}:trail/{name_or_arn}")
    };
    fail("TrailNotFoundException", format!("Unknown trail: {arn} for the user: {account}"))
}

pub fn trail_exists(name: &str, account: &str, region: &str) -> Fail {
    fail("TrailAlreadyExistsException", format!("Trail {name} already exists for customer: {account} in region {region}"))
}

pub fn invalid_trail_name(message: &str) -> Fail {
    fail("InvalidTrailNameException", message)
}

pub fn invalid_arn(arn: &str) -> Fail {
    fail("CloudTrailARNInvalidException", format!("Invalid ARN: {arn}"))
}

pub fn too_many_trails(account: &str, region: &str) -> Fail {
    fail(
        "MaximumNumberOfTrailsExceededException",
        format!("User: {account} already has 5 trails in {region}."),
    )
}

pub fn bucket_missing(bucket: &str) -> Fail {
    fail("S3BucketDoesNotExistException", format!("S3 bucket {bucket} does not exist."))
}

pub fn invalid_bucket_name(bucket: &str) -> Fail {
    fail("InvalidS3BucketNameException", format!("Bucket name {bucket} is not valid."))
}

pub fn invalid_prefix() -> Fail {
    fail("InvalidS3PrefixException", "The S3 key prefix must be at most 200 characters.")
}

pub fn organizations_not_in_use() -> Fail {
    fail(
        "OrganizationsNotInUseException",
        "This account is not a member of an organization; organization trails need AWS Organizations, which Nimbus does not emulate.",
    )
}

pub fn invalid_selectors(message: impl Into<String>) -> Fail {
    fail("InvalidEventSelectorsException", message)
}

pub fn invalid_lookup(message: impl Into<String>) -> Fail {
    fail("InvalidLookupAttributesException", message)
}

pub fn invalid_time_range() -> Fail {
    fail("InvalidTimeRangeException", "Start time must not be after end time.")
}

pub fn invalid_max_results() -> Fail {
    fail("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
}

pub fn invalid_next_token() -> Fail {
    fail("InvalidNextTokenException", "Invalid NextToken.")
}

pub fn invalid_token() -> Fail {
    fail("InvalidTokenException", "Invalid NextToken.")
}

pub fn resource_not_found(arn: &str) -> Fail {
    fail("ResourceNotFoundException", format!("Resource not found: {arn}"))
}

pub fn invalid_tag(message: impl Into<String>) -> Fail {
    fail("InvalidTagParameterException", message)
}

pub fn too_many_tags() -> Fail {
    fail("TagsLimitExceededException", "A resource can have at most 50 tags.")
}

pub fn invalid_category() -> Fail {
    fail("InvalidEventCategoryException", "EventCategory can only be insight.")
}

pub fn invalid_combination(message: impl Into<String>) -> Fail {
    fail("InvalidParameterCombinationException", message)
}
