//! Behaviour of the public Store API.

use std::io::{Read, Write};
use std::path::Path;

use nimbus_store::{BlobId, Record, Store, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Widget {
    name: String,
    size: u32,
}

impl Record for Widget {
    const KIND: &'static str = "test.widget";
    const VERSION: u32 = 1;
}

/// A different kind, to check kinds do not see each other's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Gadget {
    name: String,
}

impl Record for Gadget {
    const KIND: &'static str = "test.gadget";
    const VERSION: u32 = 1;
}

fn widget(name: &str, size: u32) -> Widget {
    Widget {
        name: name.into(),
        size,
    }
}

const SCOPE: &str = "000000000000/us-east-1";

#[test]
fn put_get_delete_round_trip() {
    let store = Store::open_ephemeral().unwrap();
    assert_eq!(store.get::<Widget>(SCOPE, "a").unwrap(), None);

    store.put(SCOPE, "a", &widget("a", 1)).unwrap();
    assert_eq!(
        store.get::<Widget>(SCOPE, "a").unwrap(),
        Some(widget("a", 1))
    );

    store.put(SCOPE, "a", &widget("a", 2)).unwrap();
    assert_eq!(
        store.get::<Widget>(SCOPE, "a").unwrap(),
        Some(widget("a", 2))
    );

    // Same key in another scope or of another kind is a different record.
    assert_eq!(store.get::<Widget>("other/scope", "a").unwrap(), None);
    assert_eq!(store.get::<Gadget>(SCOPE, "a").unwrap(), None);

    assert!(store.delete::<Widget>(SCOPE, "a").unwrap());
    assert!(!store.delete::<Widget>(SCOPE, "a").unwrap());
    assert_eq!(store.get::<Widget>(SCOPE, "a").unwrap(), None);
}

#[test]
fn insert_only_stores_when_key_is_free() {
    let store = Store::open_ephemeral().unwrap();
    assert!(store.insert(SCOPE, "k", &widget("first", 1)).unwrap());
    assert!(!store.insert(SCOPE, "k", &widget("second", 2)).unwrap());
    assert_eq!(
        store.get::<Widget>(SCOPE, "k").unwrap(),
        Some(widget("first", 1))
    );
}

#[test]
fn list_orders_by_key_bytes_and_honours_prefix_after_limit() {
    let store = Store::open_ephemeral().unwrap();
    let keys = ["b", "a/2", "a/10", "a", "a/1", "é", "Z", "a0", "a/1/x"];
    for (i, key) in keys.iter().enumerate() {
        store.put(SCOPE, key, &widget(key, i as u32)).unwrap();
    }
    store.put("other", "a/1", &widget("elsewhere", 0)).unwrap();
    store
        .put(
            SCOPE,
            "a/3",
            &Gadget {
                name: "not a widget".into(),
            },
        )
        .unwrap();

    let list = |prefix: &str, after: Option<&str>, limit: usize| -> Vec<String> {
        store
            .list::<Widget>(SCOPE, prefix, after, limit)
            .unwrap()
            .into_iter()
            .map(|(key, record)| {
                assert_eq!(record.name, key);
                key
            })
            .collect()
    };

    assert_eq!(
        list("", None, 100),
        ["Z", "a", "a/1", "a/1/x", "a/10", "a/2", "a0", "b", "é"]
    );
    assert_eq!(list("a/", None, 100), ["a/1", "a/1/x", "a/10", "a/2"]);
    assert_eq!(list("a/", None, 2), ["a/1", "a/1/x"]);
    assert_eq!(list("a/", Some("a/1/x"), 2), ["a/10", "a/2"]);
    assert_eq!(list("a/", Some("a/2"), 2), Vec::<String>::new());
    // `after` before the prefix range, or past it, behaves sensibly.
    assert_eq!(list("a/", Some("A"), 1), ["a/1"]);
    assert_eq!(list("a/", Some("zzz"), 10), Vec::<String>::new());
    // `after` need not be an existing key.
    assert_eq!(list("", Some("a/15"), 3), ["a/2", "a0", "b"]);
    assert_eq!(list("", None, 0), Vec::<String>::new());
    assert_eq!(list("nothing", None, 10), Vec::<String>::new());

    // Paginating with the last key of each page visits everything exactly once.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = list("", after.as_deref(), 2);
        if page.is_empty() {
            break;
        }
        after = page.last().cloned();
        seen.extend(page);
    }
    assert_eq!(seen.len(), keys.len());
}

