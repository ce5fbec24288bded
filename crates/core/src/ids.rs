//! Identifiers in the forms AWS uses.

use rand::Rng;

/// A request id as AWS prints them (a UUID).
pub fn request_id() -> String {
    uuid()
}

/// A UUID v4, e.g. for secret version ids. Drawn from the thread's CSPRNG (ChaCha, seeded from
/// the OS) rather than `Uuid::new_v4`'s getrandom call: one system call less per id, which every
/// request and every SQS message pays.
pub fn uuid() -> String {
    uuid::Builder::from_random_bytes(rand::thread_rng().r#gen()).into_uuid().to_string()
}

/// `len` random characters from `alphabet`.
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A temporary access key id (`ASIA` + 16) or a long-term one (`AKIA` + 16).
pub fn access_key_id(temporary: bool) -> String {
    let prefix = if temporary { "ASIA" } else { "AKIA" };
    format!("{prefix}{}", random_from(UPPER_ALNUM, 16))
}

/// A 40-character secret access key.
pub fn secret_access_key() -> String {
    random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40)
}

/// A principal's unique id as IAM prints them (`AROA...`, `AIDA...`).
pub fn unique_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from(UPPER_ALNUM, 17))
}

/// A deterministic id (`prefix` + 17 characters) derived from `seed`: the same role or user gets
/// the same unique id on every call and across restarts, as on AWS.
pub fn stable_id(prefix: &str, seed: &str) -> String {
    let mut out = String::from(prefix);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut round = 0u8;
    while out.len() < prefix.len() + 17 {
        for b in seed.bytes().chain([round]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        for i in 0..8 {
            if out.len() < prefix.len() + 17 {
                out.push(UPPER_ALNUM[((h >> (i * 8)) % 36) as usize] as char);
            }
        }
        round += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_random_version_4() {
        let id = uuid::Uuid::parse_str(&super::uuid()).unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(super::uuid(), super::uuid());
    }

    #[test]
    fn stable_ids_are_stable_and_distinct() {
        let a = stable_id("AROA", "arn:aws:iam::000000000000:role/app");
        assert_eq!(a, stable_id("AROA", "arn:aws:iam::000000000000:role/app"));
        assert_ne!(a, stable_id("AROA", "arn:aws:iam::000000000000:role/other"));
        assert_eq!(a.len(), 21);
        assert!(a.starts_with("AROA"));
    }

    #[test]
    fn key_ids_have_aws_forms() {
        assert!(access_key_id(true).starts_with("ASIA"));
        assert_eq!(access_key_id(false).len(), 20);
        assert_eq!(secret_access_key().len(), 40);
    }
}
