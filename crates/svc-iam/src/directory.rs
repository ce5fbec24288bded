//! IAM's [`Directory`]: what strict mode asks on every request (a principal's policies) and STS
//! on AssumeRole (the role's trust, managed session policies).
//!
//! [`resolve`] finds an identity's policies from the records; the simulator uses the same
//! function, so it decides what enforcement decides. Answers are cached parsed
//! (`Arc<Policy>`), per ARN, and the whole cache is dropped after every IAM write. A
//! generation counter keeps a lookup that raced a write from caching what it read before it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use nimbus_policy::{Directory, OidcProvider, Policy, PolicyKind, PrincipalPolicies, RoleTrust};

use crate::Inner;
use crate::errors::Res;
use crate::policies::{Managed, find_managed};
use crate::records::{GroupRecord, OidcProviderRecord, RoleRecord, UserRecord, key};
use crate::util::{Read, arn, arn_parts, split_resource};

/// Parsed documents by (kind tag, text); `None` for a text that no longer parses.
type ParsedPolicies = HashMap<(u8, String), Option<Arc<Policy>>>;

/// Parsed documents kept by text; past this many the map starts over.
const PARSED_LIMIT: usize = 4096;

/// One policy of an identity, with where it came from (the simulator's `MatchedStatements`).
#[derive(Clone)]
pub(crate) struct Source {
    pub policy: Arc<Policy>,
    /// Inline policy name or managed policy ARN.
    pub id: String,
    /// `user`, `group`, `role`, `aws-managed`, `user-managed`.
    pub kind: &'static str,
}

/// What an IAM identity is, and everything attached to it.
pub(crate) struct Resolved {
    /// The identity's IAM ARN, path included.
    pub arn: String,
    pub id: String,
    /// `User`, `Role`, `Group`.
    pub entity: &'static str,
    pub policies: Vec<Source>,
    pub boundary: Option<Source>,
    pub tags: Vec<(String, String)>,
}

#[derive(Default)]
struct State {
    generation: u64,
    principals: HashMap<String, Option<PrincipalPolicies>>,
    roles: HashMap<String, Option<RoleTrust>>,
    managed: HashMap<String, Option<Arc<Policy>>>,
}

/// Cached directory answers and parsed documents.
#[derive(Default)]
pub struct Cache {
    state: Mutex<State>,
    parsed: Mutex<ParsedPolicies>,
}

impl Cache {
    /// Drops every cached answer (after any IAM write).
    pub fn invalidate(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.generation += 1;
        state.principals.clear();
        state.roles.clear();
        state.managed.clear();
    }

    /// A stored document, parsed once. Documents were validated when stored; one that no
    /// longer parses grants nothing.
    pub(crate) fn parse(&self, kind: PolicyKind, text: &str) -> Option<Arc<Policy>> {
        let tag = match kind {
            PolicyKind::Identity => 0,
            PolicyKind::Resource => 1,
            PolicyKind::Trust => 2,
        };
        let k = (tag, text.to_owned());
        if let Some(found) = self
            .parsed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&k)
        {
            return found.clone();
        }
        let policy = Policy::parse(text, kind).ok().map(Arc::new);
        let mut parsed = self.parsed.lock().unwrap_or_else(PoisonError::into_inner);
        if parsed.len() >= PARSED_LIMIT {
            parsed.clear();
        }
        parsed.insert(k, policy.clone());
        policy
    }

    /// A cached answer from the map `pick` selects, or `compute`d and cached unless a write
    /// happened meanwhile.
    fn get_or<T: Clone>(
        &self,
        arn: &str,
        pick: fn(&mut State) -> &mut HashMap<String, Option<T>>,
        compute: impl FnOnce() -> Option<T>,
    ) -> Option<T> {
        let generation = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(found) = pick(&mut state).get(arn) {
                return found.clone();
            }
            state.generation
        };
        let value = compute();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.generation == generation {
            let map = pick(&mut state);
            if map.len() >= PARSED_LIMIT {
                map.clear();
            }
            map.insert(arn.to_owned(), value.clone());
        }
        value
    }
}

