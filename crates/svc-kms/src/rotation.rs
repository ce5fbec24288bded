//! Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand, ListKeyRotations. Automatic rotations happen on Nimbus's clock (see
//! [`crate::due`]); every material version is kept, so old ciphertexts still decrypt.

use nimbus_core::RequestContext;
use serde_json::{Value, json};

use crate::errors::{Res, disabled, limit_exceeded, pending_import, unsupported};
use crate::input::{Input, Out, encode_marker, timestamp, with_page};
use crate::lookup::check_not_pending_deletion;
use crate::records::{AutoRotation, KeyRecord, KeyState, RotationType};
use crate::spec::Origin;
use crate::Inner;

/// Rotations applied at once when the clock jumped past several rotation dates.
pub const MAX_CATCH_UP_ROTATIONS: usize = 64;
const DEFAULT_PERIOD_DAYS: i64 = 365;
const MIN_PERIOD_DAYS: i64 = 90;
const MAX_PERIOD_DAYS: i64 = 2560;
const DAY_MS: i64 = 86_400_000;
/// On-demand rotations a key may have (AWS's quota).
const MAX_ON_DEMAND_ROTATIONS: usize = 10;

/// Rotation applies to symmetric encryption keys whose material KMS generated, and is
/// managed by a multi-region key's primary.
fn check_rotatable(key: &KeyRecord) -> Res<()> {
    if !key.spec.is_symmetric() {
        return Err(unsupported(format!("{} key spec is {}, which does not support key rotation.", key.arn(), key.spec.as_str())));
    }
    if key.origin != Origin::AwsKms {
        return Err(unsupported(format!("{} has imported key material ({}); KMS does not rotate it.", key.arn(), key.origin.as_str())));
    }
    if let Some(family) = &key.multi_region
        && family.primary_region != key.region
    {
        return Err(unsupported(format!("{} is a multi-Region replica key; rotation is managed by its primary key.", key.arn())));
    }
    Ok(())
}

/// The key states rotation changes accept.
fn check_state(key: &KeyRecord) -> Res<()> {
    check_not_pending_deletion(key)?;
    match key.state {
        KeyState::Disabled => Err(disabled(&key.arn())),
        KeyState::PendingImport => Err(pending_import(&key.arn())),
        _ => Ok(()),
    }
}

