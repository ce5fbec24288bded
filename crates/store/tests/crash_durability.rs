//! Acknowledged writes survive `kill -9`.
//!
//! The test re-executes its own binary with `WRITER_DIR_ENV` set; in that mode the test function
//! becomes a writer that puts records in a loop and prints each key only after `put` returned.
//! The parent kills it with SIGKILL mid-stream, reopens the directory, and checks that every key
//! the child acknowledged is there.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use nimbus_store::{Record, Store};
use serde::{Deserialize, Serialize};

const WRITER_DIR_ENV: &str = "NIMBUS_STORE_CRASH_WRITER_DIR";
/// Acks are printed as `ACK <key> END`: the harness prints `test <name> ... ` without a newline
/// before running the test, so the first ack shares its line, and the kill can cut off the last
/// line, so only lines with the end marker count.
const ACK_PREFIX: &str = "ACK ";
const ACK_SUFFIX: &str = " END";
const SCOPE: &str = "crash";
/// Acknowledgements the parent waits for before killing: enough to be mid-stream, not so many
/// that the test is slow (each put is an fsync).
const ACKS_BEFORE_KILL: usize = 150;

#[derive(Serialize, Deserialize)]
struct Entry {
    sequence: u64,
    padding: String,
}

impl Record for Entry {
    const KIND: &'static str = "test.crash_entry";
    const VERSION: u32 = 1;
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    if let Ok(dir) = std::env::var(WRITER_DIR_ENV) {
        run_writer(std::path::Path::new(&dir));
    }

    let temp = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "acknowledged_writes_survive_kill_9",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_DIR_ENV, temp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();

    let mut acknowledged = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acknowledged.len() < ACKS_BEFORE_KILL {
        let line = lines
            .next()
            .expect("writer exited before acknowledging enough writes")
            .unwrap();
        acknowledged.extend(parse_ack(&line));
    }
    child.kill().unwrap(); // SIGKILL: no destructors, no flush, no checkpoint.
    child.wait().unwrap();
    // Keys the child acknowledged after we stopped counting but before dying count too.
    for line in lines {
        acknowledged.extend(parse_ack(&line.unwrap()));
    }

    // The kernel released the dead process's lock, so this open succeeds.
    let store = Store::open(temp.path()).unwrap();
    for (i, key) in acknowledged.iter().enumerate() {
        let entry = store
            .get::<Entry>(SCOPE, key)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged key {key} was lost"));
        assert_eq!(entry.sequence, i as u64);
    }
    // Batches written in transactions are all-or-nothing.
    let batches = store
        .list::<Entry>("crash-batches", "", None, usize::MAX)
        .unwrap();
    assert_eq!(batches.len() % 3, 0, "a transaction was partially applied");
}

fn parse_ack(line: &str) -> Option<String> {
    let (_, rest) = line.split_once(ACK_PREFIX)?;
    Some(rest.strip_suffix(ACK_SUFFIX)?.to_owned())
}

/// Child mode: write until killed. Every third key also commits a three-record transaction so the
/// parent can check atomicity across a crash.
fn run_writer(dir: &std::path::Path) -> ! {
    let store = Store::open(dir).unwrap();
    let padding = "x".repeat(200);
    for sequence in 0u64.. {
        let key = format!("key{sequence:08}");
        store
            .put(
                SCOPE,
                &key,
                &Entry {
                    sequence,
                    padding: padding.clone(),
                },
            )
            .unwrap();
        if sequence % 3 == 0 {
            let batch: Result<(), nimbus_store::StoreError> = store.transaction(|txn| {
                for part in 0..3 {
                    txn.put(
                        "crash-batches",
                        &format!("{key}/{part}"),
                        &Entry {
                            sequence,
                            padding: padding.clone(),
                        },
                    )?;
                }
                Ok(())
            });
            batch.unwrap();
        }
        // println! flushes at the newline (stdout is line-buffered), so the parent sees the ack
        // as soon as the put has returned.
        println!("{ACK_PREFIX}{key}{ACK_SUFFIX}");
    }
    unreachable!()
}
