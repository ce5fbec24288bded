//! The one error this crate reports: an AWS error code and AWS's message.

/// Which of CloudWatch's client errors a refusal is. The service crate maps it to the model's
/// error shape; the message is the same whichever operation reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// `InvalidParameterValue` (GetMetricStatistics, PutMetricData, ...).
    InvalidParameterValue,
    /// `InvalidParameterCombination`.
    InvalidParameterCombination,
    /// `MissingParameter`.
    MissingParameter,
    /// `ValidationError` (PutMetricAlarm, PutCompositeAlarm, GetMetricData).
    Validation,
}

impl ErrorKind {
    /// The wire code AWS sends for this kind.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidParameterValue => "InvalidParameterValue",
            ErrorKind::InvalidParameterCombination => "InvalidParameterCombination",
            ErrorKind::MissingParameter => "MissingParameter",
            ErrorKind::Validation => "ValidationError",
        }
    }
}

/// A request CloudWatch would refuse (HTTP 400). `message` is ready to send as the error's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }

    pub fn invalid_value(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidParameterValue, message)
    }

    pub fn validation(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Validation, message)
    }

    /// The same refusal reported as another kind: PutMetricAlarm says `ValidationError` where
    /// GetMetricStatistics says `InvalidParameterValue` for the same check.
    pub fn with_kind(self, kind: ErrorKind) -> Error {
        Error { kind, ..self }
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
