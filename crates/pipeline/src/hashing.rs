//! Content hashes: canonical JSON, SHA-256, and the run hash that keys the cache.

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The code version: SHA-256 over every `*.rs` and `Cargo.toml` under `crates/` plus
/// `Cargo.lock`, computed by `build.rs` when this binary was built.
pub const SOURCE_HASH: &str = env!("ICNET_SOURCE_HASH");

/// Version of the hash input layout below; bump it to invalidate every cached run.
const RUN_HASH_FORMAT: u64 = 1;

/// Lower-case hexadecimal SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Compact JSON with object keys sorted at every level.
///
/// Independent of serde_json's `preserve_order` feature (which another crate in the workspace
/// could switch on), so the same value always gives the same bytes.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// SHA-256 of the canonical JSON of `value`.
pub fn json_hash(value: &Value) -> String {
    sha256_hex(canonical_json(value).as_bytes())
}

/// The run hash: SHA-256 over (hash format, code version, experiment id, canonical config JSON,
/// data checksums, seed). Equal inputs give equal hashes on every machine.
pub fn run_hash(
    source_hash: &str,
    experiment: &str,
    config: &Value,
    data_checksums: &BTreeMap<String, String>,
    seed: u64,
) -> String {
    let input = serde_json::json!({
        "format": RUN_HASH_FORMAT,
        "code_version": source_hash,
        "experiment": experiment,
        "config": config,
        "data_checksums": data_checksums,
        "seed": seed,
    });
    json_hash(&input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sha256_matches_the_standard_test_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": 1, "a": {"z": [1, 2.5, "x"], "y": null}});
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"y":null,"z":[1,2.5,"x"]},"b":1}"#
        );
        // Insertion order must not matter.
        let mut map = serde_json::Map::new();
        map.insert("z".into(), json!(1));
        map.insert("a".into(), json!(2));
        let b = Value::Object(map);
        assert_eq!(canonical_json(&b), r#"{"a":2,"z":1}"#);
    }

    #[test]
    fn run_hash_is_stable_and_sensitive_to_every_input() {
        let config = json!({"dt_ms": 0.001, "model": "hh-modern"});
        let data = BTreeMap::new();
        let base = run_hash("code", "fig2", &config, &data, 0);
        // Pinned: a change here silently invalidates (or worse, aliases) every cached run.
        assert_eq!(base, run_hash("code", "fig2", &config, &data, 0));
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            json_hash(&json!({
                "format": 1, "code_version": "code", "experiment": "fig2",
                "config": {"model": "hh-modern", "dt_ms": 0.001},
                "data_checksums": {}, "seed": 0
            }))
        );
        assert_ne!(base, run_hash("code2", "fig2", &config, &data, 0));
        assert_ne!(base, run_hash("code", "fig3", &config, &data, 0));
        assert_ne!(
            base,
            run_hash("code", "fig2", &json!({"dt_ms": 0.01}), &data, 0)
        );
        assert_ne!(base, run_hash("code", "fig2", &config, &data, 1));
        let mut data2 = BTreeMap::new();
        data2.insert("mnist".to_string(), "abc".to_string());
        assert_ne!(base, run_hash("code", "fig2", &config, &data2, 0));
    }

    #[test]
    fn known_run_hash_value_is_pinned() {
        let h = run_hash("x", "e", &json!({}), &BTreeMap::new(), 0);
        let expected = sha256_hex(
            br#"{"code_version":"x","config":{},"data_checksums":{},"experiment":"e","format":1,"seed":0}"#,
        );
        assert_eq!(h, expected);
    }
}
