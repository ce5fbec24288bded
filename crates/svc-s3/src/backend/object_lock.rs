//! Object Lock: the bucket configuration (enabled at creation, default retention), per-version
//! retention and legal hold, and the rules deletes obey. Retention dates are judged on
//! Nimbus's clock.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::versions::{Found, parse_version_id};
use super::{S3Backend, TxError, access_denied, no_such_bucket, ts, ts_ms};
use crate::io::store_error;
use crate::records::{
    BUCKET_SCOPE, BucketRecord, ObjectLock, ObjectLockConfig, VersioningConfig, get_config,
    set_config,
};

const GOVERNANCE: &str = "GOVERNANCE";
const COMPLIANCE: &str = "COMPLIANCE";
const DAY_MS: i64 = 86_400_000;

/// Deleting (or shortening the retention of) a protected version.
pub(super) fn locked_error() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::AccessDenied,
        "Access Denied because object protected by object lock.",
    )
}

fn missing_lock_configuration() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        "Bucket is missing Object Lock Configuration",
    )
}

fn malformed() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::MalformedXML,
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

fn check_mode(mode: &str) -> S3Result<String> {
    match mode {
        GOVERNANCE | COMPLIANCE => Ok(mode.to_owned()),
        _ => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Unknown wormMode directive.",
        )),
    }
}

fn check_future(until_ms: i64, now_ms: i64) -> S3Result<()> {
    if until_ms <= now_ms {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "The retain until date must be in the future!",
        ));
    }
    Ok(())
}

/// Sets an output's `object_lock_*` fields from a version's lock.
macro_rules! set_lock_headers {
    ($out:expr, $lock:expr) => {{
        let lock: &$crate::records::ObjectLock = $lock;
        $out.object_lock_mode = lock
            .mode
            .clone()
            .map(s3s::dto::ObjectLockMode::from);
        $out.object_lock_retain_until_date = lock.retain_until_ms.map($crate::backend::ts);
        if lock.legal_hold {
            $out.object_lock_legal_hold_status =
                Some(s3s::dto::ObjectLockLegalHoldStatus::from("ON".to_owned()));
        }
    }};
}
pub(super) use set_lock_headers;

impl S3Backend {
    fn lock_config(&self, bucket: &BucketRecord) -> S3Result<Option<ObjectLockConfig>> {
        Ok(get_config::<ObjectLockConfig>(&self.store, &bucket.id)
            .map_err(store_error)?
            .filter(|c| c.enabled))
    }

