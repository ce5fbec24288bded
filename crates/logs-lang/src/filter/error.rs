//! The one error a filter pattern can have: CloudWatch Logs refuses it with
//! `InvalidParameterException`, whose message depends on the operation that was given the pattern.

/// Which operation received the pattern: AWS words the refusal after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternUse {
    /// FilterLogEvents, StartLiveTail: "Invalid filter pattern".
    FilterLogEvents,
    /// PutMetricFilter, TestMetricFilter: "Invalid metric filter pattern".
    MetricFilter,
    /// PutSubscriptionFilter: "Invalid subscription filter pattern".
    SubscriptionFilter,
}

/// A pattern CloudWatch Logs would refuse. [`PatternError::message`] is the text of the
/// `InvalidParameterException`; [`PatternError::reason`] says what exactly is wrong (for logs and
/// tests: AWS does not tell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    reason: String,
    invalid_characters: Option<String>,
}

impl PatternError {
    pub(crate) fn new(reason: impl Into<String>) -> PatternError {
        PatternError { reason: reason.into(), invalid_characters: None }
    }

    /// A term with characters AWS only accepts inside double quotes: AWS names the term
    /// (`Invalid character(s) in term '...'`) whatever the operation.
    pub(crate) fn invalid_characters(term: &str) -> PatternError {
        PatternError {
            reason: format!("term {term:?} has characters that must be inside double quotes"),
            invalid_characters: Some(term.to_owned()),
        }
    }

    /// The `InvalidParameterException` message AWS answers for this pattern in `usage`.
    pub fn message(&self, usage: PatternUse) -> String {
        if let Some(term) = &self.invalid_characters {
            return format!("Invalid character(s) in term '{term}'");
        }
        match usage {
            PatternUse::FilterLogEvents => "Invalid filter pattern",
            PatternUse::MetricFilter => "Invalid metric filter pattern",
            PatternUse::SubscriptionFilter => "Invalid subscription filter pattern",
        }
        .to_owned()
    }

    /// What is wrong with the pattern, in Nimbus's words.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.message(PatternUse::FilterLogEvents), self.reason)
    }
}

impl std::error::Error for PatternError {}