#[test]
fn transaction_commits_everything_together() {
    let store = Store::open_ephemeral().unwrap();
    store.put(SCOPE, "gone", &widget("gone", 0)).unwrap();
    let result: Result<u32, StoreError> = store.transaction(|txn| {
        txn.put(SCOPE, "x", &widget("x", 1))?;
        txn.put(SCOPE, "y", &widget("y", 2))?;
        txn.delete::<Widget>(SCOPE, "gone")?;
        txn.set_setting("s", "v")?;
        // The transaction reads its own writes.
        assert_eq!(txn.get::<Widget>(SCOPE, "x")?, Some(widget("x", 1)));
        assert_eq!(txn.list::<Widget>(SCOPE, "", None, 10)?.len(), 2);
        assert_eq!(txn.setting("s")?.as_deref(), Some("v"));
        // Readers outside do not see it before commit.
        assert_eq!(store.get::<Widget>(SCOPE, "x").unwrap(), None);
        Ok(7)
    });
    assert_eq!(result.unwrap(), 7);
    assert_eq!(
        store.get::<Widget>(SCOPE, "x").unwrap(),
        Some(widget("x", 1))
    );
    assert_eq!(
        store.get::<Widget>(SCOPE, "y").unwrap(),
        Some(widget("y", 2))
    );
    assert_eq!(store.get::<Widget>(SCOPE, "gone").unwrap(), None);
    assert_eq!(store.setting("s").unwrap().as_deref(), Some("v"));
}

#[derive(Debug)]
enum ServiceError {
    Conflict,
    Store(StoreError),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Store(e)
    }
}

#[test]
fn transaction_error_rolls_back_and_passes_error_through() {
    let store = Store::open_ephemeral().unwrap();
    store.put(SCOPE, "keep", &widget("keep", 1)).unwrap();
    let result: Result<(), ServiceError> = store.transaction(|txn| {
        txn.put(SCOPE, "new", &widget("new", 1))?;
        txn.put(SCOPE, "keep", &widget("changed", 2))?;
        txn.delete::<Widget>(SCOPE, "keep")?;
        Err(ServiceError::Conflict)
    });
    match result {
        Err(ServiceError::Conflict) => {}
        Err(ServiceError::Store(e)) => panic!("unexpected store error: {e}"),
        Ok(()) => panic!("expected the closure's error"),
    }
    assert_eq!(store.get::<Widget>(SCOPE, "new").unwrap(), None);
    assert_eq!(
        store.get::<Widget>(SCOPE, "keep").unwrap(),
        Some(widget("keep", 1))
    );
    // The writer is usable afterwards.
    store.put(SCOPE, "after", &widget("after", 3)).unwrap();
}

#[test]
fn transaction_panic_rolls_back_and_store_stays_usable() {
    let store = Store::open_ephemeral().unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), StoreError> = store.transaction(|txn| {
            txn.put(SCOPE, "half", &widget("half", 1))?;
            panic!("service bug");
        });
    }));
    assert!(outcome.is_err());
    assert_eq!(store.get::<Widget>(SCOPE, "half").unwrap(), None);
    store.put(SCOPE, "after", &widget("after", 1)).unwrap();
    let committed: Result<(), StoreError> =
        store.transaction(|txn| txn.put(SCOPE, "t", &widget("t", 1)));
    committed.unwrap();
    assert!(store.get::<Widget>(SCOPE, "t").unwrap().is_some());
}

#[test]
#[should_panic(expected = "use the Txn")]
fn store_write_inside_transaction_panics_instead_of_deadlocking() {
    let store = Store::open_ephemeral().unwrap();
    let _: Result<(), StoreError> =
        store.transaction(|_txn| store.put(SCOPE, "k", &widget("k", 1)));
}

