//! `icnet verify`: is a committed output directory (e.g. `paper/`) the output of the current
//! code? Checks, and lists every problem found:
//!
//! - `manifest.json` exists, parses, and was written by this code version (source hash);
//! - every output was rendered by this code version, with the manifest's profile;
//! - every registered experiment has outputs in it, and no output belongs to an unknown one;
//! - every file the manifest lists exists and has the SHA-256 the manifest recorded;
//! - `index.md` lists every figure and table, and equals what the manifest renders;
//! - `metrics.json` parses and holds metrics only of experiments in the manifest.

use crate::hashing::{sha256_hex, SOURCE_HASH};
use crate::output::manifest::{self, Manifest};
use crate::output::{index, metrics, OutputKind};
use crate::registry::Registry;
use anyhow::Result;
use std::collections::BTreeSet;
use std::path::Path;

/// Every problem of the output directory `dir`, as sentences (empty: it is current).
/// `source_hash` is the code version to compare with (the binary's, [`SOURCE_HASH`]).
pub fn problems(registry: &Registry, dir: &Path, source_hash: &str) -> Vec<String> {
    let mut found = Vec::new();
    let manifest_path = dir.join("manifest.json");
    let manifest: Manifest = match std::fs::read_to_string(&manifest_path) {
        Err(e) => {
            return vec![format!(
                "cannot read {}: {e}; run `icnet reproduce --out {}`",
                manifest_path.display(),
                dir.display()
            )]
        }
        Ok(text) => match serde_json::from_str::<Manifest>(&text) {
            Ok(m) if m.format == manifest::MANIFEST_FORMAT => m,
            Ok(m) => {
                return vec![format!(
                    "{} has layout version {} but this icnet writes version {}; regenerate it",
                    manifest_path.display(),
                    m.format,
                    manifest::MANIFEST_FORMAT
                )]
            }
            Err(e) => return vec![format!("{} is not valid ({e})", manifest_path.display())],
        },
    };
    let short = |h: &str| h.get(..12).unwrap_or(h).to_string();
    let regenerate = format!(
        "icnet reproduce --profile {} --out {}",
        manifest.profile,
        dir.display()
    );
    if manifest.tool.source_hash != source_hash {
        found.push(format!(
            "manifest.json was written by code version {} but the code is now {}; regenerate with `{regenerate}`",
            short(&manifest.tool.source_hash),
            short(source_hash)
        ));
    }
    let known: BTreeSet<&str> = registry.ids().into_iter().collect();
    let present: BTreeSet<&str> = manifest
        .outputs
        .iter()
        .map(|o| o.experiment.as_str())
        .collect();
    for id in registry.ids() {
        if !present.contains(id) {
            found.push(format!(
                "experiment {id} has no outputs in the manifest; run `icnet reproduce --profile {} --only {id} --out {}`",
                manifest.profile,
                dir.display()
            ));
        }
    }
    for o in &manifest.outputs {
        let what = format!("output {} ({})", o.name, o.experiment);
        if !known.contains(o.experiment.as_str()) {
            found.push(format!(
                "{what} belongs to no registered experiment; regenerate with `{regenerate}`"
            ));
        }
        if o.profile != manifest.profile {
            found.push(format!(
                "{what} has profile {} but the manifest's is {}",
                o.profile, manifest.profile
            ));
        }
        if o.source_hash != source_hash && manifest.tool.source_hash == source_hash {
            found.push(format!(
                "{what} was rendered by code version {}, not the current {}; run `icnet reproduce --profile {} --only {} --out {}`",
                short(&o.source_hash),
                short(source_hash),
                manifest.profile,
                o.experiment,
                dir.display()
            ));
        }
        for file in &o.files {
            let path = dir.join(file);
            let Ok(bytes) = std::fs::read(&path) else {
                found.push(format!("{what}: file {file} is listed but missing"));
                continue;
            };
            match o.checksums.get(file) {
                None => found.push(format!(
                    "{what}: the manifest has no checksum of {file}; regenerate with `{regenerate}`"
                )),
                Some(sum) if *sum != sha256_hex(&bytes) => found.push(format!(
                    "{what}: {file} differs from the file the manifest recorded (SHA-256 mismatch); it was edited or is stale"
                )),
                Some(_) => {}
            }
        }
    }

    let index_path = dir.join("index.md");
    match std::fs::read_to_string(&index_path) {
        Err(e) => found.push(format!("cannot read {}: {e}", index_path.display())),
        Ok(text) => {
            for o in &manifest.outputs {
                let heading = match o.kind {
                    OutputKind::Figure => format!("### Figure `{}`", o.name),
                    OutputKind::Table => format!("### Table `{}`", o.name),
                };
                if !text.contains(&heading) {
                    found.push(format!("index.md does not list {}", o.name));
                }
            }
            if text != index::render(&manifest, dir) {
                found.push(format!(
                    "index.md differs from what manifest.json renders; regenerate with `{regenerate}`"
                ));
            }
        }
    }

    let metrics_path = dir.join("metrics.json");
    match std::fs::read_to_string(&metrics_path)
        .ok()
        .and_then(|t| serde_json::from_str::<metrics::Metrics>(&t).ok())
    {
        None => found.push(format!(
            "{} is missing or not a flat JSON object of numbers",
            metrics_path.display()
        )),
        Some(m) => {
            for key in m.keys() {
                let experiment = key.split_once('.').map(|(e, _)| e).unwrap_or(key);
                if !present.contains(experiment) {
                    found.push(format!(
                        "metrics.json has {key}, but experiment {experiment} has no outputs in the manifest"
                    ));
                }
            }
        }
    }
    found
}

