//! Virtual-hosted-style addressing: which Host headers name a bucket.
//!
//! Recognized, each with or without a port:
//! `<bucket>.s3.localhost`, `<bucket>.s3.<region>.localhost`,
//! `<bucket>.s3.localhost.localstack.cloud`, `<bucket>.s3.<region>.localhost.localstack.cloud`,
//! `<bucket>.s3.amazonaws.com`, `<bucket>.s3.<region>.amazonaws.com`.
//! Any other host (`127.0.0.1:4566`, `localhost:4566`, `s3.localhost`...) is path-style.

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// Base domains under which `<bucket>.s3[.<region>].` addresses a bucket.
const BASE_DOMAINS: &[&str] = &["localhost.localstack.cloud", "localhost", "amazonaws.com"];

#[derive(Debug, Default, Clone, Copy)]
pub struct NimbusHost;

/// The bucket and region a Host header addresses, if it is virtual-hosted style.
pub fn parse_virtual_host(host: &str) -> Option<(String, Option<String>)> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    for base in BASE_DOMAINS {
        let Some(rest) = host.strip_suffix(base).and_then(|r| r.strip_suffix('.')) else {
            continue;
        };
        // rest = "<bucket>.s3" or "<bucket>.s3.<region>"
        if let Some(bucket) = rest.strip_suffix(".s3") {
            return (!bucket.is_empty()).then(|| (bucket.to_owned(), None));
        }
        if let Some((before, region)) = rest.rsplit_once('.')
            && is_region(region)
            && let Some(bucket) = before.strip_suffix(".s3")
            && !bucket.is_empty()
        {
            return Some((bucket.to_owned(), Some(region.to_owned())));
        }
        return None;
    }
    None
}

/// The bucket a website endpoint Host names: `<bucket>.s3-website.localhost`,
/// `<bucket>.s3-website.localhost.localstack.cloud`, `<bucket>.s3-website-<region>.amazonaws.com`,
/// `<bucket>.s3-website.<region>.amazonaws.com`, each with or without a port.
pub fn parse_website_host(host: &str) -> Option<String> {
    let host = strip_port(host).trim_end_matches('.').to_ascii_lowercase();
    let bucket = if let Some(rest) = host
        .strip_suffix(".s3-website.localhost")
        .or_else(|| host.strip_suffix(".s3-website.localhost.localstack.cloud"))
    {
        rest
    } else {
        let rest = host.strip_suffix(".amazonaws.com")?;
        let (before, last) = rest.rsplit_once('.')?;
        if let Some(region) = last.strip_prefix("s3-website-") {
            is_region(region).then_some(before)?
        } else if is_region(last) {
            before.strip_suffix(".s3-website")?
        } else {
            return None;
        }
    };
    (!bucket.is_empty()).then(|| bucket.to_owned())
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `ap-southeast-4`...
fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

impl S3Host for NimbusHost {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match parse_virtual_host(host) {
            Some((bucket, Some(region))) => VirtualHost::new(host)
                .with_bucket(bucket)
                .with_region(region),
            Some((bucket, None)) => VirtualHost::new(host).with_bucket(bucket),
            None => VirtualHost::new(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vh(host: &str) -> Option<(String, Option<String>)> {
        parse_virtual_host(host)
    }

    #[test]
    fn virtual_hosts() {
        let b = |name: &str| Some((name.to_owned(), None));
        let br = |name: &str, region: &str| Some((name.to_owned(), Some(region.to_owned())));
        assert_eq!(vh("photos.s3.localhost"), b("photos"));
        assert_eq!(vh("photos.s3.localhost:4566"), b("photos"));
        assert_eq!(
            vh("photos.s3.eu-west-1.localhost:4566"),
            br("photos", "eu-west-1")
        );
        assert_eq!(vh("photos.s3.localhost.localstack.cloud:4566"), b("photos"));
        assert_eq!(
            vh("photos.s3.us-east-1.localhost.localstack.cloud"),
            br("photos", "us-east-1")
        );
        assert_eq!(vh("photos.s3.amazonaws.com"), b("photos"));
        assert_eq!(
            vh("my.dotted.bucket.s3.us-gov-west-1.amazonaws.com:443"),
            br("my.dotted.bucket", "us-gov-west-1")
        );
        assert_eq!(vh("a.s3.bucket.s3.localhost"), b("a.s3.bucket"));
        assert_eq!(vh("Photos.S3.LocalHost"), b("photos"));
    }

    #[test]
    fn website_hosts() {
        let w = |h: &str| parse_website_host(h);
        assert_eq!(w("site.s3-website.localhost:4566").as_deref(), Some("site"));
        assert_eq!(
            w("my.site.s3-website.localhost.localstack.cloud:4566").as_deref(),
            Some("my.site")
        );
        assert_eq!(
            w("site.s3-website-us-east-1.amazonaws.com").as_deref(),
            Some("site")
        );
        assert_eq!(
            w("site.s3-website.eu-west-1.amazonaws.com").as_deref(),
            Some("site")
        );
        for host in [
            "site.s3.localhost:4566",
            "s3-website.localhost",
            "site.s3-website-nowhere.amazonaws.com",
            "localhost:4566",
        ] {
            assert_eq!(w(host), None, "{host}");
        }
    }

    #[test]
    fn path_style_hosts() {
        for host in [
            "127.0.0.1:4566",
            "localhost:4566",
            "localhost",
            "s3.localhost",
            "s3.localhost.localstack.cloud:4566",
            "s3.amazonaws.com",
            "s3.us-west-2.amazonaws.com",
            "example.com",
            "bucket.example.localhost",
        ] {
            assert_eq!(vh(host), None, "{host}");
        }
    }
}
