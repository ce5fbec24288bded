//! Reads every model in `models/` at build time and writes two things into OUT_DIR:
//! - `embedded.rs`: tables of `(name, include_str!(model))`, so the binary carries the models;
//! - `index.json`: the small classification index (per service: signing name, target prefix,
//!   protocols, and per operation its HTTP method and URI), so that start-up never parses a model
//!   and classification needs no hand-kept table.
//!
//! `<service>-query.json` is not a service of its own: it is an older botocore's awsQuery model of
//! a JSON service that is query-compatible (SQS), kept for the query wire. It goes into a separate
//! table, `QUERY_MODELS`, and never into the index, so classification does not see it.

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

    let read = |name: &str| -> (PathBuf, types::ServiceModel) {
        let path = models_dir.join(format!("{name}.json"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).unwrap();
        let model = serde_json::from_str(&text).unwrap_or_else(|e| panic!("model {name} does not parse: {e}"));
        (path, model)
    };
    let is_query_model = |name: &str| name.strip_suffix("-query").is_some_and(|base| names.iter().any(|n| n == base));

    let mut embedded = String::from("pub static EMBEDDED: &[(&str, &str)] = &[\n");
    // (service, API uid, model): the uid ties a parsed JSON model to its query model unparsed.
    let mut query_models = String::from("pub static QUERY_MODELS: &[(&str, &str, &str)] = &[\n");
    let mut index = Vec::new();
    for name in &names {
        if is_query_model(name) {
            let (path, model) = read(name);
            let service = name.strip_suffix("-query").unwrap();
            let (_, current) = read(service);
            assert_eq!(model.metadata.protocol, "query", "{name}.json must be an awsQuery model");
            assert!(current.metadata.aws_query_compatible.is_some(), "{service} must be awsQueryCompatible to keep {name}.json");
            let uid = model.metadata.uid.as_deref().unwrap_or_else(|| panic!("{name}.json has no uid"));
            assert_eq!(Some(uid), current.metadata.uid.as_deref(), "{name}.json must be the same API version as {service}.json");
            writeln!(query_models, "    ({service:?}, {uid:?}, include_str!({:?})),", path.display().to_string()).unwrap();
            continue;
        }
        let (path, model) = read(name);
        writeln!(embedded, "    ({name:?}, include_str!({:?})),", path.display().to_string()).unwrap();
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
    query_models.push_str("];\n");
    embedded.push_str(&query_models);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out.join("embedded.rs"), embedded).unwrap();
    std::fs::write(out.join("index.json"), serde_json::to_string(&index).unwrap()).unwrap();
}