#[test]
fn settings_round_trip() {
    let store = Store::open_ephemeral().unwrap();
    assert_eq!(store.setting("clock.offset").unwrap(), None);
    store.set_setting("clock.offset", "3600").unwrap();
    assert_eq!(
        store.setting("clock.offset").unwrap().as_deref(),
        Some("3600")
    );
    store.set_setting("clock.offset", "-5").unwrap();
    assert_eq!(
        store.setting("clock.offset").unwrap().as_deref(),
        Some("-5")
    );
    assert!(store.remove_setting("clock.offset").unwrap());
    assert!(!store.remove_setting("clock.offset").unwrap());
    assert_eq!(store.setting("clock.offset").unwrap(), None);
}

#[test]
fn seal_round_trips_and_detects_wrong_aad_and_tampering() {
    let store = Store::open_ephemeral().unwrap();
    let sealed = store.seal(b"hunter2", b"secret-a/v1").unwrap();
    assert_eq!(sealed[0], 1, "format version byte");
    assert_eq!(sealed.len(), 1 + 12 + 7 + 16);
    assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
    assert_eq!(store.unseal(&sealed, b"secret-a/v1").unwrap(), b"hunter2");

    // Fresh nonce each time.
    assert_ne!(store.seal(b"hunter2", b"secret-a/v1").unwrap(), sealed);

    let wrong_aad = store.unseal(&sealed, b"secret-b/v1").unwrap_err();
    assert!(matches!(wrong_aad, StoreError::Crypto(_)), "{wrong_aad}");

    for index in 0..sealed.len() {
        let mut tampered = sealed.clone();
        tampered[index] ^= 0x01;
        assert!(
            matches!(
                store.unseal(&tampered, b"secret-a/v1"),
                Err(StoreError::Crypto(_))
            ),
            "flipping byte {index} must be detected"
        );
    }
    assert!(store.unseal(&sealed[..20], b"secret-a/v1").is_err());
    assert!(store.unseal(&[], b"").is_err());

    // Empty plaintext is fine.
    let empty = store.seal(b"", b"").unwrap();
    assert_eq!(store.unseal(&empty, b"").unwrap(), b"");

    // Another data directory has another key.
    let other = Store::open_ephemeral().unwrap();
    assert!(other.unseal(&sealed, b"secret-a/v1").is_err());
}

