//! Patterns for unstructured events: terms that must appear (`ERROR Exception`), terms that must
//! not (`-ARGUMENTS`), optional terms (`?ERROR ?WARN`) and exact phrases (`"INTERNAL SERVER
//! ERROR"`). Every term is a case-sensitive substring search, compiled once.

use memchr::memmem::Finder;

use super::error::PatternError;

#[derive(Debug, Clone)]
pub(crate) struct TermPattern {
    required: Vec<Finder<'static>>,
    excluded: Vec<Finder<'static>>,
    /// Used only when there is no required or excluded term: AWS ignores `?` terms mixed with
    /// others ("all question mark terms will be ignored").
    optional: Vec<Finder<'static>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Required,
    Excluded,
    Optional,
}

impl TermPattern {
    pub(crate) fn parse(text: &str) -> Result<TermPattern, PatternError> {
        let mut pattern = TermPattern { required: Vec::new(), excluded: Vec::new(), optional: Vec::new() };
        let mut rest = text.trim_start();
        while !rest.is_empty() {
            let (role, after_prefix) = match rest.as_bytes()[0] {
                b'?' => (Role::Optional, &rest[1..]),
                // AWS's own example writes the exclusion with a space: `"ERROR" - "Exiting"`.
                b'-' if rest.len() > 1 => (Role::Excluded, rest[1..].trim_start()),
                _ => (Role::Required, rest),
            };
            let (term, remaining) = read_term(after_prefix)?;
            let finder = Finder::new(term.as_bytes()).into_owned();
            match role {
                Role::Required => pattern.required.push(finder),
                Role::Excluded => pattern.excluded.push(finder),
                Role::Optional => pattern.optional.push(finder),
            }
            rest = remaining.trim_start();
        }
        if !pattern.required.is_empty() || !pattern.excluded.is_empty() {
            pattern.optional.clear();
        }
        Ok(pattern)
    }

    pub(crate) fn matches(&self, message: &str) -> bool {
        let haystack = message.as_bytes();
        if !self.optional.is_empty() {
            return self.optional.iter().any(|finder| finder.find(haystack).is_some());
        }
        self.required.iter().all(|finder| finder.find(haystack).is_some())
            && self.excluded.iter().all(|finder| finder.find(haystack).is_none())
    }
}

/// Reads one term: a double-quoted phrase or a word up to the next whitespace. A quoted phrase of
/// blanks is the empty term, so `" "` matches every event as AWS documents ("match everything").
fn read_term(text: &str) -> Result<(String, &str), PatternError> {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut term = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    if term.trim().is_empty() {
                        term.clear();
                    }
                    return Ok((term, &quoted[i + 1..]));
                }
                '\\' => match chars.next() {
                    Some((_, escaped @ ('"' | '\\'))) => term.push(escaped),
                    Some((_, other)) => {
                        term.push('\\');
                        term.push(other);
                    }
                    None => term.push('\\'),
                },
                other => term.push(other),
            }
        }
        return Err(PatternError::new("unterminated double-quoted term"));
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let word = &text[..end];
    if word.is_empty() {
        return Err(PatternError::new("a ? or - with no term after it"));
    }
    // AWS wants terms with other characters than letters, digits and `_` quoted, but accepts the
    // punctuation people commonly leave bare (`RequestId:`, `5xx-error`); a double quote inside a
    // word or a multi-byte character is refused, naming the term as AWS does.
    if word.contains('"') || !word.is_ascii() {
        return Err(PatternError::invalid_characters(word));
    }
    Ok((word.to_owned(), &text[end..]))
}