    /// The lock a new object (or upload) gets: the request's headers, else the bucket's
    /// default retention. `has_integrity`: the request carried Content-MD5 or a checksum,
    /// which S3 requires with lock headers.
    pub(super) fn lock_for_write(
        &self,
        bucket: &BucketRecord,
        mode: Option<&str>,
        until: Option<&Timestamp>,
        legal_hold: Option<&str>,
        has_integrity: bool,
    ) -> S3Result<ObjectLock> {
        let asked = mode.is_some() || until.is_some() || legal_hold.is_some();
        let Some(config) = self.lock_config(bucket)? else {
            if asked {
                return Err(missing_lock_configuration());
            }
            return Ok(ObjectLock::default());
        };
        if asked && !has_integrity {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
            ));
        }
        let now = self.now_ms();
        let (mode, retain_until_ms) = match (mode, until) {
            (Some(m), Some(t)) => {
                let until = ts_ms(t);
                check_future(until, now)?;
                (Some(check_mode(m)?), Some(until))
            }
            (None, None) => match &config.default_mode {
                Some(m) => {
                    let days = config
                        .default_days
                        .map(i64::from)
                        .or(config.default_years.map(|y| i64::from(y) * 365))
                        .unwrap_or(0);
                    (Some(m.clone()), Some(now + days * DAY_MS))
                }
                None => (None, None),
            },
            _ => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
                ));
            }
        };
        let legal_hold = match legal_hold {
            None | Some("OFF") => false,
            Some("ON") => true,
            Some(_) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "Legal Hold must be either of 'ON' or 'OFF'",
                ));
            }
        };
        Ok(ObjectLock {
            mode,
            retain_until_ms,
            legal_hold,
        })
    }

    pub(super) fn op_put_object_lock_configuration(
        &self,
        req: S3Request<PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<PutObjectLockConfigurationOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let given = input.object_lock_configuration.ok_or_else(malformed)?;
        if given.object_lock_enabled.as_ref().map(|e| e.as_str()) != Some("Enabled") {
            return Err(malformed());
        }
        let (mut default_mode, mut default_days, mut default_years) = (None, None, None);
        if let Some(retention) = given.rule.and_then(|r| r.default_retention) {
            let mode = retention.mode.as_ref().ok_or_else(malformed)?;
            default_mode = Some(check_mode(mode.as_str())?);
            match (retention.days, retention.years) {
                (Some(_), Some(_)) | (None, None) => return Err(malformed()),
                (Some(d), None) if d > 0 => default_days = Some(d),
                (None, Some(y)) if y > 0 => default_years = Some(y),
                _ => {
                    return Err(S3Error::with_message(
                        S3ErrorCode::InvalidArgument,
                        "Default retention period must be a positive integer value",
                    ));
                }
            }
        }
        let config = ObjectLockConfig {
            enabled: true,
            default_mode,
            default_days,
            default_years,
        };
        let name = input.bucket;
        self.store.transaction(|txn| -> Result<(), TxError> {
            let bucket = txn
                .get::<BucketRecord>(BUCKET_SCOPE, &name)?
                .ok_or_else(|| no_such_bucket(&name))?;
            if bucket.owner_account != account {
                return Err(access_denied().into());
            }
            let versioned = get_config::<VersioningConfig>(txn, &bucket.id)?.is_some_and(|v| v.enabled());
            if !versioned {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidBucketState,
                    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
                )
                .into());
            }
            set_config(txn, &bucket.id, Some(&config))?;
            Ok(())
        })?;
        self.changed();
        Ok(S3Response::new(PutObjectLockConfigurationOutput::default()))
    }

    pub(super) fn op_get_object_lock_configuration(
        &self,
        req: S3Request<GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<GetObjectLockConfigurationOutput>> {
        let account = self.account(&req);
        let bucket = self.bucket_for(&req.input.bucket, &account)?;
        let config = self.lock_config(&bucket)?.ok_or_else(|| {
            S3Error::with_message(
                S3ErrorCode::ObjectLockConfigurationNotFoundError,
                "Object Lock configuration does not exist for this bucket",
            )
        })?;
        let rule = config.default_mode.map(|mode| ObjectLockRule {
            default_retention: Some(DefaultRetention {
                days: config.default_days,
                mode: Some(ObjectLockRetentionMode::from(mode)),
                years: config.default_years,
            }),
        });
        Ok(S3Response::new(GetObjectLockConfigurationOutput {
            object_lock_configuration: Some(ObjectLockConfiguration {
                object_lock_enabled: Some(ObjectLockEnabled::from("Enabled".to_owned())),
                rule,
            }),
        }))
    }

    pub(super) fn op_put_object_retention(
        &self,
        req: S3Request<PutObjectRetentionInput>,
    ) -> S3Result<S3Response<PutObjectRetentionOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        self.lock_config(&bucket)?.ok_or_else(missing_lock_configuration)?;
        let version = parse_version_id(input.version_id.as_deref())?;
        let bypass = input.bypass_governance_retention.unwrap_or(false);
        let now = self.now_ms();
        let retention = input.retention.unwrap_or_default();
        let (mode, until) = match (retention.mode, retention.retain_until_date) {
            (Some(m), Some(t)) => {
                let until = ts_ms(&t);
                check_future(until, now)?;
                (Some(check_mode(m.as_str())?), Some(until))
            }
            (None, None) => (None, None),
            _ => return Err(malformed()),
        };
        self.update_object(&bucket, &input.key, version, |obj| {
            let old = &obj.lock;
            let active = old.retain_until_ms.is_some_and(|t| t > now);
            let weakens = mode != old.mode || until.unwrap_or(0) < old.retain_until_ms.unwrap_or(0);
            if active && weakens {
                let compliance = old.mode.as_deref() == Some(COMPLIANCE);
                if compliance || !bypass {
                    return Err(locked_error());
                }
            }
            obj.lock.mode = mode;
            obj.lock.retain_until_ms = until;
            Ok(())
        })?;
        Ok(S3Response::new(PutObjectRetentionOutput::default()))
    }

    pub(super) fn op_get_object_retention(
        &self,
        req: S3Request<GetObjectRetentionInput>,
    ) -> S3Result<S3Response<GetObjectRetentionOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        self.lock_config(&bucket)?.ok_or_else(missing_lock_configuration)?;
        let lock = self.version_lock(&bucket, &input.key, input.version_id.as_deref())?;
        let (Some(mode), Some(until)) = (lock.mode, lock.retain_until_ms) else {
            return Err(no_object_lock());
        };
        Ok(S3Response::new(GetObjectRetentionOutput {
            retention: Some(ObjectLockRetention {
                mode: Some(ObjectLockRetentionMode::from(mode)),
                retain_until_date: Some(ts(until)),
            }),
        }))
    }

    pub(super) fn op_put_object_legal_hold(
        &self,
        req: S3Request<PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<PutObjectLegalHoldOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        self.lock_config(&bucket)?.ok_or_else(missing_lock_configuration)?;
        let version = parse_version_id(input.version_id.as_deref())?;
        let on = match input
            .legal_hold
            .and_then(|h| h.status)
            .as_ref()
            .map(|s| s.as_str())
        {
            Some("ON") => true,
            Some("OFF") => false,
            _ => return Err(malformed()),
        };
        self.update_object(&bucket, &input.key, version, |obj| {
            obj.lock.legal_hold = on;
            Ok(())
        })?;
        Ok(S3Response::new(PutObjectLegalHoldOutput::default()))
    }

    pub(super) fn op_get_object_legal_hold(
        &self,
        req: S3Request<GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<GetObjectLegalHoldOutput>> {
        let account = self.account(&req);
        let input = req.input;
        let bucket = self.bucket_for(&input.bucket, &account)?;
        self.lock_config(&bucket)?.ok_or_else(missing_lock_configuration)?;
        let lock = self.version_lock(&bucket, &input.key, input.version_id.as_deref())?;
        let status = if lock.legal_hold { "ON" } else { "OFF" };
        Ok(S3Response::new(GetObjectLegalHoldOutput {
            legal_hold: Some(ObjectLockLegalHold {
                status: Some(ObjectLockLegalHoldStatus::from(status.to_owned())),
            }),
        }))
    }

    fn version_lock(&self, bucket: &BucketRecord, key: &str, version_id: Option<&str>) -> S3Result<ObjectLock> {
        let version = parse_version_id(version_id)?;
        let obj = super::versions::object_version(&self.store, &bucket.id, key, version)?;
        Ok(obj.lock)
    }
}

fn no_object_lock() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::NoSuchObjectLockConfiguration,
        "The specified object does not have a ObjectLock configuration",
    )
}

/// Whether the version `find_version` found is protected from deletion at `now_ms` (the
/// lifecycle sweeper never removes such versions).
pub(super) fn protected(found: Option<&Found>, now_ms: i64) -> bool {
    found
        .and_then(Found::lock)
        .is_some_and(|l| l.protects(now_ms, false))
}