fn read_blob(store: &Store, id: &BlobId) -> Vec<u8> {
    let mut bytes = Vec::new();
    store
        .blobs()
        .open(id)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn blobs_write_read_delete() {
    let store = Store::open_ephemeral().unwrap();
    let blobs = store.blobs();

    let id = blobs.write(b"hello world").unwrap();
    assert_eq!(id.as_str().len(), 32);
    assert_eq!(read_blob(&store, &id), b"hello world");
    assert_eq!(blobs.len(&id).unwrap(), 11);
    assert!(blobs.exists(&id).unwrap());

    let mut writer = blobs.writer().unwrap();
    for chunk in 0..100u32 {
        writer.write_all(&[chunk as u8; 1000]).unwrap();
    }
    assert_eq!(writer.len(), 100_000);
    let streamed = writer.finish().unwrap();
    assert_ne!(streamed, id);
    assert_eq!(blobs.len(&streamed).unwrap(), 100_000);
    assert_eq!(read_blob(&store, &streamed)[99_999], 99);

    let empty = blobs.write(b"").unwrap();
    assert_eq!(blobs.len(&empty).unwrap(), 0);

    let mut ids = vec![id.clone(), streamed.clone(), empty.clone()];
    ids.sort();
    assert_eq!(blobs.ids().unwrap(), ids);

    assert!(blobs.delete(&id).unwrap());
    assert!(!blobs.delete(&id).unwrap());
    assert!(matches!(blobs.open(&id), Err(StoreError::BlobNotFound(_))));
    assert!(matches!(blobs.len(&id), Err(StoreError::BlobNotFound(_))));
    assert!(!blobs.exists(&id).unwrap());

    // An abandoned writer leaves nothing behind.
    let mut abandoned = blobs.writer().unwrap();
    abandoned.write_all(b"partial").unwrap();
    drop(abandoned);
    assert!(files_under(&store.data_dir().join("blobs/tmp")).is_empty());
}

#[test]
fn blob_ids_are_validated_so_they_never_become_paths() {
    for bad in [
        "../../x",
        "",
        "ABCDEF0123456789abcdef0123456789",
        "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef/",
    ] {
        assert!(bad.parse::<BlobId>().is_err(), "{bad:?} must be rejected");
        assert!(serde_json::from_value::<BlobId>(serde_json::json!(bad)).is_err());
    }
    let good: BlobId = "0123456789abcdef0123456789abcdef".parse().unwrap();
    let json = serde_json::to_string(&good).unwrap();
    assert_eq!(json, "\"0123456789abcdef0123456789abcdef\"");
    assert_eq!(serde_json::from_str::<BlobId>(&json).unwrap(), good);
}

#[test]
fn reset_wipes_records_settings_and_blobs_but_keeps_the_key() {
    let store = Store::open_ephemeral().unwrap();
    store.put(SCOPE, "a", &widget("a", 1)).unwrap();
    store.put(SCOPE, "g", &Gadget { name: "g".into() }).unwrap();
    store.set_setting("clock.offset", "10").unwrap();
    let blob = store.blobs().write(b"body").unwrap();
    let sealed = store.seal(b"secret", b"aad").unwrap();

    store.reset().unwrap();

    assert_eq!(store.get::<Widget>(SCOPE, "a").unwrap(), None);
    assert_eq!(store.get::<Gadget>(SCOPE, "g").unwrap(), None);
    assert_eq!(store.setting("clock.offset").unwrap(), None);
    assert!(!store.blobs().exists(&blob).unwrap());
    assert!(store.blobs().ids().unwrap().is_empty());
    assert_eq!(store.unseal(&sealed, b"aad").unwrap(), b"secret");
    // Still fully usable.
    store.put(SCOPE, "a", &widget("a", 2)).unwrap();
    assert_eq!(
        store.get::<Widget>(SCOPE, "a").unwrap(),
        Some(widget("a", 2))
    );
}

#[test]
fn ephemeral_dir_is_removed_when_last_clone_drops() {
    let store = Store::open_ephemeral().unwrap();
    let dir = store.data_dir().to_path_buf();
    store.put(SCOPE, "a", &widget("a", 1)).unwrap();
    store.blobs().write(b"x").unwrap();
    let clone = store.clone();
    drop(store);
    assert!(dir.exists(), "a clone is still alive");
    assert_eq!(
        clone.get::<Widget>(SCOPE, "a").unwrap(),
        Some(widget("a", 1))
    );
    drop(clone);
    assert!(!dir.exists());
}

#[test]
fn second_open_of_same_dir_is_refused_with_a_clear_message() {
    let temp = tempfile::tempdir().unwrap();
    let store = Store::open(temp.path()).unwrap();
    let err = Store::open(temp.path()).unwrap_err();
    match &err {
        StoreError::Locked { pid, .. } => assert_eq!(*pid, Some(std::process::id())),
        other => panic!("expected Locked, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains(&store.data_dir().display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("in use by another Nimbus process"),
        "{message}"
    );
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
}

#[test]
fn reopen_after_drop_sees_the_data() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("nested/data");
    let (blob, sealed) = {
        let store = Store::open(&dir).unwrap();
        store.put(SCOPE, "a", &widget("a", 1)).unwrap();
        store.set_setting("clock.offset", "42").unwrap();
        (
            store.blobs().write(b"body").unwrap(),
            store.seal(b"secret", b"aad").unwrap(),
        )
    };
    let store = Store::open(&dir).unwrap();
    assert_eq!(
        store.get::<Widget>(SCOPE, "a").unwrap(),
        Some(widget("a", 1))
    );
    assert_eq!(
        store.setting("clock.offset").unwrap().as_deref(),
        Some("42")
    );
    assert_eq!(read_blob(&store, &blob), b"body");
    assert_eq!(
        store.unseal(&sealed, b"aad").unwrap(),
        b"secret",
        "master key persists"
    );
}

#[cfg(unix)]
#[test]
fn master_key_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let store = Store::open_ephemeral().unwrap();
    let metadata = std::fs::metadata(store.data_dir().join("master.key")).unwrap();
    assert_eq!(metadata.len(), 32);
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
}

#[test]
fn corrupt_master_key_is_reported() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("master.key"), b"short").unwrap();
    let err = Store::open(temp.path()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    assert!(err.to_string().contains("master.key"), "{err}");
}

