//! `nimbus logs tail`: CloudWatch Logs live tail from the terminal, like `aws logs tail`.
//!
//! A client of a running Nimbus: it calls FilterLogEvents over HTTP, signed with SigV4 like any
//! SDK call (so it also works against a Nimbus in strict mode, given a permitted key), and with
//! `--follow` polls for new events once a second. Events already printed are remembered by id
//! at the newest timestamp, so an event is printed once even when several share a millisecond.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::Args;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::http_client;

#[derive(Args)]
pub struct TailArgs {
    /// The log group: its name or ARN.
    pub group: String,

    /// Keep waiting for new events (Ctrl-C to stop).
    #[arg(long, short = 'f')]
    pub follow: bool,

    /// Start this long ago (`30s`, `10m`, `2h`, `1d`, `1w`) or at an ISO 8601 time.
    #[arg(long, default_value = "10m")]
    pub since: String,

    /// Only events matching this CloudWatch Logs filter pattern.
    #[arg(long)]
    pub filter_pattern: Option<String>,

    /// Only streams whose names start with this.
    #[arg(long)]
    pub log_stream_name_prefix: Option<String>,

    /// `detailed` prints time, stream and message; `short` time and message.
    #[arg(long, default_value = "detailed", value_parser = ["detailed", "short"])]
    pub format: String,

    /// The Nimbus to ask.
    #[arg(long, env = "AWS_ENDPOINT_URL", default_value = "http://127.0.0.1:4566")]
    pub endpoint_url: String,

    #[arg(long, env = "AWS_REGION", default_value = nimbus_core::DEFAULT_REGION)]
    pub region: String,
}

/// The longest a poll may take before it counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_EVERY: Duration = Duration::from_secs(1);

pub fn run(args: TailArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(tail(args))
}

