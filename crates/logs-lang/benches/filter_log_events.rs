//! FilterLogEvents' hot path: one compiled pattern matched against 100,000 events (plain lines,
//! JSON request logs and Apache access lines, mixed), for each pattern family. Multiply by ten
//! for the million-event benchmark the service runs.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nimbus_logs_lang::filter::FilterPattern;
use std::hint::black_box;

const EVENTS: usize = 100_000;

fn events() -> Vec<String> {
    (0..EVENTS)
        .map(|i| match i % 3 {
            0 => format!(
                "2026-12-05T10:00:{:02}Z [{}] request {i} served in {}ms",
                i % 60,
                if i % 7 == 0 { "ERROR" } else { "INFO" },
                i % 900
            ),
            1 => format!(
                r#"{{"level":"{}","latency":{},"user":{{"id":"u{}"}},"path":"/items/{i}","status":{}}}"#,
                if i % 5 == 0 { "ERROR" } else { "INFO" },
                i % 1000,
                i % 97,
                if i % 11 == 0 { 503 } else { 200 }
            ),
            _ => format!(
                r#"10.0.{}.{} - frank [05/Dec/2026:10:00:{:02} +0000] "GET /index.html HTTP/1.1" {} {}"#,
                i % 255,
                i % 200,
                i % 60,
                if i % 13 == 0 { 404 } else { 200 },
                i % 5000
            ),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let events = events();
    let mut group = c.benchmark_group("filter_log_events");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    for (name, pattern) in [
        ("terms", r#"ERROR "served in" -timeout"#),
        ("optional_terms", "?ERROR ?503"),
        ("regex", r"%served in [0-9]{3}ms%"),
        ("json", r#"{ $.level = "ERROR" && $.latency > 200 }"#),
        ("delimited", "[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes > 1000]"),
    ] {
        let pattern = FilterPattern::parse(pattern).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| events.iter().filter(|event| pattern.matches(black_box(event))).count());
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
