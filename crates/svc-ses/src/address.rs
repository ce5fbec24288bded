//! Email address syntax, checked the way SES checks it. SES's messages for a bad address
//! ("Missing final '@domain'", "Local address contains control or whitespace", "Domain contains
//! illegal character", ...) are those of the Java mail API's address check, so this follows the
//! same rules: an optional display name before `<addr>`, a local part of atoms or one quoted
//! string, a domain of labels or a `[literal]`.

/// One parsed address: `"Jane Doe" <jane@example.com>` or `jane@example.com`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    /// `local@domain`, as given.
    pub address: String,
}

/// The part after the last `@` (empty if none).
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Characters RFC 5322 reserves outside quoted strings.
const SPECIALS: &str = "()<>,;:\\\"[]@";

/// Parses and checks one address; the error is SES's message for it.
pub fn parse(input: &str) -> Result<Mailbox, String> {
    let input = input.trim();
    if input.is_empty() {
        return Err("Empty address".into());
    }
    let (name, address) = match input.find('<') {
        Some(open) if !in_quotes(input, open) => {
            let Some(close) = input[open..].find('>').map(|c| open + c) else {
                return Err("Missing '>'".into());
            };
            if !input[close + 1..].trim().is_empty() {
                return Err("Illegal address".into());
            }
            let name = unquote(input[..open].trim());
            (Some(name).filter(|n| !n.is_empty()), input[open + 1..close].trim())
        }
        _ => (None, input),
    };
    check(address)?;
    Ok(Mailbox { name, address: address.to_owned() })
}

fn in_quotes(s: &str, at: usize) -> bool {
    s[..at].chars().filter(|&c| c == '"').count() % 2 == 1
}

fn unquote(name: &str) -> String {
    let inner = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')).unwrap_or(name);
    inner.replace("\\\"", "\"")
}

/// The address-spec rules (`local@domain`).
fn check(address: &str) -> Result<(), String> {
    let Some((local, domain)) = split_address(address) else {
        if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("Local address contains control or whitespace".into());
        }
        return Err("Missing final '@domain'".into());
    };
    check_local(local)?;
    check_domain(domain)
}

/// Splits at the last `@` outside a quoted local part.
fn split_address(address: &str) -> Option<(&str, &str)> {
    let at = address.char_indices().rev().find(|&(i, c)| c == '@' && !in_quotes(address, i)).map(|(i, _)| i)?;
    Some((&address[..at], &address[at + 1..]))
}

fn check_local(local: &str) -> Result<(), String> {
    if local.is_empty() {
        return Err("Missing local name".into());
    }
    if local.len() >= 2 && local.starts_with('"') && local.ends_with('"') {
        if local.contains(['\r', '\n']) {
            return Err("Quoted local address contains newline or CR".into());
        }
        return Ok(());
    }
    if local.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("Local address contains control or whitespace".into());
    }
    if local.chars().any(|c| SPECIALS.contains(c)) {
        return Err("Local address contains illegal character".into());
    }
    if local.starts_with('.') {
        return Err("Local address starts with dot".into());
    }
    if local.ends_with('.') {
        return Err("Local address ends with dot".into());
    }
    if local.contains("..") {
        return Err("Local address contains dot-dot".into());
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), String> {
    if domain.is_empty() {
        return Err("Missing domain".into());
    }
    if domain.starts_with('[') {
        return if domain.ends_with(']') { Ok(()) } else { Err("Missing ']' in domain literal".into()) };
    }
    if domain.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("Domain contains control or whitespace".into());
    }
    if domain.chars().any(|c| !(c.is_alphanumeric() || c == '-' || c == '.' || c == '_')) {
        return Err("Domain contains illegal character".into());
    }
    if domain.starts_with('.') {
        return Err("Domain starts with dot".into());
    }
    if domain.ends_with('.') {
        return Err("Domain ends with dot".into());
    }
    if domain.contains("..") {
        return Err("Domain contains dot-dot".into());
    }
    Ok(())
}

/// A domain identity's syntax (v1 VerifyDomainIdentity, v2 CreateEmailIdentity).
pub fn check_domain_identity(domain: &str) -> Result<(), String> {
    check_domain(domain).map_err(|_| format!("Invalid domain name {domain}."))
}

/// The identity key of an address or domain: domains compare case-insensitively, the local
/// part of an address does not (AWS: verified addresses are case-sensitive).
pub fn identity_key(identity: &str) -> String {
    match identity.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => identity.to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_and_bare_addresses() {
        assert_eq!(parse("jane@example.com").unwrap(), Mailbox { name: None, address: "jane@example.com".into() });
        let named = parse("\"Doe, Jane\" <jane@example.com>").unwrap();
        assert_eq!(named.name.as_deref(), Some("Doe, Jane"));
        assert_eq!(named.address, "jane@example.com");
        assert_eq!(domain_of(&parse("Jane <jane@Example.COM>").unwrap().address), "Example.COM");
    }

    #[test]
    fn ses_messages_for_bad_addresses() {
        let err = |a: &str| parse(a).unwrap_err();
        assert_eq!(err("nobody"), "Missing final '@domain'");
        assert_eq!(err("nobody@"), "Missing domain");
        assert_eq!(err("@example.com"), "Missing local name");
        assert_eq!(err("no body@example.com"), "Local address contains control or whitespace");
        assert_eq!(err("a(b)@example.com"), "Local address contains illegal character");
        assert_eq!(err("a@exa mple.com"), "Domain contains control or whitespace");
        assert_eq!(err("a@exa!mple.com"), "Domain contains illegal character");
        assert_eq!(err("a@.example.com"), "Domain starts with dot");
        assert_eq!(err("a@example..com"), "Domain contains dot-dot");
        assert_eq!(err("Jane <jane@example.com"), "Missing '>'");
        assert!(parse("\"odd@local\"@example.com").is_ok());
    }

    #[test]
    fn identity_keys_fold_only_the_domain() {
        assert_eq!(identity_key("Jane@Example.COM"), "Jane@example.com");
        assert_eq!(identity_key("Example.COM"), "example.com");
    }
}
