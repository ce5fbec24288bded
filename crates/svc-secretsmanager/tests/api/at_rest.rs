use std::path::Path;

use nimbus_store::Store;
use serde_json::json;

use crate::common::*;

const STRING_VALUE: &str = "ZEBRA-quokka-7731-plaintext-canary";
const BINARY_VALUE: &[u8] = b"BINARY-axolotl-4410-canary";
const UPDATED_VALUE: &str = "NARWHAL-updated-9902-canary";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn occurs_in_data_dir(dir: &Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    files
        .into_iter()
        .filter(|f| {
            let bytes = std::fs::read(f).unwrap_or_default();
            bytes.windows(needle.len()).any(|w| w == needle)
        })
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn secret_values_never_reach_disk_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    {
        let sm = Sm::with_store(Store::open(dir.path()).unwrap());
        sm.ok("CreateSecret", json!({"Name": "canary-string", "SecretString": STRING_VALUE})).await;
        sm.ok("CreateSecret", json!({"Name": "canary-binary", "SecretBinary": base64(BINARY_VALUE)})).await;
        sm.ok("UpdateSecret", json!({"SecretId": "canary-string", "SecretString": UPDATED_VALUE})).await;
        sm.ok("GetSecretValue", json!({"SecretId": "canary-string"})).await;

        // The scan does find what is stored in the clear (names), so it is not vacuous.
        assert!(!occurs_in_data_dir(dir.path(), b"canary-string").is_empty());
        for needle in [STRING_VALUE.as_bytes(), BINARY_VALUE, UPDATED_VALUE.as_bytes()] {
            let found = occurs_in_data_dir(dir.path(), needle);
            assert!(found.is_empty(), "{:?} found in {found:?}", String::from_utf8_lossy(needle));
        }
        for needle in [base64(STRING_VALUE.as_bytes()), base64(BINARY_VALUE), base64(UPDATED_VALUE.as_bytes())] {
            assert!(occurs_in_data_dir(dir.path(), needle.as_bytes()).is_empty());
        }
    }
    // Reopened, the values unseal again.
    let sm = Sm::with_store(Store::open(dir.path()).unwrap());
    assert_eq!(sm.ok("GetSecretValue", json!({"SecretId": "canary-string"})).await["SecretString"], UPDATED_VALUE);
    assert_eq!(
        sm.ok("GetSecretValue", json!({"SecretId": "canary-string", "VersionStage": "AWSPREVIOUS"})).await["SecretString"],
        STRING_VALUE
    );
    assert_eq!(
        sm.ok("GetSecretValue", json!({"SecretId": "canary-binary"})).await["SecretBinary"],
        base64(BINARY_VALUE)
    );
}
