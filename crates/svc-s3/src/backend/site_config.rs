//! CORS and website configurations: validated as S3 does, stored in their own records
//! (`bucket_config.rs`); served by `cors.rs` and `website.rs`.

use s3s::dto::*;
use s3s::{S3Error, S3ErrorCode, S3Request, S3Response, S3Result};

use super::S3Backend;
use crate::bucket_config::{
    CorsConfig, CorsRuleConfig, RedirectAll, RoutingRuleConfig, WebsiteConfig, get_config,
    set_config,
};
use crate::io::store_error;

const CORS_METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD"];
const MAX_CORS_RULES: usize = 100;

fn invalid_request(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, message.into())
}

fn invalid_argument(message: impl Into<String>) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message.into())
}

/// Checks a CORS configuration as S3 does.
fn cors_rules(config: &CORSConfiguration) -> S3Result<Vec<CorsRuleConfig>> {
    if config.cors_rules.len() > MAX_CORS_RULES {
        return Err(invalid_request(
            "The number of CORS rules should not exceed allowed limit of 100 rules.",
        ));
    }
    if config.cors_rules.is_empty() {
        return Err(S3Error::with_message(
            S3ErrorCode::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    let mut rules = Vec::new();
    for rule in &config.cors_rules {
        for method in &rule.allowed_methods {
            if !CORS_METHODS.contains(&method.as_str()) {
                return Err(invalid_request(format!(
                    "Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                )));
            }
        }
        for origin in &rule.allowed_origins {
            if origin.matches('*').count() > 1 {
                return Err(invalid_request(format!(
                    "AllowedOrigin \"{origin}\" can not have more than one wildcard."
                )));
            }
        }
        let headers = rule.allowed_headers.clone().unwrap_or_default();
        for header in &headers {
            if header.matches('*').count() > 1 {
                return Err(invalid_request(format!(
                    "AllowedHeader \"{header}\" can not have more than one wildcard."
                )));
            }
        }
        if rule.allowed_methods.is_empty() || rule.allowed_origins.is_empty() {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        rules.push(CorsRuleConfig {
            id: rule.id.clone(),
            allowed_origins: rule.allowed_origins.clone(),
            allowed_methods: rule.allowed_methods.clone(),
            allowed_headers: headers,
            expose_headers: rule.expose_headers.clone().unwrap_or_default(),
            max_age_seconds: rule.max_age_seconds,
        });
    }
    Ok(rules)
}

/// Checks a website configuration as S3 does.
fn website(config: &WebsiteConfiguration) -> S3Result<WebsiteConfig> {
    if let Some(redirect) = &config.redirect_all_requests_to {
        if config.index_document.is_some()
            || config.error_document.is_some()
            || config.routing_rules.is_some()
        {
            return Err(invalid_request(
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
            ));
        }
        check_protocol(redirect.protocol.as_ref())?;
        return Ok(WebsiteConfig {
            redirect_all: Some(RedirectAll {
                host_name: redirect.host_name.clone(),
                protocol: redirect.protocol.as_ref().map(|p| p.as_str().to_owned()),
            }),
            ..Default::default()
        });
    }
    let Some(index) = &config.index_document else {
        return Err(invalid_argument(
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
        ));
    };
    if index.suffix.is_empty() || index.suffix.contains('/') {
        return Err(invalid_argument(
            "The IndexDocument Suffix is not well formed",
        ));
    }
    let mut routing_rules = Vec::new();
    for rule in config.routing_rules.iter().flatten() {
        let r = &rule.redirect;
        if r.replace_key_with.is_some() && r.replace_key_prefix_with.is_some() {
            return Err(invalid_request(
                "You can only define ReplaceKeyPrefix or ReplaceKey but not both.",
            ));
        }
        check_protocol(r.protocol.as_ref())?;
        if let Some(code) = &r.http_redirect_code
            && !matches!(code.parse::<u16>(), Ok(300..=399))
        {
            return Err(invalid_argument(format!(
                "The provided HTTP redirect code ({code}) is not valid. Valid codes are 3XX except 300."
            )));
        }
        let condition = rule.condition.as_ref();
        routing_rules.push(RoutingRuleConfig {
            key_prefix_equals: condition.and_then(|c| c.key_prefix_equals.clone()),
            http_error_code_returned_equals: condition
                .and_then(|c| c.http_error_code_returned_equals.clone()),
            protocol: r.protocol.as_ref().map(|p| p.as_str().to_owned()),
            host_name: r.host_name.clone(),
            replace_key_prefix_with: r.replace_key_prefix_with.clone(),
            replace_key_with: r.replace_key_with.clone(),
            http_redirect_code: r.http_redirect_code.clone(),
        });
    }
    Ok(WebsiteConfig {
        index_suffix: Some(index.suffix.clone()),
        error_key: config.error_document.as_ref().map(|e| e.key.clone()),
        redirect_all: None,
        routing_rules,
    })
}

fn check_protocol(protocol: Option<&Protocol>) -> S3Result<()> {
    match protocol.map(Protocol::as_str) {
        None | Some("http" | "https") => Ok(()),
        Some(p) => Err(invalid_argument(format!("Invalid protocol: {p}"))),
    }
}

impl S3Backend {
    pub(super) fn op_put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let config = CorsConfig {
            rules: cors_rules(&req.input.cors_configuration)?,
        };
        set_config(&self.store, &bucket.id, Some(&config)).map_err(store_error)?;
        Ok(S3Response::new(PutBucketCorsOutput {}))
    }

    pub(super) fn op_get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let config = get_config::<CorsConfig>(&self.store, &bucket.id)
            .map_err(store_error)?
            .ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::NoSuchCORSConfiguration,
                    "The CORS configuration does not exist",
                )
            })?;
        let rules = config
            .rules
            .into_iter()
            .map(|r| CORSRule {
                allowed_headers: (!r.allowed_headers.is_empty()).then_some(r.allowed_headers),
                allowed_methods: r.allowed_methods,
                allowed_origins: r.allowed_origins,
                expose_headers: (!r.expose_headers.is_empty()).then_some(r.expose_headers),
                id: r.id,
                max_age_seconds: r.max_age_seconds,
            })
            .collect();
        Ok(S3Response::new(GetBucketCorsOutput {
            cors_rules: Some(rules),
        }))
    }

    pub(super) fn op_delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        set_config::<CorsConfig>(&self.store, &bucket.id, None).map_err(store_error)?;
        Ok(S3Response::new(DeleteBucketCorsOutput {}))
    }

    pub(super) fn op_put_bucket_website(
        &self,
        req: S3Request<PutBucketWebsiteInput>,
    ) -> S3Result<S3Response<PutBucketWebsiteOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let config = website(&req.input.website_configuration)?;
        set_config(&self.store, &bucket.id, Some(&config)).map_err(store_error)?;
        Ok(S3Response::new(PutBucketWebsiteOutput {}))
    }

    pub(super) fn op_get_bucket_website(
        &self,
        req: S3Request<GetBucketWebsiteInput>,
    ) -> S3Result<S3Response<GetBucketWebsiteOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        let c = get_config::<WebsiteConfig>(&self.store, &bucket.id)
            .map_err(store_error)?
            .ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::NoSuchWebsiteConfiguration,
                    "The specified bucket does not have a website configuration",
                )
            })?;
        let routing_rules = (!c.routing_rules.is_empty()).then(|| {
            c.routing_rules
                .into_iter()
                .map(|r| RoutingRule {
                    condition: (r.key_prefix_equals.is_some()
                        || r.http_error_code_returned_equals.is_some())
                    .then_some(Condition {
                        http_error_code_returned_equals: r.http_error_code_returned_equals,
                        key_prefix_equals: r.key_prefix_equals,
                    }),
                    redirect: Redirect {
                        host_name: r.host_name,
                        http_redirect_code: r.http_redirect_code,
                        protocol: r.protocol.map(Protocol::from),
                        replace_key_prefix_with: r.replace_key_prefix_with,
                        replace_key_with: r.replace_key_with,
                    },
                })
                .collect()
        });
        Ok(S3Response::new(GetBucketWebsiteOutput {
            error_document: c.error_key.map(|key| ErrorDocument { key }),
            index_document: c.index_suffix.map(|suffix| IndexDocument { suffix }),
            redirect_all_requests_to: c.redirect_all.map(|r| RedirectAllRequestsTo {
                host_name: r.host_name,
                protocol: r.protocol.map(Protocol::from),
            }),
            routing_rules,
        }))
    }

    pub(super) fn op_delete_bucket_website(
        &self,
        req: S3Request<DeleteBucketWebsiteInput>,
    ) -> S3Result<S3Response<DeleteBucketWebsiteOutput>> {
        let bucket = self.bucket_for(&req.input.bucket, &self.account(&req))?;
        set_config::<WebsiteConfig>(&self.store, &bucket.id, None).map_err(store_error)?;
        Ok(S3Response::new(DeleteBucketWebsiteOutput {}))
    }
}
