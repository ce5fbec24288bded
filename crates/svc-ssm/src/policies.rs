//! Parameter policies: Expiration, ExpirationNotification, NoChangeNotification.
//!
//! `Policies` is a JSON array of `{"Type", "Version": "1.0", "Attributes": {...}}`:
//! - Expiration: `{"Timestamp": "2030-01-01T00:00:00.000Z"}` (ISO 8601, in the future);
//! - ExpirationNotification: `{"Before": "15", "Unit": "Days"|"Hours"}`;
//! - NoChangeNotification: `{"After": "20", "Unit": "Days"|"Hours"}`.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::{Iso8601, Rfc3339};

use crate::errors::{self, Res};
use crate::records::StoredPolicy;

pub const MAX_POLICIES: usize = 10;
const TYPES: [&str; 3] = ["Expiration", "ExpirationNotification", "NoChangeNotification"];

/// Validated policies and the expiry instant they set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub policies: Vec<StoredPolicy>,
    pub expires_at_ms: Option<i64>,
}

/// Parses and validates a `Policies` string. `[]` means no policies.
pub fn parse(text: &str, now_ms: i64) -> Res<Parsed> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| errors::invalid_policy_attribute(format!("the policies aren't valid JSON ({e})")))?;
    let Value::Array(items) = value else {
        return Err(errors::invalid_policy_attribute("the policies must be a JSON array").into());
    };
    if items.len() > MAX_POLICIES {
        return Err(errors::too_many_policies().into());
    }
    let mut parsed = Parsed::default();
    for item in items {
        let Value::Object(policy) = &item else {
            return Err(errors::invalid_policy_attribute("each policy must be a JSON object").into());
        };
        for key in policy.keys() {
            if !matches!(key.as_str(), "Type" | "Version" | "Attributes") {
                return Err(errors::invalid_policy_attribute(format!("unknown policy member {key}")).into());
            }
        }
        let policy_type = match policy.get("Type") {
            Some(Value::String(t)) => t.as_str(),
            Some(other) => return Err(errors::invalid_policy_type(&other.to_string()).into()),
            None => return Err(errors::invalid_policy_attribute("a policy has no Type").into()),
        };
        if !TYPES.contains(&policy_type) {
            return Err(errors::invalid_policy_type(policy_type).into());
        }
        match policy.get("Version") {
            Some(Value::String(v)) if v == "1.0" => {}
            _ => {
                return Err(errors::invalid_policy_attribute(format!(
                    "the Version of the {policy_type} policy must be 1.0"
                ))
                .into());
            }
        }
        let Some(Value::Object(attributes)) = policy.get("Attributes") else {
            return Err(errors::invalid_policy_attribute(format!(
                "the {policy_type} policy needs an Attributes object"
            ))
            .into());
        };
        if parsed.policies.iter().any(|p| p.policy_type == policy_type) {
            return Err(errors::incompatible_policies().into());
        }
        match policy_type {
            "Expiration" => {
                only(attributes, policy_type, &["Timestamp"])?;
                let at = expiration(attributes)?;
                if at <= now_ms {
                    return Err(
                        errors::invalid_policy_attribute("the Expiration Timestamp must be in the future").into()
                    );
                }
                parsed.expires_at_ms = Some(at);
            }
            "ExpirationNotification" => notification(attributes, policy_type, "Before")?,
            _ => notification(attributes, policy_type, "After")?,
        }
        parsed.policies.push(StoredPolicy {
            policy_type: policy_type.to_owned(),
            text: serde_json::to_string(&item).unwrap_or_default(),
        });
    }
    Ok(parsed)
}

fn only(attributes: &Map<String, Value>, policy_type: &str, allowed: &[&str]) -> Res<()> {
    match attributes.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => {
            Err(errors::invalid_policy_attribute(format!("{key} isn't an attribute of the {policy_type} policy"))
                .into())
        }
        None => Ok(()),
    }
}

fn expiration(attributes: &Map<String, Value>) -> Res<i64> {
    let Some(Value::String(stamp)) = attributes.get("Timestamp") else {
        return Err(errors::invalid_policy_attribute("the Expiration policy needs a Timestamp").into());
    };
    let at =
        OffsetDateTime::parse(stamp, &Rfc3339).or_else(|_| OffsetDateTime::parse(stamp, &Iso8601::DEFAULT)).map_err(
            |_| errors::invalid_policy_attribute(format!("the Timestamp {stamp} isn't an ISO 8601 date and time")),
        )?;
    Ok((at.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn notification(attributes: &Map<String, Value>, policy_type: &str, amount_key: &str) -> Res<()> {
    only(attributes, policy_type, &[amount_key, "Unit"])?;
    let amount = match attributes.get(amount_key) {
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    };
    if amount.is_none_or(|n| n == 0) {
        return Err(errors::invalid_policy_attribute(format!(
            "the {amount_key} attribute of the {policy_type} policy must be a positive whole number"
        ))
        .into());
    }
    match attributes.get("Unit") {
        Some(Value::String(u)) if u == "Days" || u == "Hours" => Ok(()),
        _ => {
            Err(errors::invalid_policy_attribute(format!("the Unit of the {policy_type} policy must be Days or Hours"))
                .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn accepts_the_three_policy_types() {
        let parsed = parse(
            r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"}},
                {"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"15","Unit":"Days"}},
                {"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"20","Unit":"Hours"}}]"#,
            NOW,
        )
        .unwrap();
        assert_eq!(parsed.policies.len(), 3);
        assert_eq!(parsed.expires_at_ms, Some(1_893_456_000_000));
        assert_eq!(
            parsed.policies[1].text,
            r#"{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"15","Unit":"Days"}}"#
        );
        assert_eq!(parse("[]", NOW).unwrap(), Parsed::default());
    }

    #[test]
    fn rejects_bad_policies_with_aws_codes() {
        let code = |text: &str| parse(text, NOW).unwrap_err().0.code;
        assert_eq!(code(r#"[{"Type":"Rotate","Version":"1.0","Attributes":{}}]"#), "InvalidPolicyTypeException");
        assert_eq!(
            code(r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"tomorrow"}}]"#),
            "InvalidPolicyAttributeException"
        );
        assert_eq!(
            code(r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2001-01-01T00:00:00Z"}}]"#),
            "InvalidPolicyAttributeException"
        );
        assert_eq!(
            code(r#"[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"2","Unit":"Weeks"}}]"#),
            "InvalidPolicyAttributeException"
        );
        assert_eq!(code("not json"), "InvalidPolicyAttributeException");
        let twice = r#"{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"2","Unit":"Days"}}"#;
        assert_eq!(code(&format!("[{twice},{twice}]")), "IncompatiblePolicyException");
        assert_eq!(code(&format!("[{}]", [twice; 11].join(","))), "PoliciesLimitExceededException");
    }
}
