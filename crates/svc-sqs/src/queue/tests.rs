use super::*;
use crate::attributes::{apply, defaults};

fn queue(fifo: bool, extra: &[(&str, &str)]) -> Queue {
    let mut attributes = defaults(fifo);
    let changes = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    apply(&mut attributes, &changes, fifo, true).unwrap();
    let name = if fifo { "q.fifo" } else { "q" };
    let record = QueueRecord {
        id: "qid".into(),
        name: name.into(),
        created_s: 0,
        modified_s: 0,
        attributes,
        tags: Default::default(),
        purged_at_ms: None,
    };
    Queue::new("000000000000", "us-east-1", record)
}

fn message(seq: u64, group: Option<&str>, sent: i64, available: i64) -> Arc<MessageRecord> {
    Arc::new(MessageRecord {
        id: format!("m{seq}"),
        seq,
        body: format!("body {seq}"),
        md5_of_body: String::new(),
        attributes: Default::default(),
        trace_header: None,
        sender_id: "000000000000".into(),
        sent_at_ms: sent,
        available_at_ms: available,
        group_id: group.map(Into::into),
        dedup_id: None,
        dead_letter_source_arn: None,
        prior_receives: 0,
    })
}

fn tokens() -> impl FnMut() -> u64 {
    let mut n = 0;
    move || {
        n += 1;
        n
    }
}

fn ids(lives: &[Live]) -> Vec<u64> {
    lives.iter().map(|l| l.record.seq).collect()
}

#[test]
fn a_received_message_is_invisible_until_its_timeout() {
    let q = queue(false, &[]);
    let mut s = q.lock();
    s.insert(message(1, None, 0, 0), None);
    let taken = s.take(0, 10, 30_000, tokens());
    assert_eq!(ids(&taken.delivered), [1]);
    assert_eq!(s.counts(0), (0, 1, 0));
    assert!(s.take(29_999, 10, 30_000, tokens()).delivered.is_empty());
    let again = s.take(30_000, 10, 30_000, tokens());
    assert_eq!(ids(&again.delivered), [1]);
    assert_eq!(again.delivered[0].receive_count, 2);
    assert_eq!(again.delivered[0].first_receive_ms, Some(0));
}

#[test]
fn delayed_messages_wait_and_are_counted_as_delayed() {
    let q = queue(false, &[]);
    let mut s = q.lock();
    s.insert(message(1, None, 0, 5_000), None);
    assert_eq!(s.counts(0), (0, 0, 1));
    assert!(s.take(4_999, 10, 30_000, tokens()).delivered.is_empty());
    assert_eq!(s.next_visible_after(0), Some(5_000));
    assert_eq!(ids(&s.take(5_000, 10, 30_000, tokens()).delivered), [1]);
}

#[test]
fn zero_visibility_timeout_delivers_once_per_receive() {
    let q = queue(false, &[]);
    let mut s = q.lock();
    s.insert(message(1, None, 0, 0), None);
    let taken = s.take(0, 10, 0, tokens());
    assert_eq!(ids(&taken.delivered), [1], "not delivered twice in one receive");
    assert_eq!(ids(&s.take(0, 10, 0, tokens()).delivered), [1]);
}

