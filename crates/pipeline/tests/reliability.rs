//! Reliability of `icnet reproduce` end to end: determinism, interruption (SIGKILL, SIGINT)
//! and resumption, `--force`, and up-front validation.
//!
//! Compared between reproductions: `metrics.json` byte for byte and every table (CSV and
//! Markdown) without its measured wall-time columns (see `common::TIMING_COLUMNS`); not
//! compared: `manifest.json` and `index.md`, which record wall times and the command line.
//!
//! CI time: the determinism test reproduces the whole smoke profile twice when the raw data is
//! present (otherwise the experiments that need none); the interruption tests use the
//! `topology` experiment alone (23 runs of about a second each), which is enough to be killed
//! between runs and costs a few seconds per reproduction.

mod common;

use common::*;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn smoke_reproductions_into_separate_caches_give_identical_results() {
    let tmp = tempfile::tempdir().unwrap();
    let only = smoke_selection();
    let started = Instant::now();
    icnet_ok(tmp.path(), &smoke_args("a", "cache-a", only));
    let once = started.elapsed();
    icnet_ok(tmp.path(), &smoke_args("b", "cache-b", only));
    eprintln!(
        "smoke reproduction {:.1} s, twice {:.1} s",
        once.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert_same_results(&tmp.path().join("a"), &tmp.path().join("b"));
    // A fresh output directory verifies as current when every experiment is in it; otherwise
    // verify names exactly the experiments left out.
    let verify = icnet(tmp.path(), &["verify", "a"]);
    match only {
        None => assert!(verify.status.success(), "{}", text(&verify.stderr)),
        Some(only) => {
            let problems = text(&verify.stderr);
            assert!(!verify.status.success());
            let missing: Vec<&str> = problems
                .lines()
                .filter_map(|l| l.strip_prefix("- experiment "))
                .filter_map(|l| l.split_once(' ').map(|(id, _)| id))
                .collect();
            assert_eq!(
                missing,
                vec!["s2_2", "equivalence", "fig4c", "fig4h"],
                "{problems}"
            );
            assert!(missing.iter().all(|m| !only.contains(m)));
            assert_eq!(problems.lines().count(), missing.len() + 1, "{problems}");
        }
    }
    // Nothing was shared: each cache holds its own runs.
    assert_eq!(
        finished_runs(&tmp.path().join("cache-a")),
        finished_runs(&tmp.path().join("cache-b"))
    );
}

/// Starts `icnet reproduce --profile smoke --only topology --jobs 1` in the background.
fn start_topology(dir: &Path, out: &str, cache: &str) -> Child {
    let mut args = smoke_args(out, cache, Some("topology"));
    let jobs = args.iter().position(|a| *a == "--jobs").unwrap();
    args[jobs + 1] = "1";
    icnet_command(dir)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `cache` holds at least `n` finished runs (or the child exits).
fn wait_for_runs(child: &mut Child, cache: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while finished_runs(cache).len() < n {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the reproduction ended before {n} runs were cached"
        );
        assert!(Instant::now() < deadline, "no run finished in 300 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &mut Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("the kill command runs");
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(!exit.success(), "SIG{name} ended the reproduction early");
}

/// Reads the manifest's (executed, cached) counts of `experiment`.
fn counts(out: &Path, experiment: &str) -> (u64, u64) {
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let row = manifest["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == experiment)
        .unwrap();
    (
        row["executed"].as_u64().unwrap(),
        row["cached"].as_u64().unwrap(),
    )
}

#[test]
fn killed_or_interrupted_reproductions_resume_to_the_uninterrupted_result() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    icnet_ok(dir, &smoke_args("reference", "cache-ref", Some("topology")));
    let total = finished_runs(&dir.join("cache-ref")).len();
    assert_eq!(total, 23, "the topology sweep's smoke runs");

    for (name, after) in [("KILL", 1), ("INT", 3)] {
        let out = format!("out-{name}");
        let cache = format!("cache-{name}");
        let mut child = start_topology(dir, &out, &cache);
        wait_for_runs(&mut child, &dir.join(&cache), after);
        signal(&mut child, name);
        // Whatever the signal interrupted, every finished entry is complete.
        assert_cache_consistent(&dir.join(&cache));
        let kept = finished_runs(&dir.join(&cache)).len();
        assert!(
            (after..total).contains(&kept),
            "SIG{name}: {kept} of {total} runs cached"
        );

        // As if the kill had struck while a table was being written: a temporary file of a
        // dead process (PID 4294967 is above Linux's pid_max) that the rerun must remove.
        let tables = dir.join(&out).join("tables");
        std::fs::create_dir_all(&tables).unwrap();
        std::fs::write(tables.join(".topology.tmp-4294967-0.csv"), "half a ta").unwrap();

        icnet_ok(dir, &smoke_args(&out, &cache, Some("topology")));
        let (executed, cached) = counts(&dir.join(&out), "topology");
        assert_eq!(
            (executed + cached, cached),
            (total as u64, kept as u64),
            "SIG{name}: the finished runs are reused, the rest computed"
        );
        assert_same_results(&dir.join("reference"), &dir.join(&out));
        assert_no_leftovers(&dir.join(&out));
        assert_no_leftovers(&dir.join(&cache));
        assert_cache_consistent(&dir.join(&cache));
    }
}

#[test]
fn force_recomputes_the_named_experiments_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let base = smoke_args("out", "cache", Some("fig2,s2_1"));
    icnet_ok(dir, &base);
    let record = |label: &str| {
        let cache = dir.join("cache");
        finished_runs(&cache)
            .into_iter()
            .map(|h| cache.join(h).join("record.json"))
            .find(|p| std::fs::read_to_string(p).unwrap().contains(label))
            .unwrap()
    };
    let fig2 = record("hh-vs-tvlif2hh");
    let s2_1 = record("\"rk4\"");
    let stamp = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let (fig2_before, s2_1_before) = (stamp(&fig2), stamp(&s2_1));
    let results_before = results(&dir.join("out"));

    let mut forced = base.clone();
    forced.extend(["--force", "fig2"]);
    icnet_ok(dir, &forced);
    assert_eq!(counts(&dir.join("out"), "fig2"), (1, 0));
    assert_eq!(counts(&dir.join("out"), "s2_1"), (0, 2));
    assert_ne!(stamp(&fig2), fig2_before, "fig2's entry rewritten");
    assert_eq!(stamp(&s2_1), s2_1_before, "s2_1's entry untouched");
    assert_eq!(results(&dir.join("out")), results_before);
    assert_eq!(finished_runs(&dir.join("cache")).len(), 3);
    assert_no_leftovers(&dir.join("cache"));

    let mut all = base.clone();
    all.extend(["--force", "all"]);
    icnet_ok(dir, &all);
    assert_eq!(counts(&dir.join("out"), "s2_1"), (2, 0));
}

/// Asserts a failure with one line on stderr that contains every needle.
fn assert_error(out: &std::process::Output, needles: &[&str]) {
    let stderr = text(&out.stderr);
    assert!(!out.status.success() && out.status.code() != Some(101));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "'{needle}' not in: {stderr}");
    }
}

#[test]
fn bad_force_and_collect_requests_fail_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let with = |extra: &[&str]| {
        let mut args = smoke_args("o", "c", Some("fig2"));
        args.extend(extra);
        icnet(dir, &args)
    };
    assert_error(
        &with(&["--force", "fig99"]),
        &["'fig99' in --force", "fig2, s2_1"],
    );
    assert_error(&with(&["--force", "fig2,"]), &["--force", "empty entry"]);
    assert_error(&with(&["--force", "s2_1"]), &["--force s2_1", "--only"]);
    assert_error(&with(&["--collect"]), &["--cache c does not exist"]);
    assert!(!dir.join("o").exists() && !dir.join("c").exists());
    let both = with(&["--collect", "--force", "all"]);
    assert!(!both.status.success());
    assert!(text(&both.stderr).contains("cannot be used with"));
    // An existing but empty cache: --collect lists what is missing and computes nothing.
    std::fs::create_dir(dir.join("c")).unwrap();
    assert_error(
        &with(&["--collect"]),
        &[
            "--collect found 1 of 1 runs missing",
            "fig2/hh-vs-tvlif2hh",
            "icnet run",
        ],
    );
    assert!(finished_runs(&dir.join("c")).is_empty());
}