/// Whether an ARN's path (if it gives one beyond `/`) is the entity's.
fn path_matches(given: &str, actual: &str) -> bool {
    given == "/" || given == actual
}

fn managed_source<S: Read>(
    s: &S,
    cache: &Cache,
    account: &str,
    policy_arn: &str,
) -> Res<Option<Source>> {
    Ok(match find_managed(s, account, policy_arn)? {
        Some(Managed::Aws(p)) => Some(Source {
            policy: p.parsed.clone(),
            id: p.name.clone(),
            kind: "aws-managed",
        }),
        Some(Managed::Local(p)) => {
            cache
                .parse(PolicyKind::Identity, p.default_document())
                .map(|policy| Source {
                    policy,
                    id: p.name.clone(),
                    kind: "user-managed",
                })
        }
        None => None,
    })
}

fn inline_sources(
    cache: &Cache,
    inline: &std::collections::BTreeMap<String, String>,
    kind: &'static str,
    out: &mut Vec<Source>,
) {
    for (name, text) in inline {
        if let Some(policy) = cache.parse(PolicyKind::Identity, text) {
            out.push(Source {
                policy,
                id: name.clone(),
                kind,
            });
        }
    }
}

fn attached_sources<S: Read>(
    s: &S,
    cache: &Cache,
    account: &str,
    attached: &[String],
    out: &mut Vec<Source>,
) -> Res<()> {
    for a in attached {
        if let Some(source) = managed_source(s, cache, account, a)? {
            out.push(source);
        }
    }
    Ok(())
}