#[test]
fn open_removes_orphan_blob_temp_files() {
    let temp = tempfile::tempdir().unwrap();
    drop(Store::open(temp.path()).unwrap());
    let orphan = temp.path().join("blobs/tmp/deadbeef.tmp");
    std::fs::write(&orphan, b"interrupted write").unwrap();
    let _store = Store::open(temp.path()).unwrap();
    assert!(!orphan.exists());
}

#[test]
fn newer_schema_is_refused() {
    let temp = tempfile::tempdir().unwrap();
    drop(Store::open(temp.path()).unwrap());
    let conn = rusqlite::Connection::open(temp.path().join("nimbus.sqlite3")).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let err = Store::open(temp.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::UnsupportedSchema { found: 999, .. }),
        "{err}"
    );
}

mod migration {
    use super::*;

    /// The same kind as it was first shipped...
    #[derive(Debug, Serialize, Deserialize)]
    pub struct ParameterV1 {
        pub value: String,
    }
    impl Record for ParameterV1 {
        const KIND: &'static str = "test.parameter";
        const VERSION: u32 = 1;
    }

    /// ...and after a format change: `value` renamed, `tier` added.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    pub struct ParameterV2 {
        pub data: String,
        pub tier: String,
    }
    impl Record for ParameterV2 {
        const KIND: &'static str = "test.parameter";
        const VERSION: u32 = 2;
        fn migrate(
            from_version: u32,
            mut value: serde_json::Value,
        ) -> Result<serde_json::Value, StoreError> {
            match from_version {
                1 => {
                    let object = value
                        .as_object_mut()
                        .ok_or_else(|| StoreError::Corrupt("not an object".into()))?;
                    let data = object.remove("value").unwrap_or_default();
                    object.insert("data".into(), data);
                    object.insert("tier".into(), "Standard".into());
                    Ok(value)
                }
                _ => Err(StoreError::Corrupt(format!(
                    "unknown version {from_version}"
                ))),
            }
        }
    }

    /// A kind whose type never defined a migration.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct NoMigration {
        pub data: String,
    }
    impl Record for NoMigration {
        const KIND: &'static str = "test.parameter";
        const VERSION: u32 = 3;
    }
}

#[test]
fn older_record_versions_go_through_migrate() {
    use migration::*;
    let temp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(temp.path()).unwrap();
        store
            .put(
                SCOPE,
                "p1",
                &ParameterV1 {
                    value: "one".into(),
                },
            )
            .unwrap();
        store
            .put(
                SCOPE,
                "p2",
                &ParameterV1 {
                    value: "two".into(),
                },
            )
            .unwrap();
    }
    // "Upgrade" the binary: reopen and read with the new type.
    let store = Store::open(temp.path()).unwrap();
    let expected = ParameterV2 {
        data: "one".into(),
        tier: "Standard".into(),
    };
    assert_eq!(
        store.get::<ParameterV2>(SCOPE, "p1").unwrap(),
        Some(expected)
    );
    let listed = store.list::<ParameterV2>(SCOPE, "", None, 10).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].1.data, "two");
    let in_txn: Result<Option<ParameterV2>, StoreError> =
        store.transaction(|txn| txn.get(SCOPE, "p2"));
    assert_eq!(in_txn.unwrap().unwrap().data, "two");

    // Writing stores the current version; an older build then refuses rather than garbling.
    store
        .put(
            SCOPE,
            "p1",
            &ParameterV2 {
                data: "uno".into(),
                tier: "Advanced".into(),
            },
        )
        .unwrap();
    let err = store.get::<ParameterV1>(SCOPE, "p1").unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnsupportedRecordVersion {
                found: 2,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );

    // A type without a migration reports it instead of misreading.
    let err = store.get::<NoMigration>(SCOPE, "p2").unwrap_err();
    assert!(
        err.to_string().contains("no migration from version 1"),
        "{err}"
    );
}

#[test]
fn concurrent_readers_and_writers() {
    let store = Store::open_ephemeral().unwrap();
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..50 {
                    let key = format!("t{thread}/{i:03}");
                    store.put(SCOPE, &key, &widget(&key, i)).unwrap();
                    assert_eq!(store.get::<Widget>(SCOPE, &key).unwrap().unwrap().size, i);
                }
            });
        }
        for _ in 0..4 {
            let store = store.clone();
            scope.spawn(move || {
                for _ in 0..200 {
                    let _ = store.list::<Widget>(SCOPE, "t", None, 1000).unwrap();
                }
            });
        }
    });
    assert_eq!(
        store.list::<Widget>(SCOPE, "", None, 1000).unwrap().len(),
        200
    );
}

