//! SecureString parameters: sealed at rest, decrypted only on request.

mod common;

use std::path::Path;

use common::Harness;
use nimbus_store::Store;
use nimbus_svc_ssm::Limits;
use serde_json::json;

const SECRET: &str = "hunter2-correct-horse-battery-staple";
const VISIBLE: &str = "plain-visible-marker-value";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every byte under `dir` (database, WAL, anything else the store keeps).
fn files_contain(dir: &Path, needle: &[u8]) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else if contains(&std::fs::read(&path).unwrap_or_default(), needle) {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn secure_strings_are_sealed_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    {
        let h = Harness::over(Store::open(dir.path()).unwrap(), Limits::default());
        h.ok("PutParameter", json!({"Name": "/s/secret", "Value": SECRET, "Type": "SecureString"})).await;
        h.ok("PutParameter", json!({"Name": "/s/secret", "Value": format!("{SECRET}-v2"), "Overwrite": true})).await;
        h.ok("PutParameter", json!({"Name": "/s/plain", "Value": VISIBLE, "Type": "String"})).await;
        // The scan finds what is stored in clear, so its silence about the secret means something.
        assert!(files_contain(dir.path(), VISIBLE.as_bytes()));
        assert!(!files_contain(dir.path(), SECRET.as_bytes()));
    }
    assert!(!files_contain(dir.path(), SECRET.as_bytes()));
    // Reopened, the value still decrypts.
    let h = Harness::over(Store::open(dir.path()).unwrap(), Limits::default());
    let p = h.ok("GetParameter", json!({"Name": "/s/secret", "WithDecryption": true})).await;
    assert_eq!(p["Parameter"]["Value"], format!("{SECRET}-v2"));
    let p = h.ok("GetParameter", json!({"Name": "/s/secret:1", "WithDecryption": true})).await;
    assert_eq!(p["Parameter"]["Value"], SECRET);
}

#[tokio::test]
async fn decryption_only_on_request() {
    let h = Harness::new();
    h.ok("PutParameter", json!({"Name": "/s", "Value": SECRET, "Type": "SecureString"})).await;
    let sealed = h.get("/s").await;
    assert_eq!(sealed["Type"], "SecureString");
    let ciphertext = sealed["Value"].as_str().unwrap().to_owned();
    assert_ne!(ciphertext, SECRET);
    assert!(!ciphertext.contains(SECRET));
    // Stable for the version, and base64.
    assert_eq!(h.get("/s").await["Value"], ciphertext.as_str());
    assert!(ciphertext.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='));

    let clear = h.ok("GetParameter", json!({"Name": "/s", "WithDecryption": true})).await;
    assert_eq!(clear["Parameter"]["Value"], SECRET);
    let many = h.ok("GetParameters", json!({"Names": ["/s"], "WithDecryption": true})).await;
    assert_eq!(many["Parameters"][0]["Value"], SECRET);
    let by_path = h.ok("GetParametersByPath", json!({"Path": "/", "WithDecryption": true})).await;
    assert_eq!(by_path["Parameters"][0]["Value"], SECRET);
    let by_path = h.ok("GetParametersByPath", json!({"Path": "/"})).await;
    assert_eq!(by_path["Parameters"][0]["Value"], ciphertext.as_str());
    let history = h.ok("GetParameterHistory", json!({"Name": "/s", "WithDecryption": true})).await;
    assert_eq!(history["Parameters"][0]["Value"], SECRET);
    assert_eq!(history["Parameters"][0]["KeyId"], "alias/aws/ssm");
    let history = h.ok("GetParameterHistory", json!({"Name": "/s"})).await;
    assert_eq!(history["Parameters"][0]["Value"], ciphertext.as_str());

    // WithDecryption changes nothing for String parameters.
    h.put("/p", "visible").await;
    let p = h.ok("GetParameter", json!({"Name": "/p", "WithDecryption": true})).await;
    assert_eq!(p["Parameter"]["Value"], "visible");
}

#[tokio::test]
async fn key_ids_are_recorded() {
    let h = Harness::new();
    h.ok("PutParameter", json!({"Name": "/default", "Value": "x", "Type": "SecureString"})).await;
    h.ok("PutParameter", json!({"Name": "/custom", "Value": "x", "Type": "SecureString", "KeyId": "alias/mine"})).await;
    h.put("/plain", "x").await;
    let meta = h.ok("DescribeParameters", json!({})).await;
    let key_ids: Vec<_> = meta["Parameters"].as_array().unwrap().iter().map(|p| p.get("KeyId").cloned()).collect();
    // Name order: /custom, /default, /plain.
    assert_eq!(key_ids, vec![Some(json!("alias/mine")), Some(json!("alias/aws/ssm")), None]);
    // Overwrite keeps the key unless told otherwise; a String has none.
    h.ok("PutParameter", json!({"Name": "/custom", "Value": "y", "Overwrite": true})).await;
    let meta =
        h.ok("DescribeParameters", json!({"ParameterFilters": [{"Key": "KeyId", "Values": ["alias/mine"]}]})).await;
    assert_eq!(Harness::names(&meta["Parameters"]), vec!["/custom"]);
    h.ok("PutParameter", json!({"Name": "/custom", "Value": "z", "Type": "String", "Overwrite": true})).await;
    let meta =
        h.ok("DescribeParameters", json!({"ParameterFilters": [{"Key": "KeyId", "Values": ["alias/mine"]}]})).await;
    assert_eq!(meta["Parameters"], json!([]));
    let p = h.ok("GetParameter", json!({"Name": "/custom:2", "WithDecryption": true})).await;
    assert_eq!(p["Parameter"]["Value"], "y");
}