#[test]
fn messages_past_max_receive_count_become_dead_letters() {
    let q = queue(false, &[("RedrivePolicy", r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2}"#)]);
    let mut s = q.lock();
    s.insert(message(1, None, 0, 0), None);
    s.insert(message(2, None, 0, 0), None);
    assert_eq!(s.take(0, 1, 0, tokens()).delivered.len(), 1);
    assert_eq!(s.take(0, 10, 0, tokens()).delivered.len(), 2);
    let third = s.take(0, 10, 0, tokens());
    // Message 1 was received twice: it goes to the DLQ; message 2 (received once) is delivered.
    assert_eq!(ids(&third.delivered), [2]);
    assert_eq!(ids(&third.dead), [1]);
    let fourth = s.take(0, 10, 0, tokens());
    assert!(fourth.delivered.is_empty());
    assert_eq!(ids(&fourth.dead), [2]);
    assert!(s.is_empty());
}

#[test]
fn retention_drops_old_messages() {
    let q = queue(false, &[("MessageRetentionPeriod", "60")]);
    let mut s = q.lock();
    s.insert(message(1, None, 0, 0), None);
    s.insert(message(2, None, 30_000, 30_000), None);
    let taken = s.take(60_000, 10, 30_000, tokens());
    assert_eq!(taken.expired, [1]);
    assert_eq!(ids(&taken.delivered), [2]);
    let (expired, _) = s.expire(90_000);
    assert_eq!(expired, [2]);
    assert!(s.is_empty());
}

#[test]
fn delete_needs_the_latest_receipt() {
    let q = queue(false, &[]);
    let mut s = q.lock();
    s.insert(message(1, None, 0, 0), None);
    let first = s.take(0, 1, 0, tokens()).delivered[0].token;
    let second = s.take(0, 1, 0, || 99).delivered[0].token;
    assert!(matches!(s.remove(1, first), Removal::Stale));
    assert_eq!(s.len(), 1);
    assert!(matches!(s.remove(1, second), Removal::Removed));
    assert!(matches!(s.remove(1, second), Removal::Gone));
}

#[test]
fn visibility_changes_apply_to_in_flight_messages_only() {
    let q = queue(false, &[]);
    let mut s = q.lock();
    s.insert(message(1, None, 0, 0), None);
    assert_eq!(s.change_visibility(1, 0, 10, 0).unwrap_err(), VisibilityError::NoSuchReceipt);
    let token = s.take(0, 1, 30_000, tokens()).delivered[0].token;
    assert_eq!(s.change_visibility(1, token, 43_200_001, 0).unwrap_err(), VisibilityError::BeyondMaximum);
    s.change_visibility(1, token, 0, 0).unwrap();
    assert_eq!(s.counts(0), (1, 0, 0));
    assert_eq!(s.change_visibility(1, token, 10, 0).unwrap_err(), VisibilityError::NotInFlight);
}

#[test]
fn fifo_keeps_group_order_and_locks_groups_in_flight() {
    let q = queue(true, &[]);
    let mut s = q.lock();
    for (seq, group) in [(1, "a"), (2, "b"), (3, "a"), (4, "b"), (5, "c")] {
        s.insert(message(seq, Some(group), 0, 0), None);
    }
    let first = s.take(0, 2, 30_000, tokens());
    assert_eq!(ids(&first.delivered), [1, 2]);
    // Groups a and b are locked while 1 and 2 are in flight: only c is deliverable.
    let second = s.take(0, 10, 30_000, tokens());
    assert_eq!(ids(&second.delivered), [5]);
    assert!(s.take(0, 10, 30_000, tokens()).delivered.is_empty());
    assert!(matches!(s.remove(1, first.delivered[0].token), Removal::Removed));
    assert_eq!(ids(&s.take(0, 10, 30_000, tokens()).delivered), [3]);
}

#[test]
fn fifo_receive_takes_a_group_in_order() {
    let q = queue(true, &[]);
    let mut s = q.lock();
    for seq in 1..=4 {
        s.insert(message(seq, Some("g"), 0, 0), None);
    }
    assert_eq!(ids(&s.take(0, 3, 30_000, tokens()).delivered), [1, 2, 3]);
}

#[test]
fn fifo_dead_head_lets_the_group_move_on() {
    let q = queue(true, &[("RedrivePolicy", r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq.fifo","maxReceiveCount":1}"#)]);
    let mut s = q.lock();
    s.insert(message(1, Some("g"), 0, 0), None);
    s.insert(message(2, Some("g"), 0, 0), None);
    assert_eq!(ids(&s.take(0, 1, 0, tokens()).delivered), [1]);
    let next = s.take(0, 1, 0, tokens());
    assert_eq!(ids(&next.dead), [1]);
    assert_eq!(ids(&next.delivered), [2]);
}

#[test]
fn receive_attempts_replay_while_in_flight() {
    let q = queue(true, &[]);
    let mut s = q.lock();
    s.insert(message(1, Some("g"), 0, 0), None);
    let taken = s.take(0, 10, 30_000, tokens());
    s.remember_attempt("a1".into(), &taken.delivered, 0);
    assert_eq!(ids(&s.replay_attempt("a1", 1_000).unwrap()), [1]);
    assert!(s.replay_attempt("a1", 30_000).is_none(), "visible again: no replay");
    assert!(s.replay_attempt("other", 0).is_none());
}

#[test]
fn sequence_numbers_only_grow() {
    let q = queue(true, &[]);
    let mut s = q.lock();
    let a = s.next_seq(100);
    let b = s.next_seq(50);
    assert!(b > a);
    s.insert(message(1_000, Some("g"), 0, 0), None);
    assert!(s.next_seq(0) > 1_000);
}
