//! Patterns compiled once: literal text, `*` / `?` wildcards and policy variables
//! (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`), matched without allocating
//! unless a variable has to be looked up.

use crate::Context;
use crate::evaluate::Missing;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Literal(String),
    /// `*`: any run of characters, empty included.
    AnyRun,
    /// `?`: exactly one character.
    AnyChar,
    /// `${key}` or `${key, 'default'}`; `index` numbers the variables of one pattern.
    Variable { index: usize, key: String, default: Option<String> },
}

/// How a pattern reads its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// `*` and `?` are wildcards (Action, Resource, StringLike, ArnLike).
    Wildcards,
    /// Every character stands for itself (StringEquals, Bool).
    Literal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pieces: Vec<Piece>,
    variables: usize,
    /// The pattern is a lone `*`.
    any: bool,
}

impl Pattern {
    /// Compiles `text`; `variables` is false for 2008-10-17 documents, where `${...}` is text.
    pub(crate) fn compile(text: &str, syntax: Syntax, variables: bool) -> Pattern {
        let mut pieces: Vec<Piece> = Vec::new();
        let mut literal = String::new();
        let mut count = 0;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if variables
                && rest.starts_with("${")
                && let Some((variable, after)) = parse_variable(rest)
            {
                match variable {
                    ParsedVariable::Text(t) => literal.push_str(t),
                    ParsedVariable::Key { key, default } => {
                        flush(&mut pieces, &mut literal);
                        pieces.push(Piece::Variable { index: count, key: key.to_ascii_lowercase(), default });
                        count += 1;
                    }
                }
                rest = after;
                continue;
            }
            match (syntax, c) {
                (Syntax::Wildcards, '*') => {
                    flush(&mut pieces, &mut literal);
                    // `**` matches what `*` matches.
                    if pieces.last() != Some(&Piece::AnyRun) {
                        pieces.push(Piece::AnyRun);
                    }
                }
                (Syntax::Wildcards, '?') => {
                    flush(&mut pieces, &mut literal);
                    pieces.push(Piece::AnyChar);
                }
                _ => literal.push(c),
            }
            rest = &rest[c.len_utf8()..];
        }
        flush(&mut pieces, &mut literal);
        let any = pieces == [Piece::AnyRun];
        Pattern { pieces, variables: count, any }
    }

    /// Whether `text` matches. `ascii_case` folds ASCII case (actions). A variable that the
    /// context cannot resolve (and that has no default) makes the pattern match nothing, as
    /// AWS treats an unresolvable variable.
    pub(crate) fn matches(&self, text: &str, ascii_case: bool, context: &Context, missing: &mut Missing) -> bool {
        if self.any {
            return true;
        }
        if self.variables == 0 {
            // The common shapes (`s3:GetObject`, `s3:Get*`) skip the general matcher.
            return match self.pieces.as_slice() {
                [Piece::Literal(l)] => eq_bytes(text.as_bytes(), l.as_bytes(), ascii_case),
                [Piece::Literal(l), Piece::AnyRun] => {
                    text.as_bytes().get(..l.len()).is_some_and(|head| eq_bytes(head, l.as_bytes(), ascii_case))
                }
                pieces => glob(pieces, &[], text.as_bytes(), ascii_case),
            };
        }
        match self.resolve(context, missing) {
            Some(values) => glob(&self.pieces, &values, text.as_bytes(), ascii_case),
            None => false,
        }
    }

    /// Whether `text` equals the (literal) pattern ignoring case, Unicode-wise
    /// (StringEqualsIgnoreCase).
    pub(crate) fn equals_ignore_case(&self, text: &str, context: &Context, missing: &mut Missing) -> bool {
        let values = if self.variables == 0 {
            Vec::new()
        } else {
            match self.resolve(context, missing) {
                Some(values) => values,
                None => return false,
            }
        };
        let mut expected = self.pieces.iter().flat_map(|piece| {
            let text: &str = match piece {
                Piece::Literal(l) => l,
                Piece::Variable { index, .. } => values[*index],
                Piece::AnyRun => "*",
                Piece::AnyChar => "?",
            };
            text.chars().flat_map(char::to_lowercase)
        });
        let mut actual = text.chars().flat_map(char::to_lowercase);
        loop {
            match (expected.next(), actual.next()) {
                (None, None) => return true,
                (Some(a), Some(b)) if a == b => {}
                _ => return false,
            }
        }
    }

    /// The value of every variable, in order; `None` if one cannot be resolved.
    fn resolve<'a>(&'a self, context: &'a Context, missing: &mut Missing) -> Option<Vec<&'a str>> {
        let mut values = Vec::with_capacity(self.variables);
        for piece in &self.pieces {
            if let Piece::Variable { key, default, .. } = piece {
                match context.get_lowercase(key) {
                    // A multivalued key has no single value to put in its place.
                    Some([one]) => values.push(one.as_str()),
                    found => {
                        if found.is_none() {
                            missing.note(key);
                        }
                        values.push(default.as_deref()?);
                    }
                }
            }
        }
        Some(values)
    }
}

