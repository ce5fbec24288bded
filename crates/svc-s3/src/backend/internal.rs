//! Objects written by other services (CloudTrail log files, through the event bus): the same PUT
//! path a client's request takes (default encryption, checksums, versioning, notifications), as
//! the bucket's owner and without an access check: the writing service decided it may write.

use bytes::Bytes;
use s3s::dto::{PutObjectInput, StreamingBlob};
use s3s::{S3, S3Request};

use super::S3Backend;
use crate::auth::Caller;
use crate::io::store_error;
use crate::records::{BUCKET_SCOPE, BucketRecord};

impl S3Backend {
    /// Whether a bucket of this name exists.
    pub fn bucket_exists(&self, bucket: &str) -> Result<bool, s3s::S3Error> {
        Ok(self.store.get::<BucketRecord>(BUCKET_SCOPE, bucket).map_err(store_error)?.is_some())
    }

    /// Writes `body` under `key` in `bucket` as the bucket's owner.
    pub async fn put_object_internal(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        content_type: &str,
        content_encoding: Option<&str>,
    ) -> Result<(), s3s::S3Error> {
        let owner = self
            .store
            .get::<BucketRecord>(BUCKET_SCOPE, bucket)
            .map_err(store_error)?
            .ok_or_else(|| super::no_such_bucket(bucket))?
            .owner_account;
        let length = i64::try_from(body.len()).unwrap_or(i64::MAX);
        let input = PutObjectInput::builder()
            .bucket(bucket.to_owned())
            .key(key.to_owned())
            .body(Some(StreamingBlob::from(s3s::Body::from(body))))
            .content_length(Some(length))
            .content_type(Some(content_type.to_owned()))
            .content_encoding(content_encoding.map(str::to_owned))
            .build()
            .map_err(|e| s3s::S3Error::with_message(s3s::S3ErrorCode::InternalError, e.to_string()))?;
        let mut extensions = http::Extensions::new();
        extensions.insert(Caller { account_id: owner, access_key_id: None, region: None, user_id: None });
        let uri = format!("/{bucket}/{}", percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC));
        let request = S3Request {
            input,
            method: http::Method::PUT,
            uri: uri.parse().unwrap_or_default(),
            headers: http::HeaderMap::new(),
            extensions,
            credentials: None,
            region: None,
            service: None,
            trailing_headers: None,
        };
        self.put_object(request).await.map(|_| ())
    }
}
