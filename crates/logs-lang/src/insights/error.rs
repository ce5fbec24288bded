//! StartQuery's refusal: `MalformedQueryException` with a `queryCompileError` that says what is
//! wrong and where (character offsets into the query string).

/// A query CloudWatch Logs Insights would refuse with `MalformedQueryException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// `queryCompileError.message`.
    pub message: String,
    /// `queryCompileError.location.startCharOffset`: the first character of the offending text,
    /// counted in characters from the start of the query.
    pub start_char_offset: usize,
    /// `queryCompileError.location.endCharOffset`: the last character of the offending text.
    pub end_char_offset: usize,
    /// 1-based line of the offending text.
    pub line: usize,
    /// 0-based character position of the offending text in its line.
    pub column: usize,
}

impl QueryError {
    /// An error on the byte range `start..end` of `query`.
    pub(crate) fn at(query: &str, start: usize, end: usize, message: impl Into<String>) -> QueryError {
        let start = start.min(query.len());
        let end = end.clamp(start, query.len());
        let start_char_offset = query[..start].chars().count();
        let end_char_offset = start_char_offset + query[start..end].chars().count().saturating_sub(1);
        let line_start = query[..start].rfind('\n').map_or(0, |i| i + 1);
        QueryError {
            message: message.into(),
            start_char_offset,
            end_char_offset,
            line: query[..start].matches('\n').count() + 1,
            column: query[line_start..start].chars().count(),
        }
    }

    /// AWS's wording for a token the grammar does not expect there.
    pub(crate) fn unexpected(query: &str, start: usize, end: usize) -> QueryError {
        let found = if start >= query.len() { "<EOF>" } else { &query[start..end] };
        let mut error = QueryError::at(query, start, end, String::new());
        error.message = format!("unexpected symbol found {found} at line {} and position {}", error.line, error.column);
        error
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}
