//! ARN patterns: matched component by component (partition, service, region, account,
//! resource), as the Resource element and the Arn* condition operators do, so a wildcard never
//! reaches across a colon of the first five.

use crate::Context;
use crate::evaluate::Missing;
use crate::pattern::{Pattern, Syntax};

/// An ARN has six colon-separated components; the last (the resource) may hold colons itself.
const COMPONENTS: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// A lone `*`: every resource, ARN or not.
    Any,
    Components(Box<[Pattern; COMPONENTS]>),
}

impl ArnPattern {
    /// `None` when `text` is neither `*` nor `arn:` followed by five more components.
    pub(crate) fn compile(text: &str, syntax: Syntax, variables: bool) -> Option<ArnPattern> {
        if text == "*" {
            return Some(ArnPattern::Any);
        }
        let parts = split_components(text, variables)?;
        if parts[0] != "arn" {
            return None;
        }
        let compiled = parts.map(|part| Pattern::compile(part, syntax, variables));
        Some(ArnPattern::Components(Box::new(compiled)))
    }

    pub(crate) fn matches(&self, arn: &Arn, context: &Context, missing: &mut Missing) -> bool {
        let ArnPattern::Components(patterns) = self else {
            return true;
        };
        let Some(components) = &arn.components else {
            return false;
        };
        patterns.iter().zip(components).all(|(pattern, component)| pattern.matches(component, false, context, missing))
    }
}

/// A request's resource, split into its components once for every statement to compare.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arn<'a> {
    /// `None` when the text is not an ARN (`*`, a bare name): only `*` matches it.
    components: Option<[&'a str; COMPONENTS]>,
}

impl<'a> Arn<'a> {
    pub(crate) fn split(text: &'a str) -> Arn<'a> {
        let mut components = [""; COMPONENTS];
        let mut parts = text.splitn(COMPONENTS, ':');
        for slot in &mut components {
            match parts.next() {
                Some(part) => *slot = part,
                None => return Arn { components: None },
            }
        }
        Arn { components: Some(components) }
    }
}

/// Splits at the first five colons that are not inside a `${...}` variable.
fn split_components(text: &str, variables: bool) -> Option<[&str; COMPONENTS]> {
    let mut parts = [""; COMPONENTS];
    let mut found = 0;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() && found < COMPONENTS - 1 {
        if variables
            && bytes[i] == b'$'
            && bytes.get(i + 1) == Some(&b'{')
            && let Some(close) = text[i..].find('}')
        {
            i += close + 1;
            continue;
        }
        if bytes[i] == b':' {
            parts[found] = &text[start..i];
            found += 1;
            start = i + 1;
        }
        i += 1;
    }
    if found < COMPONENTS - 1 {
        return None;
    }
    parts[COMPONENTS - 1] = &text[start..];
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn_like(pattern: &str, arn: &str) -> bool {
        ArnPattern::compile(pattern, Syntax::Wildcards, true)
            .expect("pattern is an ARN")
            .matches(&Arn::split(arn), &Context::new(), &mut Missing::default())
    }

    #[test]
    fn component_wise_matching() {
        assert!(arn_like("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c"));
        assert!(arn_like("arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/x"));
        assert!(!arn_like("arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:user/x"));
        // The documented example: StringLike matches, ArnLike does not.
        assert!(!arn_like(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
        ));
        assert!(!arn_like("arn:aws:s3:::*", "*"));
        assert!(arn_like("*", "not-an-arn"));
    }

    #[test]
    fn format() {
        assert!(ArnPattern::compile("bucket", Syntax::Wildcards, true).is_none());
        assert!(ArnPattern::compile("arn:aws:s3", Syntax::Wildcards, true).is_none());
        assert!(ArnPattern::compile("xrn:aws:s3:::b", Syntax::Wildcards, true).is_none());
        assert!(ArnPattern::compile("arn:aws:s3:::", Syntax::Wildcards, true).is_some());
        // Colons inside a variable do not split the ARN.
        let mut context = Context::new();
        context.set_one("aws:username", "bob");
        let p = ArnPattern::compile("arn:aws:s3:::b/${aws:username}", Syntax::Wildcards, true).expect("an ARN");
        assert!(p.matches(&Arn::split("arn:aws:s3:::b/bob"), &context, &mut Missing::default()));
        let p = ArnPattern::compile("arn:aws:iam::123:user/${aws:username}", Syntax::Wildcards, true).expect("an ARN");
        assert!(p.matches(&Arn::split("arn:aws:iam::123:user/bob"), &context, &mut Missing::default()));
    }
}
