//! One compiled statement and how it matches a request.

use crate::arn::{Arn, ArnPattern};
use crate::condition::Condition;
use crate::evaluate::Missing;
use crate::pattern::{Pattern, Syntax};
use crate::principal::{Grant, PrincipalSet};
use crate::{Context, Principal};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Actions {
    Action(ActionList),
    NotAction(ActionList),
}

/// Action patterns, with the services they name so most statements are passed over with one
/// comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionList {
    patterns: Vec<Pattern>,
    /// The distinct services (lowercased) when every pattern names one without wildcards.
    services: Option<Vec<String>>,
}

impl ActionList {
    /// `texts` are validated (`*` or `<service>:<pattern>`).
    pub(crate) fn new(texts: &[&str]) -> ActionList {
        let mut services: Option<Vec<String>> = Some(Vec::new());
        for text in texts {
            let service = text.split_once(':').map(|(s, _)| s).filter(|s| !s.contains(['*', '?']));
            match (service, services.as_mut()) {
                (Some(service), Some(known)) => {
                    if !known.iter().any(|k| k.eq_ignore_ascii_case(service)) {
                        known.push(service.to_ascii_lowercase());
                    }
                }
                _ => services = None,
            }
        }
        let patterns = texts.iter().map(|t| Pattern::compile(t, Syntax::Wildcards, false)).collect();
        ActionList { patterns, services }
    }

    fn matches(&self, action: &str, service: &str, context: &Context, missing: &mut Missing) -> bool {
        if let Some(services) = &self.services
            && !services.iter().any(|s| s.eq_ignore_ascii_case(service))
        {
            return false;
        }
        self.patterns.iter().any(|p| p.matches(action, true, context, missing))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resources {
    /// No Resource element (trust policies; resource policies that leave it implied): the
    /// statement covers the resource the policy is attached to.
    Implied,
    Resource(Vec<ArnPattern>),
    NotResource(Vec<ArnPattern>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Principals {
    /// Identity-based policies: the principal is whoever the policy is attached to.
    Implied,
    Principal(PrincipalSet),
    NotPrincipal(PrincipalSet),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) allow: bool,
    pub(crate) actions: Actions,
    pub(crate) resources: Resources,
    pub(crate) principals: Principals,
    pub(crate) conditions: Vec<Condition>,
}

/// How a statement's Principal element applies to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalMatch {
    No,
    /// Matched through a NotPrincipal element (it names everyone it does not list).
    Excluded,
    Named(Grant),
    /// No Principal element.
    Implied,
}

impl Statement {
    /// `service` is the part of `action` before its colon.
    pub(crate) fn matches_action(&self, action: &str, service: &str, context: &Context, missing: &mut Missing) -> bool {
        match &self.actions {
            Actions::Action(list) => list.matches(action, service, context, missing),
            Actions::NotAction(list) => !list.matches(action, service, context, missing),
        }
    }

    pub(crate) fn matches_resource(&self, resource: &Arn, context: &Context, missing: &mut Missing) -> bool {
        let any = |patterns: &[ArnPattern], missing: &mut Missing| patterns.iter().any(|p| p.matches(resource, context, missing));
        match &self.resources {
            Resources::Implied => true,
            Resources::Resource(patterns) => any(patterns, missing),
            Resources::NotResource(patterns) => !any(patterns, missing),
        }
    }

    /// `boundary_applies`: the caller is an IAM user or role with a permissions boundary,
    /// which AWS documents makes a Deny with NotPrincipal deny it whatever the list says.
    pub(crate) fn matches_principal(&self, principal: &Principal, boundary_applies: bool) -> PrincipalMatch {
        match &self.principals {
            Principals::Implied => PrincipalMatch::Implied,
            Principals::Principal(set) => set.grant_for(principal).map_or(PrincipalMatch::No, PrincipalMatch::Named),
            Principals::NotPrincipal(set) => {
                if (!self.allow && boundary_applies) || !set.excludes(principal) {
                    PrincipalMatch::Excluded
                } else {
                    PrincipalMatch::No
                }
            }
        }
    }

    /// Every condition holds (each key is tested, so `missing` learns every absent key).
    pub(crate) fn conditions_hold(&self, context: &Context, missing: &mut Missing) -> bool {
        let mut all = true;
        for condition in &self.conditions {
            all &= condition.holds(context, missing);
        }
        all
    }
}