fn flush(pieces: &mut Vec<Piece>, literal: &mut String) {
    if !literal.is_empty() {
        pieces.push(Piece::Literal(std::mem::take(literal)));
    }
}

enum ParsedVariable<'a> {
    /// `${*}`, `${?}`, `${$}`: the character itself, never a wildcard.
    Text(&'a str),
    Key { key: &'a str, default: Option<String> },
}

/// Parses `${...}` at the start of `text`; `None` leaves it as plain text.
fn parse_variable(text: &str) -> Option<(ParsedVariable<'_>, &str)> {
    let body_start = 2;
    let close = text[body_start..].find('}')? + body_start;
    let body = &text[body_start..close];
    let after = &text[close + 1..];
    let parsed = match body {
        "*" | "?" | "$" => ParsedVariable::Text(body),
        _ => match body.split_once(',') {
            None => {
                let key = body.trim();
                if key.is_empty() {
                    return None;
                }
                ParsedVariable::Key { key, default: None }
            }
            Some((key, default)) => {
                let key = key.trim();
                let default = default.trim();
                let quoted = default.len() >= 2 && default.starts_with('\'') && default.ends_with('\'');
                if key.is_empty() || !quoted {
                    return None;
                }
                ParsedVariable::Key { key, default: Some(default[1..default.len() - 1].to_owned()) }
            }
        },
    };
    Some((parsed, after))
}

/// Wildcard matching over bytes (`?` takes one UTF-8 character). Backtracks only to the last
/// `*`, which is enough because every other piece has a fixed length.
fn glob(pieces: &[Piece], values: &[&str], text: &[u8], ascii_case: bool) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if let Some(piece) = pieces.get(p) {
            let advanced = match piece {
                Piece::AnyRun => {
                    if p + 1 == pieces.len() {
                        return true;
                    }
                    star = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                Piece::AnyChar => {
                    if t < text.len() {
                        t += char_width(text, t);
                        true
                    } else {
                        false
                    }
                }
                Piece::Literal(l) => starts_with_at(text, t, l.as_bytes(), ascii_case, &mut t),
                Piece::Variable { index, .. } => {
                    let value = values.get(*index).copied().unwrap_or_default();
                    starts_with_at(text, t, value.as_bytes(), ascii_case, &mut t)
                }
            };
            if advanced {
                p += 1;
                continue;
            }
        } else if t == text.len() {
            return true;
        }
        match star {
            Some((after_star, from)) if from < text.len() => {
                let next = from + char_width(text, from);
                star = Some((after_star, next));
                p = after_star;
                t = next;
            }
            _ => return false,
        }
    }
}

