//! Queue names, URLs and ARNs.
//!
//! Queue URLs are accepted in every form SDKs and people use: `http://sqs.<region>.localhost:4566/<account>/<name>`,
//! `http://localhost:4566/<account>/<name>`, `http://127.0.0.1:4566/...`,
//! `http://sqs.<region>.localhost.localstack.cloud:4566/...`, `http://<region>.queue.localhost.localstack.cloud:4566/...`
//! and AWS's own hosts. Only the path (`/<account>/<name>`) and a region named in the host matter.
//! Nimbus answers with URLs on the host the request was sent to, so they work from wherever the
//! client is (a container, the host, a tunnel).

/// Which queue a URL or ARN names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueueRef {
    pub account: String,
    /// The region the host names (`sqs.eu-west-1.localhost`), if it names one.
    pub region: Option<String>,
    pub name: String,
}

/// Parses a queue URL. `None` when it is not one (the caller answers `QueueDoesNotExist` or
/// `InvalidAddress`, as AWS does).
pub fn parse_queue_url(url: &str) -> Option<QueueRef> {
    let (host, path) = match url.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => return None,
        },
        None => ("", url),
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut segments = path.trim_matches('/').split('/');
    let (account, name) = (segments.next()?, segments.next()?);
    if segments.next().is_some() || !is_account_id(account) || !valid_queue_name(name) {
        return None;
    }
    Some(QueueRef { account: account.to_owned(), region: region_of_host(host), name: name.to_owned() })
}

/// The region a queue host names: `sqs.<region>.…` or `<region>.queue.…`.
fn region_of_host(host: &str) -> Option<String> {
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let candidate = match labels.as_slice() {
        ["sqs", region, _, ..] => region,
        [region, "queue", _, ..] => region,
        _ => return None,
    };
    looks_like_region(candidate).then(|| (*candidate).to_owned())
}

fn looks_like_region(s: &str) -> bool {
    s.contains('-') && s.ends_with(|c: char| c.is_ascii_digit()) && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// 1 to 80 characters of alphanumerics, hyphens and underscores; a FIFO queue's name ends in
/// `.fifo`, which counts towards the 80.
pub fn valid_queue_name(name: &str) -> bool {
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    !stem.is_empty() && name.len() <= 80 && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn is_fifo_name(name: &str) -> bool {
    name.ends_with(".fifo")
}

/// `arn:aws:sqs:<region>:<account>:<name>`.
pub fn queue_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

/// The (region, account, name) of a queue ARN.
pub fn parse_queue_arn(arn: &str) -> Option<(String, String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (arn_, _partition, service, region, account, name) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if arn_ != "arn" || service != "sqs" || region.is_empty() || !is_account_id(account) || !valid_queue_name(name) {
        return None;
    }
    Some((region.to_owned(), account.to_owned(), name.to_owned()))
}

/// The URL Nimbus hands out for a queue: on the host the request came to, else the default
/// endpoint.
pub fn queue_url(host: Option<&str>, region: &str, account: &str, name: &str) -> String {
    match host.filter(|h| !h.is_empty()) {
        Some(host) => format!("http://{host}/{account}/{name}"),
        None => format!("http://sqs.{region}.localhost:4566/{account}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(account: &str, region: Option<&str>, name: &str) -> QueueRef {
        QueueRef { account: account.into(), region: region.map(Into::into), name: name.into() }
    }

    #[test]
    fn every_url_form_names_the_queue() {
        let a = "000000000000";
        assert_eq!(parse_queue_url("http://sqs.eu-west-1.localhost:4566/000000000000/q1"), Some(r(a, Some("eu-west-1"), "q1")));
        assert_eq!(parse_queue_url("http://localhost:4566/000000000000/q1"), Some(r(a, None, "q1")));
        assert_eq!(parse_queue_url("http://127.0.0.1:4566/000000000000/q1.fifo"), Some(r(a, None, "q1.fifo")));
        assert_eq!(
            parse_queue_url("http://sqs.us-east-2.localhost.localstack.cloud:4566/000000000000/q-1_"),
            Some(r(a, Some("us-east-2"), "q-1_"))
        );
        assert_eq!(parse_queue_url("http://ap-south-1.queue.localhost.localstack.cloud:4566/000000000000/q"), Some(r(a, Some("ap-south-1"), "q")));
        assert_eq!(parse_queue_url("https://sqs.us-east-1.amazonaws.com/123456789012/q/"), Some(r("123456789012", Some("us-east-1"), "q")));
        assert_eq!(parse_queue_url("/000000000000/q"), Some(r(a, None, "q")));
    }

    #[test]
    fn what_is_not_a_queue_url() {
        for bad in ["", "q1", "http://localhost:4566", "http://localhost:4566/q1", "http://localhost:4566/0000/q1", "http://h/000000000000/a/b", "http://h/000000000000/bad!name"] {
            assert_eq!(parse_queue_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn queue_names_follow_aws_rules() {
        assert!(valid_queue_name("a") && valid_queue_name("A-b_9") && valid_queue_name("x.fifo"));
        assert!(valid_queue_name(&"a".repeat(80)) && !valid_queue_name(&"a".repeat(81)));
        assert!(valid_queue_name(&format!("{}.fifo", "a".repeat(75))) && !valid_queue_name(&format!("{}.fifo", "a".repeat(76))));
        assert!(!valid_queue_name("") && !valid_queue_name(".fifo") && !valid_queue_name("a.b") && !valid_queue_name("a b"));
    }

    #[test]
    fn arns_round_trip() {
        let arn = queue_arn("us-east-1", "000000000000", "dlq");
        assert_eq!(arn, "arn:aws:sqs:us-east-1:000000000000:dlq");
        assert_eq!(parse_queue_arn(&arn), Some(("us-east-1".into(), "000000000000".into(), "dlq".into())));
        assert_eq!(parse_queue_arn("arn:aws:sns:us-east-1:000000000000:t"), None);
    }
}