async fn tail(args: TailArgs) -> anyhow::Result<()> {
    let mut start_ms = since_ms(&args.since, OffsetDateTime::now_utc())?;
    // Ids printed at `start_ms`, the newest timestamp printed so far.
    let mut printed_at_start: HashSet<String> = HashSet::new();
    loop {
        let mut token: Option<String> = None;
        loop {
            let page = filter_log_events(&args, start_ms, token.as_deref()).await?;
            let events = page["events"].as_array().cloned().unwrap_or_default();
            for event in events {
                let timestamp = event["timestamp"].as_i64().unwrap_or_default();
                let id = event["eventId"].as_str().unwrap_or_default().to_owned();
                if timestamp < start_ms || (timestamp == start_ms && printed_at_start.contains(&id)) {
                    continue;
                }
                if timestamp > start_ms {
                    start_ms = timestamp;
                    printed_at_start.clear();
                }
                printed_at_start.insert(id);
                println!("{}", line(&args.format, &event));
            }
            token = page["nextToken"].as_str().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        if !args.follow {
            return Ok(());
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn line(format: &str, event: &Value) -> String {
    let timestamp = event["timestamp"].as_i64().unwrap_or_default();
    let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(timestamp) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| timestamp.to_string());
    let message = event["message"].as_str().unwrap_or_default().trim_end_matches('\n');
    match format {
        "short" => format!("{time} {message}"),
        _ => format!("{time} {} {message}", event["logStreamName"].as_str().unwrap_or_default()),
    }
}

/// `--since`: a duration back from `now` (`s`, `m`, `h`, `d`, `w`), or an RFC 3339 time.
fn since_ms(since: &str, now: OffsetDateTime) -> anyhow::Result<i64> {
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let split = since.find(|c: char| !c.is_ascii_digit()).unwrap_or(since.len());
    let (number, unit) = since.split_at(split);
    let unit_seconds = match unit {
        "s" => Some(1),
        "m" | "" => Some(60),
        "h" => Some(3_600),
        "d" => Some(86_400),
        "w" => Some(604_800),
        _ => None,
    };
    if let (Ok(n), Some(seconds)) = (number.parse::<i64>(), unit_seconds) {
        return Ok(now_ms - n.saturating_mul(seconds).saturating_mul(1000));
    }
    let at = OffsetDateTime::parse(since, &time::format_description::well_known::Rfc3339)
        .with_context(|| format!("--since {since}: neither a duration like 10m (units s, m, h, d, w) nor an RFC 3339 time"))?;
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

async fn filter_log_events(args: &TailArgs, start_ms: i64, token: Option<&str>) -> anyhow::Result<Value> {
    let mut input = json!({ "startTime": start_ms, "interleaved": true });
    let group_key = if args.group.starts_with("arn:") { "logGroupIdentifier" } else { "logGroupName" };
    input[group_key] = json!(args.group);
    if let Some(pattern) = &args.filter_pattern {
        input["filterPattern"] = json!(pattern);
    }
    if let Some(prefix) = &args.log_stream_name_prefix {
        input["logStreamNamePrefix"] = json!(prefix);
    }
    if let Some(token) = token {
        input["nextToken"] = json!(token);
    }
    let body = serde_json::to_vec(&input)?;
    let uri: http::Uri = args.endpoint_url.parse().with_context(|| format!("--endpoint-url {} is not a URL", args.endpoint_url))?;
    let authority = uri.authority().map(|a| a.to_string()).context("--endpoint-url has no host")?;
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::HOST, authority.parse()?);
    headers.insert(http::header::CONTENT_TYPE, "application/x-amz-json-1.1".parse()?);
    headers.insert("x-amz-target", "Logs_20140328.FilterLogEvents".parse()?);
    let access_key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "test".into());
    let secret_key = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "test".into());
    let session_token = std::env::var("AWS_SESSION_TOKEN").ok();
    let params = nimbus_auth::SigningParams {
        access_key_id: &access_key,
        secret_access_key: &secret_key,
        session_token: session_token.as_deref(),
        region: &args.region,
        service: "logs",
        time: OffsetDateTime::now_utc(),
        double_encode_path: true,
    };
    let parts = nimbus_auth::RequestParts { method: "POST", path: "/", query: "", headers: &headers };
    let added = nimbus_auth::sign_headers(&parts, &body, &params, false).map_err(|e| anyhow::anyhow!("signing: {e}"))?;
    let mut sent: Vec<(String, String)> = Vec::new();
    for (name, value) in headers.iter().chain(added.iter()).filter(|(name, _)| *name != http::header::HOST) {
        sent.push((name.as_str().to_owned(), value.to_str()?.to_owned()));
    }
    let url = format!("{}/", args.endpoint_url.trim_end_matches('/'));
    let (status, answer) = http_client::call(http::Method::POST, &url, &sent, Bytes::from(body), CALL_TIMEOUT)
        .await
        .map_err(|e| match e {
            http_client::CallError::Unusable(why) | http_client::CallError::Failed(why) => anyhow::anyhow!("{why}"),
        })?;
    let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
    if !status.is_success() {
        let code = answer["__type"].as_str().unwrap_or("error");
        let message = answer["message"].as_str().or(answer["Message"].as_str()).unwrap_or_default();
        bail!("FilterLogEvents: {status} {code}: {message}");
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_and_times() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        assert_eq!(since_ms("10m", now).unwrap(), 1_800_000_000_000 - 600_000);
        assert_eq!(since_ms("2h", now).unwrap(), 1_800_000_000_000 - 7_200_000);
        assert_eq!(since_ms("30s", now).unwrap(), 1_800_000_000_000 - 30_000);
        assert_eq!(since_ms("2026-12-06T00:00:00Z", now).unwrap(), 1_796_515_200_000);
        assert!(since_ms("10y", now).is_err());
        assert!(since_ms("yesterday", now).is_err());
    }

    #[test]
    fn lines_name_the_stream_when_detailed() {
        let event = json!({ "timestamp": 1_796_515_200_000i64, "logStreamName": "web-1", "message": "hello\n" });
        assert_eq!(line("detailed", &event), "2026-12-06T00:00:00Z web-1 hello");
        assert_eq!(line("short", &event), "2026-12-06T00:00:00Z hello");
    }
}
