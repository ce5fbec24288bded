//! From JSON text to compiled statements, refusing what IAM refuses on put with IAM's own
//! `MalformedPolicyDocument` messages.

use serde_json::{Map, Value};

use crate::arn::ArnPattern;
use crate::condition;
use crate::document::{PolicyError, PolicyKind};
use crate::pattern::Syntax;
use crate::principal::PrincipalSet;
use crate::statement::{ActionList, Actions, Principals, Resources, Statement};

/// The policy language versions IAM knows; only 2012-10-17 has policy variables.
const CURRENT_VERSION: &str = "2012-10-17";
const LEGACY_VERSION: &str = "2008-10-17";

pub(crate) fn parse(text: &str, kind: PolicyKind) -> Result<Vec<Statement>, PolicyError> {
    let document: Value = serde_json::from_str(text).map_err(|_| PolicyError::new("This policy contains invalid Json"))?;
    let Value::Object(top) = document else {
        return Err(PolicyError::syntax());
    };
    let mut version = None;
    let mut statements = None;
    for (name, value) in &top {
        match name.as_str() {
            "Version" => version = Some(value.as_str().ok_or_else(PolicyError::syntax)?),
            "Id" => {
                value.as_str().ok_or_else(PolicyError::syntax)?;
            }
            "Statement" => statements = Some(value),
            _ => return Err(PolicyError::syntax()),
        }
    }
    let variables = match version {
        Some(CURRENT_VERSION) => true,
        Some(LEGACY_VERSION) | None => false,
        Some(_) => return Err(PolicyError::legacy_parsing()),
    };
    let statements: Vec<&Map<String, Value>> = match statements {
        Some(Value::Object(one)) => vec![one],
        Some(Value::Array(many)) => many.iter().map(|s| s.as_object().ok_or_else(PolicyError::syntax)).collect::<Result<_, _>>()?,
        _ => return Err(PolicyError::syntax()),
    };
    let mut compiled: Vec<Statement> = Vec::with_capacity(statements.len());
    for statement in statements {
        let statement = parse_statement(statement, kind, variables)?;
        if let Some(sid) = &statement.sid
            && compiled.iter().any(|s| s.sid.as_ref() == Some(sid))
        {
            return Err(PolicyError::new("Statement IDs (SID) in a single policy must be unique."));
        }
        compiled.push(statement);
    }
    Ok(compiled)
}

/// The fields of one statement, as found.
#[derive(Default)]
struct Fields<'a> {
    sid: Option<&'a str>,
    effect: Option<&'a Value>,
    principal: Option<(&'static str, &'a Value)>,
    action: Option<(bool, &'a Value)>,
    resource: Option<(&'static str, &'a Value)>,
    condition: Option<&'a Value>,
}

fn parse_statement(statement: &Map<String, Value>, kind: PolicyKind, variables: bool) -> Result<Statement, PolicyError> {
    let mut f = Fields::default();
    for (name, value) in statement {
        // An element and its Not- form together is a grammar error.
        let clash = match name.as_str() {
            "Sid" => {
                let sid = value.as_str().ok_or_else(PolicyError::syntax)?;
                f.sid = (!sid.is_empty()).then_some(sid);
                false
            }
            "Effect" => f.effect.replace(value).is_some(),
            "Principal" | "NotPrincipal" => {
                let name = if name == "Principal" { "Principal" } else { "NotPrincipal" };
                f.principal.replace((name, value)).is_some()
            }
            "Action" | "NotAction" => f.action.replace((name == "NotAction", value)).is_some(),
            "Resource" | "NotResource" => {
                let name = if name == "Resource" { "Resource" } else { "NotResource" };
                f.resource.replace((name, value)).is_some()
            }
            "Condition" => f.condition.replace(value).is_some(),
            _ => return Err(PolicyError::syntax()),
        };
        if clash {
            return Err(PolicyError::syntax());
        }
    }

    if kind != PolicyKind::Resource
        && let Some(sid) = f.sid
        && !sid.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(PolicyError::new(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
        ));
    }
    let allow = match f.effect {
        None => return Err(PolicyError::new("Missing required field Effect")),
        Some(Value::String(e)) if e == "Allow" => true,
        Some(Value::String(e)) if e == "Deny" => false,
        Some(Value::String(_)) => return Err(PolicyError::legacy_parsing()),
        Some(_) => return Err(PolicyError::syntax()),
    };
    match (kind, f.principal) {
        (PolicyKind::Identity, Some(_)) => return Err(PolicyError::new("Policy document should not specify a principal.")),
        (PolicyKind::Resource | PolicyKind::Trust, None) => return Err(PolicyError::new("Missing required field Principal")),
        _ => {}
    }
    if kind == PolicyKind::Trust
        && let Some((name, _)) = f.resource
    {
        return Err(PolicyError::new(format!("Has prohibited field {name}")));
    }
    let Some((not_action, action_value)) = f.action else {
        return Err(PolicyError::new("Policy statement must contain actions."));
    };
    let action_texts = strings(action_value)?;
    if action_texts.is_empty() {
        return Err(PolicyError::new("Policy statement must contain actions."));
    }
    if kind == PolicyKind::Identity && f.resource.is_none() {
        return Err(PolicyError::new("Policy statement must contain resources."));
    }

    for action in &action_texts {
        check_action(action)?;
        let sts = action.split_once(':').is_some_and(|(vendor, _)| vendor.eq_ignore_ascii_case("sts"));
        if kind == PolicyKind::Trust && !not_action && !sts && *action != "*" {
            return Err(PolicyError::new("AssumeRole policy may only specify STS AssumeRole actions."));
        }
    }
    let list = ActionList::new(&action_texts);
    let actions = if not_action { Actions::NotAction(list) } else { Actions::Action(list) };

    let resources = match f.resource {
        None => Resources::Implied,
        Some((name, value)) => {
            let texts = strings(value)?;
            if texts.is_empty() {
                return Err(PolicyError::new("Policy statement must contain resources."));
            }
            let patterns = texts
                .iter()
                .map(|r| {
                    ArnPattern::compile(r, Syntax::Wildcards, variables)
                        .ok_or_else(|| PolicyError::new(format!("Resource {r} must be in ARN format or \"*\".")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if name == "Resource" { Resources::Resource(patterns) } else { Resources::NotResource(patterns) }
        }
    };

    let principals = match f.principal {
        None => Principals::Implied,
        Some(("Principal", value)) => Principals::Principal(PrincipalSet::parse(value)?),
        Some((_, value)) => Principals::NotPrincipal(PrincipalSet::parse(value)?),
    };

    let conditions = match f.condition {
        None => Vec::new(),
        Some(block) => condition::parse_block(block, variables)?,
    };

    Ok(Statement { sid: f.sid.map(str::to_owned), allow, actions, resources, principals, conditions })
}

/// A string or an array of strings.
fn strings(value: &Value) -> Result<Vec<&str>, PolicyError> {
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) => items.iter().map(|v| v.as_str().ok_or_else(PolicyError::syntax)).collect(),
        _ => Err(PolicyError::syntax()),
    }
}

/// `*` or `<vendor>:<action pattern>`.
fn check_action(action: &str) -> Result<(), PolicyError> {
    if action != "*" {
        match action.split_once(':') {
            Some((vendor, name)) if !vendor.is_empty() => {
                if name.contains(':') {
                    return Err(PolicyError::new("Actions/Condition can contain only one colon."));
                }
            }
            _ => return Err(PolicyError::vendor()),
        }
    }
    Ok(())
}
