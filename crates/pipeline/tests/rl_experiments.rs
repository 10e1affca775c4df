//! The deep-RL experiments (fig4d, fig4i) end to end on `smoke`, and `icnet bench sac`.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn icnet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_icnet"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn smoke_rl_experiments_write_the_named_metrics_and_reuse_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "reproduce",
        "--profile",
        "smoke",
        "--only",
        "fig4d,fig4i",
        "--out",
        "out",
        "--cache",
        "cache",
    ];
    let first = icnet(tmp.path(), &args);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let metrics: Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("out/metrics.json")).unwrap(),
    )
    .unwrap();
    for actor in ["ann", "lif", "hh", "slif2hh", "4lif"] {
        for task in ["inverted-pendulum", "inverted-double-pendulum"] {
            let key = format!("fig4d.{task}.{actor}.final_reward");
            let v = metrics[&key]
                .as_f64()
                .unwrap_or_else(|| panic!("{key} missing"));
            // Shaped reward per step lies in [−25, 15] (three terms of ±5, −10 at termination).
            assert!((-25.0..=15.0).contains(&v), "{key} = {v}");
        }
        for noise in ["state", "reward"] {
            let key = format!("fig4i.{noise}.{actor}.final_reward");
            assert!(metrics[&key].as_f64().is_some(), "{key} missing");
        }
    }
    for name in [
        "tables/fig4d.csv",
        "tables/fig4i.md",
        "figures/fig4d_rewards.svg",
        "figures/fig4i_rewards.png",
    ] {
        assert!(
            tmp.path().join("out").join(name).is_file(),
            "{name} missing"
        );
    }
    let caption = std::fs::read_to_string(tmp.path().join("out/tables/fig4d.md")).unwrap();
    let index = std::fs::read_to_string(tmp.path().join("out/index.md")).unwrap();
    assert!(
        caption.contains("scaled down") || index.contains("scaled down"),
        "the scale is stated"
    );
    let second = icnet(tmp.path(), &args);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(
        !text(&second.stderr).contains("executed"),
        "every run is reused: {}",
        text(&second.stderr)
    );
}

#[test]
fn bench_sac_reports_ms_per_update_and_rejects_bad_actors() {
    let tmp = tempfile::tempdir().unwrap();
    let ok = icnet(
        tmp.path(),
        &[
            "bench",
            "sac",
            "--actor",
            "lif",
            "--repeats",
            "2",
            "--threads",
            "1",
        ],
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let report: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert!(report["ms_per_update"].as_f64().unwrap() > 0.0);
    assert_eq!(report["batch"], 64);
    assert_eq!(report["obs_len"], 9);
    let bad = icnet(tmp.path(), &["bench", "sac", "--actor", "gru"]);
    assert!(!bad.status.success());
    let err = text(&bad.stderr);
    assert!(
        err.contains("'gru'") && err.contains("ann, lif, hh, slif2hh, 4lif"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
