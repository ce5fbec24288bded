//! Clock-driven work: deletions whose waiting period ended, automatic rotations whose date
//! came, imported material that expired. Applied by the sweeper ([`Inner::sweep`]) and lazily
//! by every read of the key ([`Inner::settle`]), so results never depend on the sweeper's timing.
//!
//! Every key's pending work is mirrored in [`DueRecord`]s (written with the key, in the same
//! transaction, by [`put_key`]), ordered by due time, so a sweep reads only what is due.

use nimbus_store::Txn;

use crate::errors::Res;
use crate::records::{AliasRecord, DUE_SCOPE, DueRecord, DueWork, GrantRecord, KeyRecord, KeyState, grant_scope, scope};
use crate::rotation::MAX_CATCH_UP_ROTATIONS;
use crate::Inner;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub deleted: usize,
    pub rotated: usize,
    pub expired: usize,
}

/// The due entries a key's state implies.
pub fn due_entries(key: &KeyRecord) -> Vec<DueRecord> {
    let mut out = Vec::new();
    if key.state == KeyState::PendingDeletion
        && let Some(deletion) = &key.deletion
    {
        out.push(DueRecord::new(DueWork::Deletion, deletion.due_ms, key));
    }
    if let Some(rotation) = &key.rotation {
        out.push(DueRecord::new(DueWork::Rotation, rotation.next_ms, key));
    }
    if let Some(expiry) = &key.imported_expiry
        && expiry.expires
        && let Some(valid_to) = expiry.valid_to_ms
        && key.current_material().is_some_and(|m| m.sealed.is_some())
    {
        out.push(DueRecord::new(DueWork::MaterialExpiry, valid_to, key));
    }
    out
}

/// Writes `key` and brings its due entries in line with it (`old`: the record as it was).
pub fn put_key(t: &mut Txn, old: Option<&KeyRecord>, key: &KeyRecord) -> Res<()> {
    t.put(&scope(&key.account, &key.region), &key.key_id, key)?;
    let before: Vec<String> = old.map(due_entries).unwrap_or_default().iter().map(DueRecord::key).collect();
    let after = due_entries(key);
    for stale in before.iter().filter(|k| !after.iter().any(|a| &a.key() == *k)) {
        t.delete::<DueRecord>(DUE_SCOPE, stale)?;
    }
    for entry in after.iter().filter(|a| !before.contains(&a.key())) {
        t.put(DUE_SCOPE, &entry.key(), entry)?;
    }
    Ok(())
}

/// Deletes a key for good: its record, due entries, aliases and grants.
pub fn delete_key(t: &mut Txn, key: &KeyRecord) -> Res<()> {
    let key_scope = scope(&key.account, &key.region);
    t.delete::<KeyRecord>(&key_scope, &key.key_id)?;
    for entry in due_entries(key) {
        t.delete::<DueRecord>(DUE_SCOPE, &entry.key())?;
    }
    let mut after: Option<String> = None;
    loop {
        let page = t.list::<AliasRecord>(&key_scope, "", after.as_deref(), 500)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        for (name, alias) in &page {
            if alias.target_key_id == key.key_id {
                t.delete::<AliasRecord>(&key_scope, name)?;
            }
        }
    }
    t.delete_scope::<GrantRecord>(&grant_scope(&key.account, &key.region, &key.key_id))?;
    Ok(())
}

impl Inner {
    pub(crate) fn has_due_work(&self, key: &KeyRecord, now: i64) -> bool {
        let deletion = key.state == KeyState::PendingDeletion && key.deletion.as_ref().is_some_and(|d| d.due_ms <= now);
        let rotation = key.state == KeyState::Enabled && key.rotation.as_ref().is_some_and(|r| r.next_ms <= now);
        let expiry = key
            .imported_expiry
            .as_ref()
            .is_some_and(|e| e.expires && e.valid_to_ms.is_some_and(|v| v <= now))
            && key.current_material().is_some_and(|m| m.sealed.is_some());
        deletion || rotation || expiry
    }

    /// Applies the key's due work in one transaction; `None` if the key is (now) deleted.
    pub(crate) fn settle(&self, account: &str, region: &str, key_id: &str) -> Res<Option<KeyRecord>> {
        self.settle_counting(account, region, key_id, &mut SweepReport::default())
    }

    fn settle_counting(&self, account: &str, region: &str, key_id: &str, report: &mut SweepReport) -> Res<Option<KeyRecord>> {
        let now = self.now();
        self.transaction(|t| {
            let Some(old) = t.get::<KeyRecord>(&scope(account, region), key_id)? else { return Ok(None) };
            if !self.has_due_work(&old, now) {
                return Ok(Some(old));
            }
            if old.state == KeyState::PendingDeletion && old.deletion.as_ref().is_some_and(|d| d.due_ms <= now) {
                delete_key(t, &old)?;
                report.deleted += 1;
                tracing::info!(key = %old.arn(), "KMS key deleted: its waiting period ended");
                return Ok(None);
            }
            let mut key = old.clone();
            if key.imported_expiry.as_ref().is_some_and(|e| e.expires && e.valid_to_ms.is_some_and(|v| v <= now)) {
                for material in key.materials.iter_mut().filter(|m| m.imported) {
                    material.sealed = None;
                }
                if key.state != KeyState::PendingDeletion {
                    key.state = KeyState::PendingImport;
                }
                key.imported_expiry = None;
                report.expired += 1;
            }
            let mut rounds = 0;
            while key.state == KeyState::Enabled
                && let Some(rotation) = key.rotation.clone()
                && rotation.next_ms <= now
                && rounds < MAX_CATCH_UP_ROTATIONS
            {
                self.add_material(&mut key, rotation.next_ms, Some(crate::records::RotationType::Automatic))?;
                let period_ms = rotation.period_days * 86_400_000;
                key.rotation = Some(crate::records::AutoRotation { period_days: rotation.period_days, next_ms: rotation.next_ms + period_ms });
                rounds += 1;
                report.rotated += 1;
            }
            if rounds == MAX_CATCH_UP_ROTATIONS
                && let Some(rotation) = key.rotation.as_mut()
                && rotation.next_ms <= now
            {
                // The clock jumped further than any sane catch-up: resume the schedule from now.
                rotation.next_ms = now + rotation.period_days * 86_400_000;
            }
            put_key(t, Some(&old), &key)?;
            if rounds > 0 {
                self.sync_replicas(t, &key)?;
            }
            Ok(Some(key))
        })
    }

    pub(crate) fn sweep(&self) -> SweepReport {
        let mut report = SweepReport::default();
        let now = self.now();
        let mut after: Option<String> = None;
        loop {
            let page = match self.store.list::<DueRecord>(DUE_SCOPE, "", after.as_deref(), 200) {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!("KMS sweep could not read due work: {e}");
                    return report;
                }
            };
            let Some((last, _)) = page.last() else { return report };
            after = Some(last.clone());
            for (entry_key, entry) in &page {
                if entry.due_ms > now {
                    return report;
                }
                match self.settle_counting(&entry.account, &entry.region, &entry.key_id, &mut report) {
                    Ok(key) => {
                        // An entry its key no longer implies (the key is gone) must not be read
                        // again every sweep. A rotation deferred while the key is disabled stays.
                        let still_due = key.as_ref().is_some_and(|k| due_entries(k).iter().any(|e| &e.key() == entry_key));
                        if !still_due {
                            let _ = self.store.delete::<DueRecord>(DUE_SCOPE, entry_key);
                        }
                    }
                    Err(e) => tracing::warn!(key = %entry.key_id, "KMS sweep failed: {}", e.0),
                }
            }
        }
    }
}