fn tags(tags: &[crate::records::Tag]) -> Vec<(String, String)> {
    tags.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// The IAM identity `principal_arn` names (user, role, role session, group), with its
/// policies; `None` if there is no such identity.
pub(crate) fn resolve<S: Read>(s: &S, cache: &Cache, principal_arn: &str) -> Res<Option<Resolved>> {
    let Some((service, account, resource)) = arn_parts(principal_arn) else {
        return Ok(None);
    };
    if service == "sts" {
        let Some(role_name) = resource
            .strip_prefix("assumed-role/")
            .and_then(|r| r.split('/').next())
        else {
            return Ok(None);
        };
        return resolve_role(s, cache, account, role_name, "/");
    }
    if service != "iam" {
        return Ok(None);
    }
    if let Some((name, path)) = split_resource(resource, "user") {
        let Some(u) = s.rec::<UserRecord>(account, &key(name))? else {
            return Ok(None);
        };
        if !path_matches(&path, &u.path) {
            return Ok(None);
        }
        let mut policies = Vec::new();
        inline_sources(cache, &u.inline, "user", &mut policies);
        attached_sources(s, cache, account, &u.attached, &mut policies)?;
        for group_name in &u.groups {
            if let Some(g) = s.rec::<GroupRecord>(account, &key(group_name))? {
                inline_sources(cache, &g.inline, "group", &mut policies);
                attached_sources(s, cache, account, &g.attached, &mut policies)?;
            }
        }
        let boundary = match &u.boundary {
            Some(b) => managed_source(s, cache, account, b)?,
            None => None,
        };
        return Ok(Some(Resolved {
            arn: arn(account, "user", &u.path, &u.name),
            id: u.id.clone(),
            entity: "User",
            policies,
            boundary,
            tags: tags(&u.tags),
        }));
    }
    if let Some((name, path)) = split_resource(resource, "role") {
        return resolve_role(s, cache, account, name, &path);
    }
    if let Some((name, path)) = split_resource(resource, "group") {
        let Some(g) = s.rec::<GroupRecord>(account, &key(name))? else {
            return Ok(None);
        };
        if !path_matches(&path, &g.path) {
            return Ok(None);
        }
        let mut policies = Vec::new();
        inline_sources(cache, &g.inline, "group", &mut policies);
        attached_sources(s, cache, account, &g.attached, &mut policies)?;
        return Ok(Some(Resolved {
            arn: arn(account, "group", &g.path, &g.name),
            id: g.id.clone(),
            entity: "Group",
            policies,
            boundary: None,
            tags: Vec::new(),
        }));
    }
    Ok(None)
}

fn resolve_role<S: Read>(
    s: &S,
    cache: &Cache,
    account: &str,
    name: &str,
    path: &str,
) -> Res<Option<Resolved>> {
    let Some(r) = s.rec::<RoleRecord>(account, &key(name))? else {
        return Ok(None);
    };
    if !path_matches(path, &r.path) {
        return Ok(None);
    }
    let mut policies = Vec::new();
    inline_sources(cache, &r.inline, "role", &mut policies);
    attached_sources(s, cache, account, &r.attached, &mut policies)?;
    let boundary = match &r.boundary {
        Some(b) => managed_source(s, cache, account, b)?,
        None => None,
    };
    Ok(Some(Resolved {
        arn: arn(account, "role", &r.path, &r.name),
        id: r.id.clone(),
        entity: "Role",
        policies,
        boundary,
        tags: tags(&r.tags),
    }))
}

/// [`Directory`] over IAM's records.
pub struct IamDirectory(pub(crate) Arc<Inner>);

impl Directory for IamDirectory {
    fn principal_policies(&self, principal_arn: &str) -> Option<PrincipalPolicies> {
        let inner = &self.0;
        inner.cache.get_or(
            principal_arn,
            |s| &mut s.principals,
            || {
                let resolved = resolve(&inner.store, &inner.cache, principal_arn).ok()??;
                Some(PrincipalPolicies {
                    identity: resolved.policies.into_iter().map(|s| s.policy).collect(),
                    boundary: resolved.boundary.map(|s| s.policy),
                    tags: resolved.tags,
                })
            },
        )
    }

    fn role(&self, role_arn: &str) -> Option<RoleTrust> {
        let inner = &self.0;
        inner.cache.get_or(
            role_arn,
            |s| &mut s.roles,
            || {
                let (service, account, resource) = arn_parts(role_arn)?;
                if service != "iam" {
                    return None;
                }
                let (name, path) = split_resource(resource, "role")?;
                let r: RoleRecord = inner.store.rec(account, &key(name)).ok()??;
                if !path_matches(&path, &r.path) {
                    return None;
                }
                Some(RoleTrust {
                    arn: arn(account, "role", &r.path, &r.name),
                    role_id: r.id.clone(),
                    trust_policy: inner.cache.parse(PolicyKind::Trust, &r.trust_policy)?,
                    max_session_duration: r.max_session_duration,
                    tags: tags(&r.tags),
                })
            },
        )
    }

    fn oidc_provider(&self, account_id: &str, issuer: &str) -> Option<OidcProvider> {
        let url = issuer
            .split_once("://")
            .map_or(issuer, |(_, rest)| rest)
            .trim_end_matches('/');
        let record: OidcProviderRecord = self.0.store.rec(account_id, url).ok()??;
        Some(OidcProvider {
            arn: format!("arn:aws:iam::{account_id}:oidc-provider/{}", record.url),
            url: record.url,
            client_ids: record.client_ids,
        })
    }

    fn managed_policy(&self, policy_arn: &str) -> Option<Arc<Policy>> {
        let inner = &self.0;
        inner.cache.get_or(
            policy_arn,
            |s| &mut s.managed,
            || {
                let account = arn_parts(policy_arn).map(|(_, a, _)| a)?;
                match find_managed(&inner.store, account, policy_arn).ok()?? {
                    Managed::Aws(p) => Some(p.parsed.clone()),
                    Managed::Local(p) => inner
                        .cache
                        .parse(PolicyKind::Identity, p.default_document()),
                }
            },
        )
    }
}