/// Runs `icnet verify DIR`: prints "DIR is current" or fails listing every problem.
pub fn run(dir: &Path) -> Result<()> {
    let registry = crate::experiments::registry()?;
    let found = problems(&registry, dir, SOURCE_HASH);
    if found.is_empty() {
        println!(
            "{} is current: every experiment present, every file matches its checksum, index.md up to date",
            dir.display()
        );
        return Ok(());
    }
    for p in &found {
        eprintln!("- {p}");
    }
    anyhow::bail!(
        "{} is not the output of the current code ({} problems, listed above)",
        dir.display(),
        found.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::fixtures;
    use crate::progress::Progress;
    use crate::reproduce::{reproduce, ReproduceOptions};

    fn reproduced(dir: &Path, only: Option<&str>) -> Registry {
        let registry = fixtures::registry();
        let opts = ReproduceOptions {
            profile: crate::Profile::Smoke,
            only: only.map(|o| vec![o.to_string()]),
            out: dir.join("out"),
            cache: dir.join("runs"),
            jobs: Some(1),
            command: vec!["icnet".into(), "reproduce".into()],
        };
        reproduce(&registry, &opts, &Progress::hidden()).unwrap();
        registry
    }

    #[test]
    fn a_fresh_output_directory_is_current() {
        let tmp = tempfile::tempdir().unwrap();
        let registry = reproduced(tmp.path(), None);
        let found = problems(&registry, &tmp.path().join("out"), SOURCE_HASH);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn stale_edited_missing_and_incomplete_outputs_are_each_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let registry = reproduced(tmp.path(), Some("top"));
        // Only top was rendered: base is missing from the manifest.
        let found = problems(&registry, &out, SOURCE_HASH);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("experiment base has no outputs") && found[0].contains("--only base")
        );

        let registry = reproduced(tmp.path(), Some("base"));
        assert!(problems(&registry, &out, SOURCE_HASH).is_empty());
        // Another code version.
        let found = problems(&registry, &out, "feedfacefeedface");
        assert!(
            found
                .iter()
                .any(|p| p.contains("written by code version") && p.contains("feedfacefeed")),
            "{found:?}"
        );
        // An edited table, a deleted file, an index that no longer matches.
        std::fs::write(out.join("tables/top.csv"), "sum\n13.0\n").unwrap();
        std::fs::remove_file(out.join("tables/base_values.md")).unwrap();
        let index = std::fs::read_to_string(out.join("index.md")).unwrap();
        std::fs::write(out.join("index.md"), index.replace("### Table `top`", "")).unwrap();
        let found = problems(&registry, &out, SOURCE_HASH);
        let has = |needle: &str| found.iter().any(|p| p.contains(needle));
        assert!(has("tables/top.csv differs"), "{found:?}");
        assert!(
            has("tables/base_values.md is listed but missing"),
            "{found:?}"
        );
        assert!(has("index.md does not list top"), "{found:?}");
        assert!(
            has("index.md differs from what manifest.json renders"),
            "{found:?}"
        );
        // No manifest at all.
        std::fs::remove_file(out.join("manifest.json")).unwrap();
        let found = problems(&registry, &out, SOURCE_HASH);
        assert!(
            found.len() == 1 && found[0].contains("manifest.json"),
            "{found:?}"
        );
    }
}
