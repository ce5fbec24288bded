//! RotateSecret and CancelRotateSecret, and the rotation schedule (`NextRotationDate`).
//!
//! Nimbus has no Lambda yet: RotateSecret records and validates the configuration but runs no
//! rotation function (see the crate documentation).

use nimbus_core::{Document, RequestContext};
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Date, Month, Time};

use crate::errors::{DAY_MS, Out, Res, date_time, fail, invalid_parameter, invalid_request};
use crate::records::{RotationRules, SecretRecord};
use crate::state::{self, AWSCURRENT, AWSPENDING, new_token, save};
use crate::{SecretsManager, parse};

const HOUR_MS: i64 = 3_600_000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotationRulesInput {
    automatically_after_days: Option<i64>,
    duration: Option<String>,
    schedule_expression: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct MetadataItem {
    key: Option<String>,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RotateSecretInput {
    secret_id: String,
    client_request_token: Option<String>,
    #[serde(rename = "RotationLambdaARN")]
    rotation_lambda_arn: Option<String>,
    rotation_rules: Option<RotationRulesInput>,
    external_secret_rotation_metadata: Option<Vec<MetadataItem>>,
    external_secret_rotation_role_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SecretIdInput {
    secret_id: String,
}

pub fn rules_doc(rules: &RotationRules) -> Value {
    Out::new()
        .opt("AutomaticallyAfterDays", rules.automatically_after_days)
        .opt("Duration", rules.duration.clone())
        .opt("ScheduleExpression", rules.schedule_expression.clone())
        .done()
}

/// A parsed `ScheduleExpression`.
enum Schedule {
    Every(i64),
    /// `None`: a valid cron expression using features (`W`, `#`) whose dates Nimbus does not
    /// compute.
    Cron(Option<Box<Cron>>),
}

fn validate_rules(input: RotationRulesInput) -> Res<RotationRules> {
    if input.automatically_after_days.is_some() && input.schedule_expression.is_some() {
        return fail(invalid_parameter("You cannot specify both rotation frequency and schedule expression together."));
    }
    if let Some(days) = input.automatically_after_days
        && !(1..=1000).contains(&days)
    {
        return fail(invalid_parameter("AutomaticallyAfterDays must be between 1 and 1000 (inclusive)."));
    }
    if let Some(expression) = &input.schedule_expression {
        parse_schedule(expression).map_err(|e| invalid_parameter(format!("Invalid ScheduleExpression: {e}")))?;
    }
    if let Some(duration) = &input.duration {
        let hours = duration.strip_suffix('h').and_then(|h| h.parse::<i64>().ok());
        if !hours.is_some_and(|h| (1..=24).contains(&h)) {
            return fail(invalid_parameter("The rotation window Duration must be between 1h and 24h (inclusive)."));
        }
    }
    Ok(RotationRules {
        automatically_after_days: input.automatically_after_days,
        duration: input.duration,
        schedule_expression: input.schedule_expression,
    })
}

fn parse_schedule(expression: &str) -> Result<Schedule, String> {
    let expression = expression.trim();
    if let Some(body) = expression.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let (count, unit) = body.trim().split_once(' ').ok_or("a rate needs a number and a unit")?;
        let count: i64 = count.parse().map_err(|_| format!("{count} is not a number"))?;
        return match unit.trim() {
            "day" | "days" if (1..=1000).contains(&count) => Ok(Schedule::Every(count * DAY_MS)),
            "hour" | "hours" if (4..=23).contains(&count) => Ok(Schedule::Every(count * HOUR_MS)),
            "day" | "days" => Err("a rate in days must be between 1 and 1000".into()),
            "hour" | "hours" => Err("a rate in hours must be between 4 and 23".into()),
            other => Err(format!("unsupported rate unit {other}")),
        };
    }
    if let Some(body) = expression.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return Cron::parse(body).map(|c| Schedule::Cron(c.map(Box::new)));
    }
    Err("it must be rate(...) or cron(...)".into())
}

/// When the secret is next due for rotation, if rotation is on and the schedule is computable.
pub fn next_rotation_ms(secret: &SecretRecord) -> Option<i64> {
    let rotation = &secret.rotation;
    if !rotation.enabled {
        return None;
    }
    let base = rotation.last_rotated_ms.max(rotation.configured_ms).unwrap_or(secret.created_ms);
    let rules = rotation.rules.as_ref()?;
    if let Some(days) = rules.automatically_after_days {
        return Some(base + days * DAY_MS);
    }
    match parse_schedule(rules.schedule_expression.as_deref()?).ok()? {
        Schedule::Every(ms) => Some(base + ms),
        Schedule::Cron(cron) => cron?.next_after(base),
    }
}

/// An AWS cron expression: minutes hours day-of-month month day-of-week year.
struct Cron {
    minutes: Vec<bool>,
    hours: Vec<bool>,
    /// `None`: `?`.
    days_of_month: Option<Vec<bool>>,
    last_day_of_month: bool,
    months: Vec<bool>,
    /// `None`: `?`. Index 1 = Sunday ... 7 = Saturday.
    days_of_week: Option<Vec<bool>>,
    years: Vec<bool>,
}

const MONTH_NAMES: &[&str] = &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIRST_YEAR: u32 = 1970;
const LAST_YEAR: u32 = 2199;

/// Parses one field into a membership table indexed by value; `names` map to `min`, `min+1`...
fn parse_field(text: &str, min: u32, max: u32, names: &[&str]) -> Result<Vec<bool>, String> {
    let value = |s: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(min + i as u32);
        }
        let v: u32 = s.parse().map_err(|_| format!("{s} is not a valid value"))?;
        if (min..=max).contains(&v) { Ok(v) } else { Err(format!("{v} is out of range {min}-{max}")) }
    };
    let mut set = vec![false; max as usize + 1];
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| format!("{step} is not a valid step"))?;
                if step == 0 {
                    return Err("a step must be positive".into());
                }
                (range, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((lo, hi)) = range.split_once('-') {
            (value(lo)?, value(hi)?)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { max } else { v })
        };
        if lo > hi {
            return Err(format!("{range} is an empty range"));
        }
        for v in (lo..=hi).step_by(step as usize) {
            set[v as usize] = true;
        }
    }
    Ok(set)
}