impl Inner {
    pub(crate) fn enable_key_rotation(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.customer_key(ctx, input, "EnableKeyRotation")?;
        check_rotatable(&key)?;
        check_state(&key)?;
        let period_days = input.int("RotationPeriodInDays").unwrap_or(DEFAULT_PERIOD_DAYS);
        if !(MIN_PERIOD_DAYS..=MAX_PERIOD_DAYS).contains(&period_days) {
            let bound = if period_days < MIN_PERIOD_DAYS {
                format!("greater than or equal to {MIN_PERIOD_DAYS}")
            } else {
                format!("less than or equal to {MAX_PERIOD_DAYS}")
            };
            return Err(crate::errors::validation(format!(
                "1 validation error detected: Value '{period_days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value {bound}"
            )));
        }
        let now = self.now();
        self.update_key(&key, |k| {
            check_state(k)?;
            // A new period on a key already rotating counts from the same anchor (its last
            // rotation, or when rotation was enabled); a first enablement counts from now.
            let anchor = k.rotation.as_ref().map_or(now, |r| r.next_ms - r.period_days * DAY_MS);
            k.rotation = Some(AutoRotation { period_days, next_ms: anchor + period_days * DAY_MS });
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn disable_key_rotation(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.customer_key(ctx, input, "DisableKeyRotation")?;
        check_rotatable(&key)?;
        check_state(&key)?;
        self.update_key(&key, |k| {
            check_state(k)?;
            k.rotation = None;
            Ok(())
        })?;
        Ok(json!({}))
    }

    pub(crate) fn get_key_rotation_status(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        check_not_pending_deletion(&key)?;
        if !key.spec.is_symmetric() || key.origin != Origin::AwsKms {
            check_rotatable(&key)?;
        }
        let rotation = match &key.multi_region {
            // A replica rotates with its primary.
            Some(family) if family.primary_region != key.region => {
                self.load_key(&key.account, &family.primary_region, &key.key_id)?.and_then(|p| p.rotation)
            }
            _ => key.rotation.clone(),
        };
        let mut out = Out::new().set("KeyRotationEnabled", rotation.is_some()).set("KeyId", key.arn());
        if let Some(rotation) = rotation {
            out = out.set("RotationPeriodInDays", rotation.period_days).time("NextRotationDate", rotation.next_ms);
        }
        if let Some(latest) = key.materials.iter().rev().find(|m| m.rotation == Some(RotationType::OnDemand))
            && latest.created_ms + DAY_MS > self.now()
        {
            out = out.time("OnDemandRotationStartDate", latest.created_ms);
        }
        Ok(out.done())
    }

    pub(crate) fn rotate_key_on_demand(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.customer_key(ctx, input, "RotateKeyOnDemand")?;
        check_rotatable(&key)?;
        check_state(&key)?;
        let on_demand = key.materials.iter().filter(|m| m.rotation == Some(RotationType::OnDemand)).count();
        if on_demand >= MAX_ON_DEMAND_ROTATIONS {
            return Err(limit_exceeded(format!(
                "{} has reached the limit of {MAX_ON_DEMAND_ROTATIONS} on-demand rotations.",
                key.arn()
            )));
        }
        let now = self.now();
        let mut rotated = key.clone();
        self.add_material(&mut rotated, now, Some(RotationType::OnDemand))?;
        let new_material = rotated.materials.last().cloned();
        self.transaction(|t| {
            let old = t
                .get::<KeyRecord>(&crate::records::scope(&key.account, &key.region), &key.key_id)?
                .ok_or_else(|| crate::errors::key_not_found(&key.arn()))?;
            check_state(&old)?;
            let mut new = old.clone();
            if let Some(material) = new_material.clone() {
                new.materials.push(material);
                new.current = new.materials.len() - 1;
            }
            crate::due::put_key(t, Some(&old), &new)?;
            self.sync_replicas(t, &new)
        })?;
        Ok(json!({ "KeyId": key.key_id }))
    }

    pub(crate) fn list_key_rotations(&self, ctx: &RequestContext, input: &Input) -> Res<Value> {
        let key = self.find_key(ctx, input.required_str("KeyId")?, false)?;
        check_not_pending_deletion(&key)?;
        if !key.spec.is_symmetric() {
            return Err(unsupported(format!("{} key spec is {}, which does not support key rotation.", key.arn(), key.spec.as_str())));
        }
        let all_material = match input.str("IncludeKeyMaterial") {
            None | Some("ROTATIONS_ONLY") => false,
            Some("ALL_KEY_MATERIAL") => true,
            Some(other) => return Err(crate::errors::not_in_enum("includeKeyMaterial", other, &["ALL_KEY_MATERIAL", "ROTATIONS_ONLY"])),
        };
        let limit = input.limit(100);
        let after: Option<usize> = input.marker()?.and_then(|m| m.parse().ok());
        let entries: Vec<(usize, Value)> = key
            .materials
            .iter()
            .enumerate()
            .filter(|(_, m)| all_material || m.rotation.is_some())
            .filter(|(i, _)| after.is_none_or(|a| *i > a))
            .map(|(i, m)| {
                let mut out = Out::new()
                    .set("KeyId", key.key_id.clone())
                    .set("KeyMaterialId", m.id.clone())
                    .set("KeyMaterialState", if i == key.current { "CURRENT" } else { "NON_CURRENT" });
                if let Some(rotation) = m.rotation {
                    out = out.set("RotationDate", timestamp(m.created_ms)).set("RotationType", rotation.as_str());
                }
                if m.imported {
                    out = out.set("ImportState", if m.sealed.is_some() { "IMPORTED" } else { "PENDING_IMPORT" }).opt("KeyMaterialDescription", m.description.clone());
                }
                (i, out.done())
            })
            .collect();
        let more = entries.len() > limit;
        let shown: Vec<(usize, Value)> = entries.into_iter().take(limit).collect();
        let next = if more { shown.last().map(|(i, _)| encode_marker(&i.to_string())) } else { None };
        let rotations: Vec<Value> = shown.into_iter().map(|(_, v)| v).collect();
        Ok(with_page(Out::new().set("Rotations", rotations), next).done())
    }
}
