//! Scale-out end to end: `icnet plan` → `icnet run HASH` in separate processes, two at a time
//! → `icnet reproduce --collect`, compared with a plain `icnet reproduce` into another cache;
//! two processes racing on one hash; and the SLURM script executed by a stand-in `sbatch`.
//!
//! CI time: the experiments that need no data (`common::NO_DATA`, 27 smoke runs of at most a
//! second or so each) for plan → run → collect, and three cheap experiments for SLURM.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Stdio};

/// The plan of `only` for smoke, with cache `cache`.
fn plan(dir: &Path, only: &str, cache: &str) -> Vec<Value> {
    let out = icnet_ok(
        dir,
        &[
            "plan",
            "--profile",
            "smoke",
            "--only",
            only,
            "--cache",
            cache,
        ],
    );
    let plan: Value = serde_json::from_slice(&out.stdout).expect("the plan is JSON");
    plan.as_array().unwrap().clone()
}

/// Starts `icnet run` for one plan entry.
fn start_run(dir: &Path, entry: &Value, cache: &str) -> Child {
    icnet_command(dir)
        .args([
            "run",
            entry["hash"].as_str().unwrap(),
            "--profile",
            "smoke",
            "--experiment",
            entry["experiment"].as_str().unwrap(),
            "--cache",
            cache,
            "--jobs",
            "1",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "icnet run: {}", text(&out.stderr));
}

#[test]
fn plan_then_parallel_runs_then_collect_equals_a_plain_reproduction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let entries = plan(dir, NO_DATA, "shared");
    assert_eq!(
        entries.len(),
        27,
        "1 fig2 + 2 s2_1 + 1 fig3d + 23 topology runs"
    );
    for e in &entries {
        let hash = e["hash"].as_str().unwrap();
        assert_eq!(hash.len(), 64);
        assert_eq!(e["stage"], 0, "no dependencies among these");
        assert!(e["estimated_seconds"].as_f64().unwrap() > 0.0);
        assert_eq!(e["cached"], false);
        let command = e["command"].as_str().unwrap();
        assert!(
            command.starts_with(&format!("icnet run {hash} --profile smoke"))
                && command.ends_with("--cache shared"),
            "{command}"
        );
    }

    // Collect before any run: refused, listing all 27 as missing, computing nothing.
    std::fs::create_dir(dir.join("shared")).unwrap();
    let early = icnet(
        dir,
        &[
            "reproduce",
            "--profile",
            "smoke",
            "--only",
            NO_DATA,
            "--cache",
            "shared",
            "--out",
            "collected",
            "--collect",
        ],
    );
    assert!(!early.status.success());
    assert!(
        text(&early.stderr).contains("27 of 27 runs missing"),
        "{}",
        text(&early.stderr)
    );

    // Every run in its own process, two at a time.
    for pair in entries.chunks(2) {
        let children: Vec<Child> = pair.iter().map(|e| start_run(dir, e, "shared")).collect();
        children.into_iter().for_each(finish);
    }
    assert_eq!(finished_runs(&dir.join("shared")).len(), 27);
    assert_cache_consistent(&dir.join("shared"));
    assert_no_leftovers(&dir.join("shared"));
    // The plan now sees them cached.
    assert!(plan(dir, NO_DATA, "shared")
        .iter()
        .all(|e| e["cached"] == true));

    let collected = icnet_ok(
        dir,
        &[
            "reproduce",
            "--profile",
            "smoke",
            "--only",
            NO_DATA,
            "--cache",
            "shared",
            "--out",
            "collected",
            "--collect",
        ],
    );
    assert!(!text(&collected.stderr).contains("executed"));
    icnet_ok(dir, &smoke_args("plain", "plain-cache", Some(NO_DATA)));
    assert_same_results(&dir.join("collected"), &dir.join("plain"));
}

#[test]
fn two_processes_racing_on_one_hash_both_leave_a_valid_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // A topology run takes long enough (about a second) that both start before either ends.
    let entries = plan(dir, "topology", "race");
    let entry = &entries[entries.len() - 1];
    let racers = [start_run(dir, entry, "race"), start_run(dir, entry, "race")];
    racers.into_iter().for_each(finish);
    assert_eq!(
        finished_runs(&dir.join("race")),
        vec![entry["hash"].as_str().unwrap().to_string()]
    );
    assert_cache_consistent(&dir.join("race"));
    assert_no_leftovers(&dir.join("race"));
}

/// A stand-in for `sbatch`: runs `--wrap` once per index of `--array` (or once), in order,
/// logs its arguments, and prints a job id as `sbatch --parsable` does.
const FAKE_SBATCH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
array=""; wrap=""
for a in "$@"; do
  case "$a" in
    --array=*) array="${a#--array=}" ;;
    --wrap=*) wrap="${a#--wrap=}" ;;
  esac
done
echo "$*" >> "$SBATCH_LOG"
if [[ -n "$array" ]]; then
  for ((i = ${array%-*}; i <= ${array#*-}; i++)); do
    SLURM_ARRAY_TASK_ID=$i bash -c "$wrap" >&2
  done
else
  bash -c "$wrap" >&2
fi
echo "$((1000 + $(wc -l < "$SBATCH_LOG")));cluster"
"#;

#[test]
fn the_slurm_script_runs_every_run_then_collects() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(bin.join("sbatch"), FAKE_SBATCH).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        let executable = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(bin.join("sbatch"), executable).unwrap();
    }
    let only = "fig2,s2_1,fig3d";
    icnet_ok(
        dir,
        &[
            "plan",
            "--profile",
            "smoke",
            "--only",
            only,
            "--cache",
            "slurm-cache",
            "--emit",
            "slurm",
            "--plan-file",
            "plan.json",
            "--out",
            "submit.sh",
            "--collect-out",
            "slurm-out",
            "--icnet",
            env!("CARGO_BIN_EXE_icnet"),
        ],
    );
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let log = dir.join("sbatch.log");
    // Run the generated script with the stand-in first on PATH.
    let out = std::process::Command::new("bash")
        .arg("submit.sh")
        .current_dir(dir)
        .env("PATH", &path)
        .env("SBATCH_LOG", &log)
        .envs(data_dir().map(|d| ("ICNET_DATA_DIR", d)))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let log = std::fs::read_to_string(&log).unwrap();
    let submissions: Vec<&str> = log.lines().collect();
    assert_eq!(submissions.len(), 2, "one stage and the collect job: {log}");
    assert!(submissions[0].contains("--array=0-3"), "{log}");
    assert!(
        submissions[1].contains("--dependency=afterok:1001"),
        "{log}"
    );
    assert_eq!(finished_runs(&dir.join("slurm-cache")).len(), 4);
    icnet_ok(dir, &smoke_args("plain", "plain-cache", Some(only)));
    assert_same_results(&dir.join("slurm-out"), &dir.join("plain"));
}
