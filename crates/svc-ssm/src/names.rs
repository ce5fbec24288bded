//! Parameter names, paths, selectors and labels: AWS's rules for each.

use nimbus_core::{RequestContext, ServiceError};

use crate::errors;

/// The longest name a caller may give (AWS reserves the rest of the model's 2048 internally).
pub const MAX_NAME_LEN: usize = 1011;
/// Deepest hierarchy: `/l1/l2/.../l14/name` has 15 levels.
pub const MAX_DEPTH: usize = 15;
pub const MAX_LABEL_LEN: usize = 100;

/// What a name is checked for: writes may not touch the reserved `aws` prefix, reads may (AWS's
/// public parameters live under `/aws/service/...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

fn allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')
}

fn has_prefix_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// AWS trims spaces around a name; spaces inside one are an error.
pub fn trim(name: &str) -> &str {
    name.trim_matches(' ')
}

/// Validates a parameter name (without selector) and returns it trimmed.
pub fn validate_name(name: &str, access: Access) -> Result<String, ServiceError> {
    let name = trim(name);
    if name.is_empty() {
        return Err(errors::invalid_name());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(errors::validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to {MAX_NAME_LEN}"
        )));
    }
    let unrooted = name.strip_prefix('/').unwrap_or(name);
    if access == Access::Write && has_prefix_ci(unrooted, "aws") {
        return Err(errors::reserved_name(name));
    }
    if has_prefix_ci(unrooted, "ssm") || !name.chars().all(allowed_char) {
        return Err(errors::invalid_name());
    }
    if name.contains('/') {
        // A hierarchical name is fully qualified: rooted, with no empty level.
        if !name.starts_with('/') || unrooted.split('/').any(str::is_empty) {
            return Err(errors::invalid_name());
        }
    }
    Ok(name.to_owned())
}

/// Number of hierarchy levels of a valid name (`/a/b/c` and `a` have 3 and 1).
pub fn depth(name: &str) -> usize {
    name.strip_prefix('/').unwrap_or(name).split('/').count()
}

/// Checks the hierarchy depth of a name being created.
pub fn check_depth(name: &str) -> Result<(), ServiceError> {
    if depth(name) > MAX_DEPTH { Err(errors::hierarchy_too_deep()) } else { Ok(()) }
}

/// Validates a path (GetParametersByPath, the Path filter) and returns it without trailing `/`
/// (`/` itself stays `/`).
pub fn validate_path(path: &str) -> Result<String, ServiceError> {
    let path = trim(path);
    if !path.starts_with('/') || !path.chars().all(allowed_char) {
        return Err(errors::invalid_path());
    }
    let inner = path.trim_start_matches('/').trim_end_matches('/');
    if path.starts_with("//") || (path.len() > 1 && path.ends_with("//")) {
        return Err(errors::invalid_path());
    }
    if inner.is_empty() {
        return Ok("/".to_owned());
    }
    if inner.split('/').any(str::is_empty) || has_prefix_ci(inner, "ssm") {
        return Err(errors::invalid_path());
    }
    if inner.split('/').count() > MAX_DEPTH {
        return Err(errors::hierarchy_too_deep());
    }
    Ok(format!("/{inner}"))
}

/// Whether `name` lies under `path` (a result of [`validate_path`]): one level down only, or
/// at any depth when `recursive`. Names without a leading `/` live at the root.
pub fn is_under(name: &str, path: &str, recursive: bool) -> bool {
    let rooted_name;
    let name = if name.starts_with('/') {
        name
    } else {
        rooted_name = format!("/{name}");
        &rooted_name
    };
    let prefix = if path == "/" { "/".to_owned() } else { format!("{path}/") };
    match name.strip_prefix(prefix.as_str()) {
        Some(rest) if !rest.is_empty() => recursive || !rest.contains('/'),
        _ => false,
    }
}

/// The store key prefix under which every parameter below `path` is found (names without a
/// leading `/` sort outside it, so the root path lists everything).
pub fn listing_prefix(path: &str) -> String {
    if path == "/" { String::new() } else { format!("{path}/") }
}

