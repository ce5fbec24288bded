//! Ordered spaces: byte order, bounds, direction, atomicity, dropping and persistence.

use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::ops::ControlFlow;

use nimbus_store::{Direction, Store, StoreError};

const SPACE: &str = "t/0001";

fn put_all(store: &Store, space: &str, keys: &[&[u8]]) {
    store
        .transaction(|t| {
            for key in keys {
                t.ordered_put(space, key, &[key.len() as u8])?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

fn keys(store: &Store, space: &str, lower: Bound<&[u8]>, upper: Bound<&[u8]>, direction: Direction) -> Vec<Vec<u8>> {
    store.ordered_range(space, lower, upper, direction, usize::MAX).unwrap().into_iter().map(|(k, _)| k).collect()
}

/// Keys that trip up anything but unsigned byte-wise comparison: NUL bytes, 0xFF, prefixes,
/// the empty key, and bytes that are not UTF-8.
const AWKWARD: &[&[u8]] = &[
    b"",
    b"\x00",
    b"\x00\x00",
    b"\x00\xff",
    b"\x01",
    b"a",
    b"a\x00",
    b"a\x00b",
    b"ab",
    b"\x7f",
    b"\x80",
    b"\xfe\xff",
    b"\xff",
    b"\xff\x00",
    b"\xff\xff",
    b"\xff\xff\xff",
];

#[test]
fn keys_come_back_in_unsigned_byte_order_both_ways() {
    let store = Store::open_ephemeral().unwrap();
    let mut shuffled = AWKWARD.to_vec();
    shuffled.reverse();
    shuffled.swap(3, 9);
    put_all(&store, SPACE, &shuffled);

    let forward = keys(&store, SPACE, Unbounded, Unbounded, Direction::Forward);
    let expected: Vec<Vec<u8>> = AWKWARD.iter().map(|k| k.to_vec()).collect();
    assert_eq!(forward, expected);
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(forward, sorted, "the fixture itself is in Vec<u8> order");

    let reverse = keys(&store, SPACE, Unbounded, Unbounded, Direction::Reverse);
    let mut expected_reverse = expected;
    expected_reverse.reverse();
    assert_eq!(reverse, expected_reverse);
}

#[test]
fn bounds_are_inclusive_or_exclusive_as_asked() {
    let store = Store::open_ephemeral().unwrap();
    put_all(&store, SPACE, AWKWARD);
    let forward = |lower, upper| keys(&store, SPACE, lower, upper, Direction::Forward);
    let reverse = |lower, upper| keys(&store, SPACE, lower, upper, Direction::Reverse);
    let v = |keys: &[&[u8]]| keys.iter().map(|k| k.to_vec()).collect::<Vec<_>>();

    assert_eq!(forward(Included(b"a"), Included(b"ab")), v(&[b"a", b"a\x00", b"a\x00b", b"ab"]));
    assert_eq!(forward(Excluded(b"a"), Excluded(b"ab")), v(&[b"a\x00", b"a\x00b"]));
    assert_eq!(reverse(Excluded(b"a"), Included(b"ab")), v(&[b"ab", b"a\x00b", b"a\x00"]));
    // A prefix range the way a caller computes it: [p, p with its last byte + 1).
    assert_eq!(forward(Included(b"\x00"), Excluded(b"\x01")), v(&[b"\x00", b"\x00\x00", b"\x00\xff"]));
    // Everything from 0xFF up: no upper key exists above "\xff\xff..." so the bound is open.
    assert_eq!(forward(Included(b"\xff"), Unbounded), v(&[b"\xff", b"\xff\x00", b"\xff\xff", b"\xff\xff\xff"]));
    assert_eq!(reverse(Unbounded, Excluded(b"\x00\x00")), v(&[b"\x00", b""]));
    // The empty key is the smallest key, and a bound like any other.
    assert_eq!(forward(Unbounded, Included(b"")), v(&[b""]));
    assert_eq!(forward(Excluded(b""), Excluded(b"\x00\x00")), v(&[b"\x00"]));
    // Crossed bounds are an empty range, not an error.
    assert!(forward(Included(b"b"), Included(b"a")).is_empty());
    assert!(forward(Excluded(b"a"), Excluded(b"a")).is_empty());
}

#[test]
fn limit_and_pagination_from_the_last_key() {
    let store = Store::open_ephemeral().unwrap();
    let numbered: Vec<Vec<u8>> = (0u16..50).map(|i| i.to_be_bytes().to_vec()).collect();
    let refs: Vec<&[u8]> = numbered.iter().map(Vec::as_slice).collect();
    put_all(&store, SPACE, &refs);

    for direction in [Direction::Forward, Direction::Reverse] {
        let mut seen = Vec::new();
        let mut last: Option<Vec<u8>> = None;
        loop {
            let (lower, upper) = match (direction, &last) {
                (_, None) => (Unbounded, Unbounded),
                (Direction::Forward, Some(k)) => (Excluded(k.as_slice()), Unbounded),
                (Direction::Reverse, Some(k)) => (Unbounded, Excluded(k.as_slice())),
            };
            let page = store.ordered_range(SPACE, lower, upper, direction, 7).unwrap();
            assert!(page.len() <= 7);
            if page.is_empty() {
                break;
            }
            last = Some(page.last().unwrap().0.clone());
            seen.extend(page.into_iter().map(|(k, _)| k));
        }
        let mut expected = numbered.clone();
        if direction == Direction::Reverse {
            expected.reverse();
        }
        assert_eq!(seen, expected, "{direction:?}");
    }
    assert!(store.ordered_range(SPACE, Unbounded, Unbounded, Direction::Forward, 0).unwrap().is_empty());
}

#[test]
fn visit_stops_when_told_and_sees_values() {
    let store = Store::open_ephemeral().unwrap();
    put_all(&store, SPACE, AWKWARD);
    let mut budget = 3usize;
    let mut seen = Vec::new();
    store
        .ordered_visit(SPACE, Included(b"a"), Unbounded, Direction::Forward, |key, value| {
            assert_eq!(value, [key.len() as u8]);
            seen.push(key.to_vec());
            budget -= 1;
            if budget == 0 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .unwrap();
    assert_eq!(seen, vec![b"a".to_vec(), b"a\x00".to_vec(), b"a\x00b".to_vec()]);
}

#[test]
fn get_put_replace_delete_and_spaces_are_separate() {
    let store = Store::open_ephemeral().unwrap();
    assert_eq!(store.ordered_get(SPACE, b"k").unwrap(), None);
    store.transaction(|t| t.ordered_put(SPACE, b"k", b"one")).unwrap();
    store.transaction(|t| t.ordered_put("other", b"k", b"elsewhere")).unwrap();
    assert_eq!(store.ordered_get(SPACE, b"k").unwrap().as_deref(), Some(&b"one"[..]));
    store.transaction(|t| t.ordered_put(SPACE, b"k", b"two")).unwrap();
    assert_eq!(store.ordered_get(SPACE, b"k").unwrap().as_deref(), Some(&b"two"[..]));
    // A space whose name extends another's is still another space.
    assert_eq!(store.ordered_get("t/00010", b"k").unwrap(), None);
    assert_eq!(keys(&store, SPACE, Unbounded, Unbounded, Direction::Forward), vec![b"k".to_vec()]);

    assert!(store.transaction(|t| t.ordered_delete(SPACE, b"k")).unwrap());
    assert!(!store.transaction(|t| t.ordered_delete(SPACE, b"k")).unwrap());
    assert_eq!(store.ordered_get(SPACE, b"k").unwrap(), None);
    assert_eq!(store.ordered_get("other", b"k").unwrap().as_deref(), Some(&b"elsewhere"[..]));
    // Empty and binary values round-trip.
    store.transaction(|t| t.ordered_put(SPACE, b"e", b"")).unwrap();
    store.transaction(|t| t.ordered_put(SPACE, b"\x00", b"\x00\xff\x00")).unwrap();
    assert_eq!(store.ordered_get(SPACE, b"e").unwrap().as_deref(), Some(&b""[..]));
    assert_eq!(store.ordered_get(SPACE, b"\x00").unwrap().as_deref(), Some(&b"\x00\xff\x00"[..]));
}

#[derive(Debug)]
struct Refused;

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        panic!("unexpected store error {e}")
    }
}

#[test]
fn put_many_inserts_and_replaces_like_put() {
    let store = Store::open_ephemeral().unwrap();
    put_all(&store, SPACE, &[b"b"]);
    let pairs: [(&[u8], &[u8]); 3] = [(b"c", b"3"), (b"a", b"1"), (b"b", b"replaced")];
    store.transaction(|t| t.ordered_put_many(SPACE, pairs)).unwrap();
    let all = store.ordered_range(SPACE, Unbounded, Unbounded, Direction::Forward, usize::MAX).unwrap();
    let expected: Vec<(Vec<u8>, Vec<u8>)> = [(b"a", b"1".to_vec()), (b"b", b"replaced".to_vec()), (b"c", b"3".to_vec())]
        .into_iter()
        .map(|(k, v)| (k.to_vec(), v))
        .collect();
    assert_eq!(all, expected);
}

#[test]
fn a_transaction_writes_records_and_pairs_together_or_not_at_all() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Count(u64);
    impl nimbus_store::Record for Count {
        const KIND: &'static str = "test.count";
        const VERSION: u32 = 1;
    }
    let store = Store::open_ephemeral().unwrap();
    let failed: Result<(), Refused> = store.transaction(|t| {
        t.ordered_put(SPACE, b"item", b"v")?;
        t.ordered_put("t/0001/index", b"v\x00item", b"")?;
        t.put("test", "count", &Count(1))?;
        // The transaction's own reads see its writes.
        assert_eq!(t.ordered_get(SPACE, b"item")?.as_deref(), Some(&b"v"[..]));
        assert_eq!(t.ordered_range(SPACE, Unbounded, Unbounded, Direction::Forward, 10)?.len(), 1);
        Err(Refused)
    });
    assert!(failed.is_err());
    assert_eq!(store.ordered_get(SPACE, b"item").unwrap(), None);
    assert_eq!(store.ordered_get("t/0001/index", b"v\x00item").unwrap(), None);
    assert!(store.get::<Count>("test", "count").unwrap().is_none());

    store
        .transaction(|t| {
            t.ordered_put(SPACE, b"item", b"v")?;
            t.ordered_put("t/0001/index", b"v\x00item", b"")?;
            t.put("test", "count", &Count(1))
        })
        .unwrap();
    assert!(store.ordered_get(SPACE, b"item").unwrap().is_some());
    assert!(store.ordered_get("t/0001/index", b"v\x00item").unwrap().is_some());
    assert_eq!(store.get::<Count>("test", "count").unwrap().unwrap().0, 1);
}

#[test]
fn a_dropped_space_reads_empty_at_once_and_is_purged_in_chunks() {
    let store = Store::open_ephemeral().unwrap();
    let many: Vec<Vec<u8>> = (0u32..2_500).map(|i| i.to_be_bytes().to_vec()).collect();
    let refs: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
    put_all(&store, SPACE, &refs);
    put_all(&store, "keep", &[b"a", b"b"]);
    assert!(!store.dropped_spaces_pending().unwrap());

    store.transaction(|t| t.ordered_drop_space(SPACE)).unwrap();
    assert!(store.dropped_spaces_pending().unwrap());
    assert_eq!(store.ordered_get(SPACE, &0u32.to_be_bytes()).unwrap(), None);
    assert!(keys(&store, SPACE, Unbounded, Unbounded, Direction::Forward).is_empty());
    // Writing into it is a caller bug, refused rather than silently invisible.
    let err = store.transaction(|t| t.ordered_put(SPACE, b"x", b"y")).unwrap_err();
    assert!(matches!(err, StoreError::SpaceDropped(ref s) if s == SPACE), "{err}");
    let err = store.transaction(|t| t.ordered_put_many(SPACE, [(&b"x"[..], &b"y"[..])])).unwrap_err();
    assert!(matches!(err, StoreError::SpaceDropped(ref s) if s == SPACE), "{err}");

    let commits_before = store.commits();
    assert_eq!(store.purge_dropped_spaces(1_000).unwrap(), 2_500);
    assert!(store.commits() - commits_before >= 3, "purged in chunks, one commit each");
    assert!(!store.dropped_spaces_pending().unwrap());
    assert_eq!(store.purge_dropped_spaces(1_000).unwrap(), 0);
    // Other spaces are untouched, and the purged name is usable again.
    assert_eq!(keys(&store, "keep", Unbounded, Unbounded, Direction::Forward).len(), 2);
    store.transaction(|t| t.ordered_put(SPACE, b"x", b"y")).unwrap();
    assert_eq!(keys(&store, SPACE, Unbounded, Unbounded, Direction::Forward), vec![b"x".to_vec()]);
}

#[test]
fn pairs_and_pending_drops_survive_a_restart() {
    let temp = tempfile::tempdir().unwrap();
    {
        let store = Store::open(temp.path()).unwrap();
        put_all(&store, SPACE, AWKWARD);
        put_all(&store, "doomed", &[b"1", b"2", b"3"]);
        store.transaction(|t| t.ordered_drop_space("doomed")).unwrap();
    }
    let store = Store::open(temp.path()).unwrap();
    let expected: Vec<Vec<u8>> = AWKWARD.iter().map(|k| k.to_vec()).collect();
    assert_eq!(keys(&store, SPACE, Unbounded, Unbounded, Direction::Forward), expected);
    assert_eq!(store.ordered_get(SPACE, b"\xff").unwrap().as_deref(), Some(&[1u8][..]));
    // The interrupted drop is still in force, and its purge resumes.
    assert!(store.dropped_spaces_pending().unwrap());
    assert!(keys(&store, "doomed", Unbounded, Unbounded, Direction::Forward).is_empty());
    assert_eq!(store.purge_dropped_spaces(2).unwrap(), 3);
}

#[test]
fn reset_empties_ordered_spaces() {
    let store = Store::open_ephemeral().unwrap();
    put_all(&store, SPACE, &[b"a"]);
    put_all(&store, "doomed", &[b"a"]);
    store.transaction(|t| t.ordered_drop_space("doomed")).unwrap();
    store.reset().unwrap();
    assert_eq!(store.ordered_get(SPACE, b"a").unwrap(), None);
    assert!(!store.dropped_spaces_pending().unwrap());
}

/// Range reads stay cheap in a big space: `cargo test -p nimbus-store --release --test ordered
/// -- --ignored --nocapture`.
#[test]
#[ignore]
fn range_reads_over_a_million_pairs() {
    let store = Store::open_ephemeral().unwrap();
    let started = std::time::Instant::now();
    for chunk in 0u32..100 {
        store
            .transaction(|t| {
                for i in chunk * 10_000..(chunk + 1) * 10_000 {
                    t.ordered_put(SPACE, &i.to_be_bytes(), &[0u8; 100])?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
    }
    println!("1M puts in 100 transactions: {:?}", started.elapsed());
    let rounds = 10_000u32;
    let started = std::time::Instant::now();
    for r in 0..rounds {
        let from = (r * 97).to_be_bytes();
        let page = store.ordered_range(SPACE, Included(&from), Unbounded, Direction::Forward, 10).unwrap();
        assert_eq!(page.len(), 10);
    }
    println!("range of 10 from a random key: {:?} per read", started.elapsed() / rounds);
    let started = std::time::Instant::now();
    for r in 0..rounds {
        let to = (999_999 - r * 97).to_be_bytes();
        let page = store.ordered_range(SPACE, Unbounded, Included(&to), Direction::Reverse, 10).unwrap();
        assert_eq!(page.len(), 10);
    }
    println!("reverse range of 10: {:?} per read", started.elapsed() / rounds);
    let started = std::time::Instant::now();
    store.transaction(|t| t.ordered_drop_space(SPACE)).unwrap();
    println!("drop: {:?}", started.elapsed());
    let started = std::time::Instant::now();
    assert_eq!(store.purge_dropped_spaces(10_000).unwrap(), 1_000_000);
    println!("purge: {:?}", started.elapsed());
}
