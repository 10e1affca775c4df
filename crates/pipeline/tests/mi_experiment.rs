//! Fig. 5d (mutual information): the render step averages the bounds over seeds per encoder,
//! names its metrics `<encoder>.izx_bits` / `<encoder>.izy_bits`, and says whether the VIB
//! bound and the nearest-neighbour estimate rank the encoders the same way; the runs cover
//! every encoder and seed of the profile with the paper's 200 epochs in `paper`.

mod common;

use icnet_pipeline::experiments::fig5d::{Fig5d, Fig5dConfig, ID};
use icnet_pipeline::output::OutputWriter;
use icnet_pipeline::profile::Profile;
use icnet_pipeline::registry::{DepRuns, Experiment, RenderContext, RunRecord, RunSpec};
use serde_json::json;
use std::collections::BTreeMap;

/// A finished run with the given headline numbers.
fn run(encoder: &str, seed: u64, izx: f64, izy: f64, ross: f64, unit: f64) -> RunRecord {
    RunRecord {
        format: 1,
        hash: format!("{encoder}{seed}"),
        spec: RunSpec::new(ID, format!("{encoder}/seed{seed}"), json!({}), seed),
        source_hash: "test".into(),
        tool_version: "test".into(),
        wall_time_s: 0.0,
        threads: 1,
        summary: json!({
            "encoder": encoder,
            "best_epoch": 3,
            "task1_acc": 80.0,
            "task2_acc": 70.0,
            "izx_bits": izx,
            "izy1_bits": izy / 2.0,
            "izy2_bits": izy / 2.0,
            "izy_bits": izy,
            "ross_bits": ross,
            "ross_unit_bits": unit,
        }),
        files: vec![],
        dir: Default::default(),
    }
}

fn render(runs: &[RunRecord]) -> BTreeMap<String, f64> {
    let dir = tempfile::tempdir().unwrap();
    let out = OutputWriter::new(dir.path(), ID, Profile::Smoke, false);
    let deps = DepRuns::new();
    let rendered = Fig5d
        .render(
            &RenderContext {
                profile: Profile::Smoke,
                runs,
                deps: &deps,
            },
            &out,
        )
        .unwrap();
    assert!(dir.path().join("tables/fig5d.md").is_file());
    assert!(dir.path().join("figures/fig5d_information.svg").is_file());
    let table = std::fs::read_to_string(dir.path().join("tables/fig5d.csv")).unwrap();
    assert_eq!(table.lines().count(), 4, "header and one row per encoder");
    rendered.metrics.into_iter().collect()
}

#[test]
fn bounds_are_averaged_over_seeds_and_rankings_compared() {
    // VIB order hh > slif2hh > lif; Ross on the raw counts hh > lif > slif2hh (disagrees),
    // per-unit counts hh > slif2hh > lif (agrees).
    let runs = vec![
        run("lif", 0, 100.0, 3.0, 1.4, 1.4),
        run("lif", 1, 110.0, 3.2, 1.4, 1.4),
        run("hh", 0, 200.0, 4.6, 4.5, 4.5),
        run("hh", 1, 220.0, 4.8, 4.7, 4.7),
        run("slif2hh", 0, 180.0, 4.3, 1.0, 2.0),
        run("slif2hh", 1, 190.0, 4.4, 1.1, 2.2),
    ];
    let m = render(&runs);
    assert!((m["lif.izx_bits"] - 105.0).abs() < 1e-12);
    assert!((m["hh.izy_bits"] - 4.7).abs() < 1e-12);
    assert!((m["slif2hh.ross_izy_bits"] - 1.05).abs() < 1e-12);
    assert!((m["slif2hh.ross_unit_izy_bits"] - 2.1).abs() < 1e-12);
    assert!((m["lif.acc"] - 75.0).abs() < 1e-12);
    assert_eq!(m["rankings_agree"], 0.0);
    assert_eq!(m["rankings_agree_per_unit"], 1.0);
    // Three models, one discordant pair of three: τ = (2 − 1)/3.
    assert!((m["kendall_tau"] - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn runs_cover_every_encoder_and_seed_with_the_papers_schedule() {
    if common::data_dir().is_none() {
        eprintln!("raw data absent (run `just data`): fig5d runs cannot be planned");
        return;
    }
    let smoke = Fig5d.runs(Profile::Smoke).unwrap();
    let labels: Vec<&str> = smoke.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(labels, ["lif/seed0", "hh/seed0", "slif2hh/seed0"]);
    let paper = Fig5d.runs(Profile::Paper).unwrap();
    assert_eq!(paper.len(), 15, "three encoders × five seeds");
    for spec in &paper {
        let config: Fig5dConfig = serde_json::from_value(spec.config.clone()).unwrap();
        assert_eq!(config.vib.epochs, 200);
        assert_eq!(config.vib.z_dim, 256);
        assert_eq!(config.vib.adam.lr, 1e-4);
        assert_eq!(config.vib.adam.betas.0, 0.5);
        assert_eq!((config.vib.lr_gamma, config.vib.lr_every), (0.97, 2));
        assert_eq!(config.vib.ema_decay, 0.999);
        assert_eq!(config.vib.seed, spec.seed);
        assert!(spec.data_checksums.contains_key("raw:multi-fashion-mnist"));
    }
}