/// Rough speed check of the hot read path: `cargo test -p nimbus-store --release -- --ignored --nocapture`.
#[test]
#[ignore]
fn point_get_speed() {
    let store = Store::open_ephemeral().unwrap();
    for i in 0..1000 {
        store
            .put(SCOPE, &format!("key{i}"), &widget("some widget name", i))
            .unwrap();
    }
    let rounds = 200_000;
    let started = std::time::Instant::now();
    for i in 0..rounds {
        let record = store
            .get::<Widget>(SCOPE, &format!("key{}", i % 1000))
            .unwrap();
        assert!(record.is_some());
    }
    let per_get = started.elapsed() / rounds;
    println!("point get: {per_get:?} per call (single thread)");

    let threads = 8;
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let store = store.clone();
            scope.spawn(move || {
                for i in 0..rounds / threads {
                    store
                        .get::<Widget>(SCOPE, &format!("key{}", i % 1000))
                        .unwrap();
                }
            });
        }
    });
    let total = started.elapsed();
    println!(
        "point get: {:.0} gets/s across {threads} threads",
        f64::from(rounds) / total.as_secs_f64()
    );

    let started = std::time::Instant::now();
    for i in 0..200 {
        store
            .put(SCOPE, &format!("key{i}"), &widget("changed", i))
            .unwrap();
    }
    println!(
        "put, ephemeral (no fsync): {:?} per call",
        started.elapsed() / 200
    );

    let temp = tempfile::tempdir().unwrap();
    let durable = Store::open(temp.path()).unwrap();
    let started = std::time::Instant::now();
    for i in 0..200 {
        durable
            .put(SCOPE, &format!("key{i}"), &widget("changed", i))
            .unwrap();
    }
    println!(
        "put, durable (fsync): {:?} per call",
        started.elapsed() / 200
    );
}

#[test]
fn overlapping_durable_writers_share_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let before = store.commits();
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    store.put("group", &format!("{t:02}-{i:02}"), &Gadget { name: format!("{t}/{i}") }).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let writes = 16 * 25;
    let commits = store.commits() - before;
    // Every write is there and durable (each put returned after its commit), in fewer fsyncs.
    assert_eq!(store.list::<Gadget>("group", "", None, 1000).unwrap().len(), writes);
    assert!(commits < writes as u64, "{commits} commits for {writes} overlapping writes");
    drop(store);
    let reopened = Store::open(dir.path()).unwrap();
    assert_eq!(reopened.list::<Gadget>("group", "", None, 1000).unwrap().len(), writes);
}

#[test]
fn durable_blobs_larger_than_the_sync_interval_stream_whole() {
    // A durable writer syncs every 8 MiB as it goes; what it wrote must be exactly the body,
    // across sync points that fall inside a write.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut writer = store.blobs().writer().unwrap();
    let piece: Vec<u8> = (0..999_983u32).map(|i| (i % 251) as u8).collect();
    for _ in 0..20 {
        writer.write_all(&piece).unwrap();
    }
    let id = writer.finish().unwrap();
    let stored = read_blob(&store, &id);
    assert_eq!(stored.len(), piece.len() * 20);
    assert!(stored.chunks(piece.len()).all(|chunk| chunk == piece.as_slice()));
}

/// A kind served from the read cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Setting {
    value: u32,
}

impl Record for Setting {
    const KIND: &'static str = "test.cached-setting";
    const VERSION: u32 = 1;
    const CACHED: bool = true;
}