impl Cron {
    /// `Ok(None)` for valid expressions using `W`, `#` or `L` in day-of-week.
    fn parse(body: &str) -> Result<Option<Cron>, String> {
        let fields: Vec<&str> = body.split_whitespace().collect();
        let [minutes, hours, dom, month, dow, year] = fields[..] else {
            return Err("a cron expression has six fields".into());
        };
        if (dom == "?") == (dow == "?") {
            return Err("exactly one of day-of-month and day-of-week must be ?".into());
        }
        let unsupported = dom.contains('W') || dow.contains('#') || dow.contains('L');
        let mut last_day_of_month = false;
        let days_of_month = match dom {
            "?" => None,
            "L" => {
                last_day_of_month = true;
                Some(vec![false; 32])
            }
            _ if unsupported => None,
            _ => Some(parse_field(dom, 1, 31, &[])?),
        };
        let days_of_week = match dow {
            "?" => None,
            _ if unsupported => None,
            _ => Some(parse_field(dow, 1, 7, DAY_NAMES)?),
        };
        let cron = Cron {
            minutes: parse_field(minutes, 0, 59, &[])?,
            hours: parse_field(hours, 0, 23, &[])?,
            days_of_month,
            last_day_of_month,
            months: parse_field(month, 1, 12, MONTH_NAMES)?,
            days_of_week,
            years: parse_field(year, FIRST_YEAR, LAST_YEAR, &[])?,
        };
        Ok((!unsupported).then_some(cron))
    }

    fn matches_day(&self, date: Date) -> bool {
        let year_ok = u32::try_from(date.year()).ok().and_then(|y| self.years.get(y as usize)).copied() == Some(true);
        let month_ok = self.months[u8::from(date.month()) as usize];
        let dom_ok = match &self.days_of_month {
            None => true,
            Some(_) if self.last_day_of_month => date.day() == date.month().length(date.year()),
            Some(set) => set[date.day() as usize],
        };
        let dow_ok = match &self.days_of_week {
            None => true,
            Some(set) => set[date.weekday().number_from_sunday() as usize],
        };
        year_ok && month_ok && dom_ok && dow_ok
    }

    /// The first matching minute strictly after `after_ms`, searching ten years ahead.
    fn next_after(&self, after_ms: i64) -> Option<i64> {
        let mut date = date_time(after_ms).date();
        for _ in 0..3660 {
            if self.matches_day(date) {
                for hour in (0..24u8).filter(|h| self.hours[*h as usize]) {
                    for minute in (0..60u8).filter(|m| self.minutes[*m as usize]) {
                        let at = date.with_time(Time::from_hms(hour, minute, 0).ok()?).assume_utc();
                        let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
                        if ms > after_ms {
                            return Some(ms);
                        }
                    }
                }
            }
            date = date.next_day()?;
            if date.month() == Month::January && date.day() == 1 && date.year() as u32 > LAST_YEAR {
                return None;
            }
        }
        None
    }
}

