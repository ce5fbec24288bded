//! Filter patterns, as FilterLogEvents, metric filters, subscription filters and TestMetricFilter
//! read them: parsed and compiled once, then matched against each event's message.

mod aws_regex;
mod cursor;
mod delimited;
mod error;
mod json;
mod terms;
mod value_match;

use std::borrow::Cow;

use serde_json::Value;

pub use error::{PatternError, PatternUse};

use aws_regex::AwsRegex;
use delimited::{Bindings, DelimitedPattern};
use json::{JsonPattern, Selector};
use terms::TermPattern;

/// Which of AWS's pattern families a pattern belongs to. Metric filters may publish dimensions
/// only for [`PatternKind::Json`] and [`PatternKind::SpaceDelimited`] patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    /// The empty pattern: every event matches.
    Everything,
    /// Terms, exact phrases, `?optional` and `-excluded` terms.
    Terms,
    /// A standalone `%regex%`.
    Regex,
    /// `{ $.selector ... }`.
    Json,
    /// `[field, field = value, ...]`.
    SpaceDelimited,
}

/// A compiled filter pattern.
#[derive(Debug, Clone)]
pub struct FilterPattern {
    compiled: Compiled,
}

#[derive(Debug, Clone)]
enum Compiled {
    Everything,
    Terms(TermPattern),
    Regex(AwsRegex),
    Json(JsonPattern),
    Delimited(DelimitedPattern),
}

impl FilterPattern {
    /// Parses and compiles a pattern, or says why AWS would refuse it.
    pub fn parse(text: &str) -> Result<FilterPattern, PatternError> {
        let trimmed = text.trim();
        let compiled = if trimmed.is_empty() {
            Compiled::Everything
        } else if trimmed.starts_with('{') {
            Compiled::Json(JsonPattern::parse(trimmed)?)
        } else if trimmed.starts_with('[') {
            Compiled::Delimited(DelimitedPattern::parse(trimmed)?)
        } else if trimmed.len() >= 2 && trimmed.starts_with('%') && trimmed.ends_with('%') {
            Compiled::Regex(AwsRegex::compile(&trimmed[1..trimmed.len() - 1])?)
        } else {
            Compiled::Terms(TermPattern::parse(trimmed)?)
        };
        Ok(FilterPattern { compiled })
    }

    pub fn kind(&self) -> PatternKind {
        match self.compiled {
            Compiled::Everything => PatternKind::Everything,
            Compiled::Terms(_) => PatternKind::Terms,
            Compiled::Regex(_) => PatternKind::Regex,
            Compiled::Json(_) => PatternKind::Json,
            Compiled::Delimited(_) => PatternKind::SpaceDelimited,
        }
    }

    /// Whether the event message matches.
    pub fn matches(&self, message: &str) -> bool {
        match &self.compiled {
            Compiled::Everything => true,
            Compiled::Terms(terms) => terms.matches(message),
            Compiled::Regex(regex) => regex.is_match(message),
            Compiled::Json(pattern) => {
                pattern.may_match(message) && JsonPattern::document(message).is_some_and(|root| pattern.matches(&root))
            }
            Compiled::Delimited(pattern) => pattern.matches(message),
        }
    }

    /// Matches and, when the message matches, returns what a metric filter can read from it
    /// (`$.latency`, `$bytes`, `$3`). The message is parsed once for both.
    pub fn extract<'s, 'm>(&'s self, message: &'m str) -> Option<Extracted<'m>>
    where
        's: 'm,
    {
        let source = match &self.compiled {
            Compiled::Everything => Source::Nothing,
            Compiled::Terms(terms) => terms.matches(message).then_some(Source::Nothing)?,
            Compiled::Regex(regex) => regex.is_match(message).then_some(Source::Nothing)?,
            Compiled::Json(pattern) => {
                if !pattern.may_match(message) {
                    return None;
                }
                let root = JsonPattern::document(message)?;
                pattern.matches(&root).then_some(Source::Json(root))?
            }
            Compiled::Delimited(pattern) => Source::Fields(pattern.bind(message)?),
        };
        Some(Extracted { source })
    }
}

/// What a matching event offers to a metric filter's `metricValue` and dimensions.
#[derive(Debug, Clone)]
pub struct Extracted<'m> {
    source: Source<'m>,
}