#[test]
fn cached_kinds_see_every_acknowledged_write() {
    let store = Store::open_ephemeral().unwrap();
    // Absence is cached too; the insert after it must still be seen.
    assert_eq!(store.get::<Setting>(SCOPE, "a").unwrap(), None);
    assert!(store.insert(SCOPE, "a", &Setting { value: 1 }).unwrap());
    assert_eq!(store.get::<Setting>(SCOPE, "a").unwrap(), Some(Setting { value: 1 }));
    store.put(SCOPE, "a", &Setting { value: 2 }).unwrap();
    assert_eq!(store.get::<Setting>(SCOPE, "a").unwrap(), Some(Setting { value: 2 }));
    store
        .transaction(|t| t.put(SCOPE, "a", &Setting { value: 3 }))
        .unwrap();
    assert_eq!(store.get::<Setting>(SCOPE, "a").unwrap(), Some(Setting { value: 3 }));
    // A transaction that fails leaves the cached value as it was.
    let failed: Result<(), StoreError> = store.transaction(|t| {
        t.put(SCOPE, "a", &Setting { value: 4 })?;
        Err(StoreError::Corrupt("deliberate".into()))
    });
    assert!(failed.is_err());
    assert_eq!(store.get::<Setting>(SCOPE, "a").unwrap(), Some(Setting { value: 3 }));
    assert!(store.delete::<Setting>(SCOPE, "a").unwrap());
    assert_eq!(store.get::<Setting>(SCOPE, "a").unwrap(), None);
    store.put(SCOPE, "b", &Setting { value: 5 }).unwrap();
    assert_eq!(store.get::<Setting>(SCOPE, "b").unwrap(), Some(Setting { value: 5 }));
    store.reset().unwrap();
    assert_eq!(store.get::<Setting>(SCOPE, "b").unwrap(), None);
}

#[test]
fn cached_reads_racing_writers_end_on_the_last_write() {
    let store = Store::open_ephemeral().unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..500 {
                    let _ = store.get::<Setting>(SCOPE, "k").unwrap();
                }
            });
        }
        s.spawn(|| {
            for value in 0..200 {
                store.put(SCOPE, "k", &Setting { value }).unwrap();
                // Read-your-write from this thread, whatever the readers cached meanwhile.
                assert_eq!(store.get::<Setting>(SCOPE, "k").unwrap(), Some(Setting { value }));
            }
        });
    });
    assert_eq!(store.get::<Setting>(SCOPE, "k").unwrap(), Some(Setting { value: 199 }));
}

/// A kind cached record by record (each commit evicts only what it wrote).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Head {
    value: u32,
}

impl Record for Head {
    const KIND: &'static str = "test.keyed-head";
    const VERSION: u32 = 1;
    const CACHED_BY_KEY: bool = true;
}

#[test]
fn keyed_cached_kinds_see_every_acknowledged_write_shared_or_not() {
    let store = Store::open_ephemeral().unwrap();
    let shared = |key: &str| store.get_shared::<Head>(SCOPE, key).unwrap().map(|h| h.value);
    assert_eq!(shared("a"), None);
    store.put(SCOPE, "a", &Head { value: 1 }).unwrap();
    store.put(SCOPE, "b", &Head { value: 10 }).unwrap();
    assert_eq!(shared("a"), Some(1));
    // The decoded record is kept: a second read hands out the same allocation.
    let first = store.get_shared::<Head>(SCOPE, "a").unwrap().unwrap();
    let second = store.get_shared::<Head>(SCOPE, "a").unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&first, &second));
    store.transaction(|t| t.put(SCOPE, "a", &Head { value: 2 })).unwrap();
    assert_eq!(shared("a"), Some(2));
    assert_eq!(store.get::<Head>(SCOPE, "a").unwrap(), Some(Head { value: 2 }));
    assert_eq!(shared("b"), Some(10), "a record the commit did not write keeps its value");
    assert!(store.delete::<Head>(SCOPE, "b").unwrap());
    assert_eq!(shared("b"), None);
    store.transaction(|t| t.delete_scope::<Head>(SCOPE)).unwrap();
    assert_eq!(shared("a"), None);
}

#[test]
fn keyed_cached_reads_racing_writers_end_on_the_last_write() {
    let store = Store::open_ephemeral().unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..500 {
                    let _ = store.get_shared::<Head>(SCOPE, "k").unwrap();
                }
            });
        }
        s.spawn(|| {
            for value in 0..200 {
                store.put(SCOPE, "k", &Head { value }).unwrap();
                assert_eq!(store.get_shared::<Head>(SCOPE, "k").unwrap().map(|h| h.value), Some(value));
            }
        });
    });
    assert_eq!(store.get::<Head>(SCOPE, "k").unwrap(), Some(Head { value: 199 }));
}