/// `arn:aws:ssm:{region}:{account}:parameter/{name without leading /}`.
pub fn arn(ctx: &RequestContext, name: &str) -> String {
    ctx.arn("ssm", &format!("parameter/{}", name.strip_prefix('/').unwrap_or(name)))
}

/// How a request refers to one version of a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Latest,
    Version(i64),
    Label(String),
}

impl Selector {
    /// `:3`, `:prod`; empty for the latest version.
    pub fn suffix(&self) -> Option<String> {
        match self {
            Selector::Latest => None,
            Selector::Version(v) => Some(format!(":{v}")),
            Selector::Label(l) => Some(format!(":{l}")),
        }
    }
}

/// A parameter reference from a read request: the candidate stored names (an ARN's
/// `parameter/foo` can mean `foo` or `/foo`) and the selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub candidates: Vec<String>,
    pub selector: Selector,
}

/// Parses `name`, `name:version`, `name:label`, or an ARN of this account and region with an
/// optional selector. `Ok(None)`: an ARN of another account or region (never found here).
pub fn parse_reference(ctx: &RequestContext, input: &str, access: Access) -> Result<Option<Reference>, ServiceError> {
    let input = trim(input);
    let (body, from_arn) = match input.strip_prefix("arn:") {
        Some(_) => match parse_arn(ctx, input)? {
            Some(rest) => (rest, true),
            None => return Ok(None),
        },
        None => (input.to_owned(), false),
    };
    let (name, selector) = match body.split_once(':') {
        None => (body.as_str(), Selector::Latest),
        Some((name, sel)) => (name, parse_selector(sel)?),
    };
    let name = validate_name(name, access)?;
    let candidates = if from_arn && !name.starts_with('/') { vec![format!("/{name}"), name] } else { vec![name] };
    Ok(Some(Reference { candidates, selector }))
}

/// Parses a resource id that may be a parameter name or ARN, without selector.
pub fn parse_resource(ctx: &RequestContext, input: &str) -> Result<Option<Vec<String>>, ServiceError> {
    match parse_reference(ctx, input, Access::Read)? {
        Some(Reference { candidates, selector: Selector::Latest }) => Ok(Some(candidates)),
        Some(_) => Err(errors::invalid_name()),
        None => Ok(None),
    }
}

/// `arn:{partition}:ssm:{region}:{account}:parameter/{rest}` -> `rest` (rooted when it is a
/// path). `None` when it names another account or region.
fn parse_arn(ctx: &RequestContext, arn: &str) -> Result<Option<String>, ServiceError> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some(service), Some(region), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(errors::invalid_name());
    };
    let Some(rest) = resource.strip_prefix("parameter/") else {
        return Err(errors::invalid_name());
    };
    if service != "ssm" || rest.is_empty() {
        return Err(errors::invalid_name());
    }
    if region != ctx.region || account != ctx.account_id {
        return Ok(None);
    }
    let name_part = rest.split(':').next().unwrap_or(rest);
    Ok(Some(if name_part.contains('/') { format!("/{rest}") } else { rest.to_owned() }))
}

fn parse_selector(sel: &str) -> Result<Selector, ServiceError> {
    if sel.is_empty() || sel.contains(':') {
        return Err(errors::invalid_name());
    }
    if sel.bytes().all(|b| b.is_ascii_digit()) {
        return sel.parse::<i64>().map(Selector::Version).map_err(|_| errors::invalid_name());
    }
    if sel.chars().count() > MAX_LABEL_LEN {
        return Err(errors::invalid_name());
    }
    Ok(Selector::Label(sel.to_owned()))
}

/// Whether `label` may be attached: 1-100 of `a-zA-Z0-9_.-`, not starting with a digit, `aws`
/// or `ssm` (case-insensitive).
pub fn label_is_valid(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= MAX_LABEL_LEN
        && label.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !has_prefix_ci(label, "aws")
        && !has_prefix_ci(label, "ssm")
}