impl SecretsManager {
    pub(crate) fn rotate_secret(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: RotateSecretInput = parse(input)?;
        let rules = input.rotation_rules.map(validate_rules).transpose()?;
        let metadata: Option<Vec<(String, String)>> = input
            .external_secret_rotation_metadata
            .map(|items| {
                items
                    .into_iter()
                    .map(|i| match (i.key, i.value) {
                        (Some(k), Some(v)) => Ok((k, v)),
                        _ => {
                            fail(invalid_parameter("Each ExternalSecretRotationMetadata item needs a Key and a Value."))
                        }
                    })
                    .collect::<Res<Vec<_>>>()
            })
            .transpose()?;
        let now = self.now();
        self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            let pending = secret.version_with_stage(AWSPENDING);
            if let Some(pending) = pending
                && !pending.has_stage(AWSCURRENT)
            {
                return fail(invalid_request("A previous rotation isn't complete. That rotation will be reattempted."));
            }
            let rotation = &mut secret.rotation;
            if let Some(arn) = input.rotation_lambda_arn.clone().filter(|a| !a.is_empty()) {
                rotation.lambda_arn = Some(arn);
            }
            if let Some(metadata) = metadata.clone() {
                rotation.external_metadata = metadata;
            }
            if let Some(role) = input.external_secret_rotation_role_arn.clone() {
                rotation.external_role_arn = Some(role);
            }
            let externally_managed = !rotation.external_metadata.is_empty() || rotation.external_role_arn.is_some();
            if rotation.lambda_arn.is_none() && !externally_managed {
                return fail(invalid_request("No Lambda rotation function ARN is associated with this secret."));
            }
            if let Some(rules) = rules.clone() {
                rotation.rules = Some(rules);
            }
            rotation.enabled = true;
            rotation.configured_ms = Some(now);
            secret.last_changed_ms = now;
            save(txn, scope, &secret)?;
            let version_id = input.client_request_token.clone().unwrap_or_else(new_token);
            Ok(json!({"ARN": secret.arn, "Name": secret.name, "VersionId": version_id}))
        })
    }

    pub(crate) fn cancel_rotate_secret(&self, ctx: &RequestContext, input: Document) -> Res<Document> {
        let input: SecretIdInput = parse(input)?;
        let now = self.now();
        self.tx(ctx, |txn, scope| {
            let mut secret = state::require_live(txn, ctx, scope, &input.secret_id, now)?;
            secret.rotation.enabled = false;
            secret.last_changed_ms = now;
            save(txn, scope, &secret)?;
            let pending =
                secret.version_with_stage(AWSPENDING).filter(|v| !v.has_stage(AWSCURRENT)).map(|v| v.id.clone());
            Ok(Out::new()
                .set("ARN", secret.arn.clone())
                .set("Name", secret.name.clone())
                .opt("VersionId", pending)
                .done())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u8, d: u8, h: u8, min: u8) -> i64 {
        let date = Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap();
        (date.with_time(Time::from_hms(h, min, 0).unwrap()).assume_utc().unix_timestamp_nanos() / 1_000_000) as i64
    }

    fn next(expr: &str, after: i64) -> Option<i64> {
        match parse_schedule(expr).unwrap() {
            Schedule::Cron(Some(c)) => c.next_after(after),
            _ => panic!("not a computable cron"),
        }
    }

    #[test]
    fn cron_next_dates() {
        // 16:00 on the 1st and 15th.
        assert_eq!(next("cron(0 16 1,15 * ? *)", ms(2024, 3, 2, 0, 0)), Some(ms(2024, 3, 15, 16, 0)));
        // Every Sunday at 10:00 (1 = SUN); 2024-03-03 is a Sunday.
        assert_eq!(next("cron(0 10 ? * 1 *)", ms(2024, 3, 1, 0, 0)), Some(ms(2024, 3, 3, 10, 0)));
        assert_eq!(next("cron(0 10 ? * SUN *)", ms(2024, 3, 3, 10, 0)), Some(ms(2024, 3, 10, 10, 0)));
        // Last day of February in a leap year.
        assert_eq!(next("cron(30 2 L 2 ? *)", ms(2024, 1, 1, 0, 0)), Some(ms(2024, 2, 29, 2, 30)));
        // Every 4 hours.
        assert_eq!(next("cron(0 */4 * * ? *)", ms(2024, 1, 1, 1, 0)), Some(ms(2024, 1, 1, 4, 0)));
    }

    #[test]
    fn schedule_validation() {
        assert!(parse_schedule("rate(10 days)").is_ok());
        assert!(parse_schedule("rate(4 hours)").is_ok());
        assert!(parse_schedule("rate(2 hours)").is_err());
        assert!(parse_schedule("rate(0 days)").is_err());
        assert!(parse_schedule("cron(0 16 1 * * *)").is_err(), "both day fields set");
        assert!(parse_schedule("cron(0 16 1 *)").is_err());
        assert!(parse_schedule("cron(0 25 1 * ? *)").is_err());
        assert!(matches!(parse_schedule("cron(0 8 ? * 6#3 *)"), Ok(Schedule::Cron(None))));
        assert!(parse_schedule("every day").is_err());
    }
}