#[derive(Debug, Clone)]
enum Source<'m> {
    /// Term and regex patterns extract nothing.
    Nothing,
    Json(Value),
    Fields(Bindings<'m>),
}

/// One extracted value.
#[derive(Debug, Clone, PartialEq)]
pub enum ExtractedValue<'a> {
    Text(Cow<'a, str>),
    Number(f64),
    Bool(bool),
    Null,
}

impl ExtractedValue<'_> {
    /// The value as a metric value: a number, or text that is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ExtractedValue::Number(n) => Some(*n),
            ExtractedValue::Text(text) => value_match::parse_plain_number(text.trim()),
            _ => None,
        }
    }

    /// The value as text (a dimension value, or TestMetricFilter's `extractedValues`).
    pub fn to_text(&self) -> String {
        match self {
            ExtractedValue::Text(text) => text.to_string(),
            ExtractedValue::Number(n) => format_number(*n),
            ExtractedValue::Bool(b) => b.to_string(),
            ExtractedValue::Null => "null".to_owned(),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

impl<'m> Extracted<'m> {
    /// Looks up a selector: `$.path` in a JSON event; `$name` or `$position` (1-based) in a
    /// space-delimited one. `None` when the pattern kind has no such value or the event lacks it.
    pub fn get(&self, selector: &str) -> Option<ExtractedValue<'_>> {
        match &self.source {
            Source::Nothing => None,
            Source::Json(root) => {
                let selector = Selector::parse(selector).ok()?;
                let node = *selector.resolve(root).first()?;
                Some(match node {
                    Value::String(text) => ExtractedValue::Text(Cow::Borrowed(text)),
                    Value::Number(number) => ExtractedValue::Number(number.as_f64()?),
                    Value::Bool(b) => ExtractedValue::Bool(*b),
                    Value::Null => ExtractedValue::Null,
                    other => ExtractedValue::Text(Cow::Owned(other.to_string())),
                })
            }
            Source::Fields(bindings) => {
                let key = selector.strip_prefix('$')?;
                if let Ok(position) = key.parse::<usize>() {
                    let value = bindings.tokens.get(position.checked_sub(1)?)?;
                    return Some(ExtractedValue::Text(Cow::Borrowed(value)));
                }
                bindings
                    .fields
                    .iter()
                    .find(|(name, _, _)| *name == Some(key))
                    .map(|(_, value, _)| ExtractedValue::Text(Cow::Borrowed(*value)))
            }
        }
    }

    /// A metric filter's `metricValue` for this event: a number written as is (`1`, `0.5`) or a
    /// selector whose value is numeric (`$.latency`, `$bytes`). `None` when there is no numeric
    /// value to publish.
    pub fn metric_value(&self, metric_value: &str) -> Option<f64> {
        let metric_value = metric_value.trim();
        if metric_value.starts_with('$') {
            self.get(metric_value)?.as_f64()
        } else {
            value_match::parse_pattern_number(metric_value)
        }
    }

    /// TestMetricFilter's `extractedValues`: for a space-delimited pattern, each named field as
    /// `$name` and every other event field as `$position`; empty for other patterns, as AWS
    /// documents ("If you are not using a space-delimited filter, this will be empty").
    pub fn values(&self) -> Vec<(String, String)> {
        let Source::Fields(bindings) = &self.source else { return Vec::new() };
        let mut values: Vec<(usize, String, String)> = Vec::new();
        let mut covered = vec![false; bindings.tokens.len()];
        for (name, value, position) in &bindings.fields {
            let index = position - 1;
            // A last field that took the rest of the event covers every event field after it.
            let last = if bindings.tokens[index].len() < value.len() { bindings.tokens.len() - 1 } else { index };
            covered[index..=last].iter_mut().for_each(|c| *c = true);
            let key = match name {
                Some(name) => format!("${name}"),
                None => format!("${position}"),
            };
            values.push((*position, key, (*value).to_owned()));
        }
        for (index, token) in bindings.tokens.iter().enumerate() {
            if !covered[index] {
                values.push((index + 1, format!("${}", index + 1), (*token).to_owned()));
            }
        }
        values.sort_by_key(|(position, _, _)| *position);
        values.into_iter().map(|(_, key, value)| (key, value)).collect()
    }
}