/// The names of a batch request, trimmed, in request order, without duplicates.
pub fn dedup_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let name = trim(name).to_owned();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> RequestContext {
        RequestContext::for_tests("ssm", "GetParameter")
    }

    #[test]
    fn names_follow_aws_rules() {
        assert_eq!(validate_name(" /a/b ", Access::Write).unwrap(), "/a/b");
        assert_eq!(validate_name("plain-name_1.x", Access::Write).unwrap(), "plain-name_1.x");
        for bad in ["a/b", "/a//b", "/a/b/", "/ssm/x", "SSMx", "a b", "/a@b", "", "/"] {
            assert_eq!(validate_name(bad, Access::Write).unwrap_err().code, "ValidationException", "{bad}");
        }
        assert_eq!(validate_name("/aws/x", Access::Write).unwrap_err().code, "AccessDeniedException");
        assert_eq!(
            validate_name("AWSfoo", Access::Write).unwrap_err().message,
            "No access to reserved parameter name: AWSfoo."
        );
        assert!(validate_name("/aws/service/x", Access::Read).is_ok());
        assert!(validate_name(&"a".repeat(1011), Access::Write).is_ok());
        assert!(validate_name(&"a".repeat(1012), Access::Write).is_err());
    }

    #[test]
    fn depth_counts_levels() {
        assert_eq!(depth("a"), 1);
        assert_eq!(depth("/a/b/c"), 3);
        let fifteen = (1..=15).map(|i| format!("/l{i}")).collect::<String>();
        assert!(check_depth(&fifteen).is_ok());
        assert_eq!(check_depth(&format!("{fifteen}/x")).unwrap_err().code, "HierarchyLevelLimitExceededException");
    }

    #[test]
    fn paths_and_membership() {
        assert_eq!(validate_path("/a/b/").unwrap(), "/a/b");
        assert_eq!(validate_path("/").unwrap(), "/");
        assert!(validate_path("a/b").is_err());
        assert!(validate_path("/a//b").is_err());
        assert!(is_under("/a/b", "/a", false));
        assert!(!is_under("/a/b/c", "/a", false));
        assert!(is_under("/a/b/c", "/a", true));
        assert!(!is_under("/ab", "/a", true));
        assert!(!is_under("/a", "/a", true));
        assert!(is_under("top", "/", false));
        assert!(is_under("/top", "/", false));
        assert!(!is_under("/a/b", "/", false));
    }

    #[test]
    fn references_with_selectors_and_arns() {
        let r = parse_reference(&ctx(), "/a/b:3", Access::Read).unwrap().unwrap();
        assert_eq!(r.candidates, vec!["/a/b"]);
        assert_eq!(r.selector, Selector::Version(3));
        let r = parse_reference(&ctx(), "name:prod", Access::Read).unwrap().unwrap();
        assert_eq!(r.selector, Selector::Label("prod".into()));
        assert!(parse_reference(&ctx(), "name:1:2", Access::Read).is_err());
        assert!(parse_reference(&ctx(), "name:", Access::Read).is_err());
        let r = parse_reference(&ctx(), "arn:aws:ssm:us-east-1:000000000000:parameter/a/b:2", Access::Read)
            .unwrap()
            .unwrap();
        assert_eq!(r.candidates, vec!["/a/b"]);
        assert_eq!(r.selector, Selector::Version(2));
        let r =
            parse_reference(&ctx(), "arn:aws:ssm:us-east-1:000000000000:parameter/top", Access::Read).unwrap().unwrap();
        assert_eq!(r.candidates, vec!["/top", "top"]);
        assert_eq!(
            parse_reference(&ctx(), "arn:aws:ssm:eu-west-1:000000000000:parameter/top", Access::Read).unwrap(),
            None
        );
    }

    #[test]
    fn label_rules() {
        for ok in ["prod", "Prod-1.x_y", "a"] {
            assert!(label_is_valid(ok), "{ok}");
        }
        for bad in ["1abc", "awsx", "SSM-x", "a b", "a/b", "", &"a".repeat(101)] {
            assert!(!label_is_valid(bad), "{bad}");
        }
    }
}