fn starts_with_at(text: &[u8], at: usize, expected: &[u8], ascii_case: bool, t: &mut usize) -> bool {
    let Some(candidate) = text.get(at..at + expected.len()) else {
        return false;
    };
    let equal = eq_bytes(candidate, expected, ascii_case);
    if equal {
        *t = at + expected.len();
    }
    equal
}

fn eq_bytes(a: &[u8], b: &[u8], ascii_case: bool) -> bool {
    if ascii_case { a.eq_ignore_ascii_case(b) } else { a == b }
}

/// Bytes of the UTF-8 character starting at `at` (1 for a stray continuation byte).
fn char_width(text: &[u8], at: usize) -> usize {
    let width = match text[at] {
        b if b < 0x80 => 1,
        b if b >= 0xF0 => 4,
        b if b >= 0xE0 => 3,
        b if b >= 0xC0 => 2,
        _ => 1,
    };
    width.min(text.len() - at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(pattern: &str, text: &str) -> bool {
        let mut missing = Missing::default();
        Pattern::compile(pattern, Syntax::Wildcards, true).matches(text, false, &Context::new(), &mut missing)
    }

    #[test]
    fn wildcards() {
        assert!(like("*", ""));
        assert!(like("a*", "a"));
        assert!(like("a*c", "abbbc"));
        assert!(!like("a*c", "abbbd"));
        assert!(like("a?c", "abc"));
        assert!(!like("a?c", "ac"));
        assert!(like("a?c", "aéc"));
        assert!(like("*/key", "bucket/key"));
        assert!(like("*a*a*a", "aaaa"));
        assert!(!like("*a*a*a*a*a", "aaaa"));
        assert!(like("s3:Get*Acl", "s3:GetObjectAcl"));
        assert!(!like("abc", "abcd"));
        assert!(!like("abc", "ab"));
        assert!(like("", ""));
        assert!(!like("", "x"));
    }

    #[test]
    fn special_variables_are_literal_characters() {
        assert!(like("a${*}b", "a*b"));
        assert!(!like("a${*}b", "axb"));
        assert!(like("${?}", "?"));
        assert!(like("${$}{x}", "${x}"));
    }

    #[test]
    fn variables_and_defaults() {
        let mut context = Context::new();
        context.set_one("aws:username", "alice");
        let mut missing = Missing::default();
        let p = Pattern::compile("home/${aws:username}/*", Syntax::Wildcards, true);
        assert!(p.matches("home/alice/x", false, &context, &mut missing));
        assert!(!p.matches("home/bob/x", false, &context, &mut missing));
        let p = Pattern::compile("${aws:userid, 'anonymous'}", Syntax::Literal, true);
        assert!(p.matches("anonymous", false, &context, &mut missing));
        let p = Pattern::compile("${aws:PrincipalTag/team}", Syntax::Literal, true);
        assert!(!p.matches("", false, &context, &mut missing));
        assert_eq!(missing.into_keys(), vec!["aws:userid".to_owned(), "aws:principaltag/team".to_owned()]);
        // Variable values are text, not wildcards.
        context.set_one("x:v", "*");
        let p = Pattern::compile("${x:v}", Syntax::Wildcards, true);
        assert!(!p.matches("abc", false, &context, &mut Missing::default()));
        assert!(p.matches("*", false, &context, &mut Missing::default()));
        // Without variables (2008-10-17) the text stays as written.
        let p = Pattern::compile("${aws:username}", Syntax::Literal, false);
        assert!(p.matches("${aws:username}", false, &context, &mut Missing::default()));
    }

    #[test]
    fn malformed_variables_are_text() {
        assert!(like("${", "${"));
        assert!(like("${}", "${}"));
        assert!(like("${a, b}", "${a, b}"));
    }

    #[test]
    fn ignore_case() {
        let p = Pattern::compile("ÉCOLE", Syntax::Literal, true);
        let mut missing = Missing::default();
        assert!(p.equals_ignore_case("école", &Context::new(), &mut missing));
        assert!(!p.equals_ignore_case("écoles", &Context::new(), &mut missing));
    }
}
