//! The regular expressions filter patterns accept between percent signs (`%...%`): AWS documents
//! a restricted syntax (letters, digits, a few symbols and operators, no parentheses, no
//! multi-byte characters) and refuses the rest, so the text is checked first, then compiled with
//! the `regex` crate.

use super::error::PatternError;

/// Symbols AWS lists as allowed in a filter pattern regex, besides letters and digits. The space
/// is not in AWS's list, but its own examples use it (`%^shutting down%`, `{m, n}`).
const ALLOWED_SYMBOLS: &str = ":_#=@/;,- ";
/// Operators AWS lists as allowed. `(` and `)` are deliberately absent: AWS refuses subpatterns.
const ALLOWED_OPERATORS: &str = "^$?[]{}|\\*+.";

/// AWS's quota: at most two regular expressions in one JSON or space-delimited pattern.
pub(crate) const MAX_REGEX_PER_PATTERN: usize = 2;

/// A compiled `%...%` expression; matching is a search anywhere in the text, as in AWS's
/// examples (`%AUTHORIZED%` matches `UNAUTHORIZED REQUEST`).
#[derive(Debug, Clone)]
pub(crate) struct AwsRegex {
    regex: regex::Regex,
}

impl AwsRegex {
    /// Checks and compiles the text between the percent signs.
    pub(crate) fn compile(body: &str) -> Result<AwsRegex, PatternError> {
        if body.is_empty() {
            return Err(PatternError::new("empty regular expression"));
        }
        if let Some(bad) = body
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ALLOWED_SYMBOLS.contains(*c) || ALLOWED_OPERATORS.contains(*c)))
        {
            return Err(PatternError::new(format!("character {bad:?} is not allowed in a regular expression")));
        }
        let translated = translate(body);
        let regex = regex::RegexBuilder::new(&translated)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| PatternError::new(format!("regular expression does not compile: {e}")))?;
        Ok(AwsRegex { regex })
    }

    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// Rewrites AWS's regex dialect into the `regex` crate's: the class escapes are ASCII in AWS's
/// definitions (`\d` is `[0-9]`, `\w` is `[a-zA-Z_0-9]`) where the crate's are Unicode, and AWS
/// writes `{m, n}` with a space the crate does not take.
fn translate(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 16);
    let mut chars = body.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str("[0-9]"),
                Some('D') => out.push_str("[^0-9]"),
                Some('w') => out.push_str("[a-zA-Z_0-9]"),
                Some('W') => out.push_str("[^a-zA-Z_0-9]"),
                Some('s') => out.push_str("[\\t\\n\\x0B\\x0C\\r ]"),
                Some('S') => out.push_str("[^\\t\\n\\x0B\\x0C\\r ]"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str("\\\\"),
            },
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A `]` right after `[` or `[^` is a literal member, not the end of the class.
                let rest = chars.as_str();
                let skip = if rest.starts_with("^]") {
                    2
                } else if rest.starts_with(']') {
                    1
                } else {
                    0
                };
                for _ in 0..skip {
                    if let Some(member) = chars.next() {
                        if member == ']' {
                            out.push_str("\\]");
                        } else {
                            out.push(member);
                        }
                    }
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '{' if !in_class => {
                out.push('{');
                for inner in chars.by_ref() {
                    if inner != ' ' {
                        out.push(inner);
                    }
                    if inner == '}' {
                        break;
                    }
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(regex: &str, text: &str) -> bool {
        AwsRegex::compile(regex).unwrap().is_match(text)
    }

    #[test]
    fn documented_operators() {
        assert!(matches("^[hc]at", "hat trick"));
        assert!(!matches("^[hc]at", "that"));
        assert!(matches("[hc]at$", "the cat"));
        assert!(matches("colou?r", "color") && matches("colou?r", "colour"));
        assert!(matches("^a{3,5}$", "aaaa") && !matches("^a{3,5}$", "aa"));
        assert!(matches("^a{3, 5}$", "aaaaa"), "AWS writes {{m, n}} with a space");
        assert!(matches("gra|ey", "grey") && matches("gra|ey", "gray"));
        assert!(matches("\\[.\\]", "[a]") && !matches("\\[.\\]", "[ab]"));
        assert!(matches("ab*c", "ac") && matches("ab+c", "abbc") && !matches("ab+c", "ac"));
        assert!(matches("10\\.10\\.0\\.1", "10.10.0.1") && !matches("10\\.10\\.0\\.1", "10010,051"));
        assert!(matches("10.10.0.1", "10010,051"), "an unescaped dot matches anything, as AWS warns");
        assert!(matches("\\x3A", "a:b") && matches("\\x28", "f(x)"));
    }

    #[test]
    fn class_escapes_are_ascii() {
        assert!(matches("^\\d+$", "123") && !matches("^\\d$", "٣"));
        assert!(matches("^\\w+$", "a_Z9") && !matches("^\\w$", "é"));
        assert!(matches("a\\sb", "a\tb") && matches("^\\S+$", "abc"));
        assert!(matches("^[\\d-]+$", "12-3"), "escapes inside a class");
    }

    #[test]
    fn refuses_what_aws_refuses() {
        for bad in ["something!", "(a|b)", "caf\u{e9}", "a\"b", ""] {
            assert!(AwsRegex::compile(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(AwsRegex::compile("[a-").is_err(), "a regex that does not compile");
    }
}
