//! Reads every model in `models/` at build time and writes two things into OUT_DIR:
//! - `embedded.rs`: a table of `(name, include_str!(model))`, so the binary carries the models;
//! - `index.json`: the small classification index (per service: signing name, target prefix,
//!   protocols, and per operation its HTTP method and URI), so that start-up never parses a model
//!   and classification needs no hand-kept table.

#[path = "src/types.rs"]
#[allow(dead_code)]
mod types;

use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let models_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../models");
    let models_dir = models_dir.canonicalize().expect("models/ directory next to crates/");
    println!("cargo:rerun-if-changed={}", models_dir.display());

    let mut names: Vec<String> = std::fs::read_dir(&models_dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();

    let mut embedded = String::from("pub static EMBEDDED: &[(&str, &str)] = &[\n");
    let mut index = Vec::new();
    for name in &names {
        let path = models_dir.join(format!("{name}.json"));
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(embedded, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let model: types::ServiceModel =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("model {name} does not parse: {e}"));
        let md = &model.metadata;
        let operations: Vec<serde_json::Value> = model
            .operations
            .values()
            .map(|op| serde_json::json!({"name": op.name, "method": op.http.method, "uri": op.http.request_uri}))
            .collect();
        index.push(serde_json::json!({
            "name": name,
            "service_id": md.service_id,
            "api_version": md.api_version,
            "signing_name": md.signing_name(),
            "endpoint_prefix": md.endpoint_prefix,
            "target_prefix": md.target_prefix,
            "json_version": md.json_version,
            "protocols": md.all_protocols(),
            "query_compatible": md.aws_query_compatible.is_some(),
            "operations": operations,
        }));
    }
    embedded.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out.join("embedded.rs"), embedded).unwrap();
    std::fs::write(out.join("index.json"), serde_json::to_string(&index).unwrap()).unwrap();
}
