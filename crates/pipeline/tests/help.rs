//! `--help` of the scale-out and reliability commands and flags explains them with examples.

mod common;

use common::{icnet, text};

#[test]
fn new_commands_and_flags_have_examples_in_their_help() {
    let tmp = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| {
        let out = icnet(tmp.path(), args);
        assert!(out.status.success(), "{args:?}");
        text(&out.stdout)
    };
    let top = help(&["--help"]);
    for needle in [
        "plan",
        "run",
        "verify",
        "icnet reproduce --force fig2",
        "icnet reproduce --collect",
        "--emit slurm",
        "icnet verify paper",
    ] {
        assert!(top.contains(needle), "'{needle}' not in icnet --help");
    }
    let reproduce = help(&["reproduce", "--help"]);
    for needle in ["--force", "--collect", "--force all", "--force fig2,fig3d"] {
        assert!(
            reproduce.contains(needle),
            "'{needle}' not in reproduce --help"
        );
    }
    let plan = help(&["plan", "--help"]);
    for needle in [
        "--emit",
        "--plan-file",
        "afterok",
        "icnet plan --profile paper --emit slurm",
    ] {
        assert!(plan.contains(needle), "'{needle}' not in plan --help");
    }
    let run = help(&["run", "--help"]);
    for needle in [
        "--plan plan.json --stage 0 --index 5",
        "--experiment",
        "racing",
    ] {
        assert!(run.contains(needle), "'{needle}' not in run --help");
    }
    assert!(help(&["verify", "--help"]).contains("icnet verify results/smoke"));
}
