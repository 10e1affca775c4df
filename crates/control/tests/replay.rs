//! The Rust port replays gymnasium's v5 reference episodes (committed fixture, recorded by
//! scripts/gym_fixture.py with gymnasium 1.4.0 and mujoco 4.0.0) within the issue's bars, and
//! a malformed fixture is rejected with the file and the field.

use icnet_control::replay::{replay_reference, MAX_OBS_ERROR_BAR};
use icnet_control::ControlError;
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gym_v5_reference.json")
}

#[test]
fn committed_fixture_replays_within_the_bars() {
    let report = replay_reference(&fixture()).expect("the committed fixture is valid");
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert_eq!(report.termination_mismatches, 0);
    assert!(report.max_abs_obs_error <= MAX_OBS_ERROR_BAR);
    assert!(report.passes);
    // Measured: 4.8e-9 (double pendulum, end of the 40-step open-loop balancing episode, where
    // rounding has grown at the upright instability); most steps agree to ~5e-12, the fixture's
    // 12-digit rounding. A regression in any term of the dynamics shows up far above 1e-7.
    assert!(
        report.max_abs_obs_error < 1e-7,
        "{}",
        report.max_abs_obs_error
    );
    assert!(
        report.max_abs_reward_error < 1e-9,
        "{}",
        report.max_abs_reward_error
    );
    for (task, t) in &report.tasks {
        assert!(t.episodes >= 15, "{task}: {} episodes", t.episodes);
        // The slider limit was exercised (wall and push episodes).
        assert!(
            t.limit_active_steps > 0,
            "{task}: no step touched a joint limit"
        );
    }
    assert_eq!(report.tasks.len(), 2);
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn one_episode(obs_len: usize, n_obs: usize, terminated_at: &str) -> String {
    let obs = vec![format!("[{}]", vec!["0.0"; obs_len].join(",")); n_obs].join(",");
    format!(
        r#"{{"InvertedPendulum-v5": {{"dt": 0.04, "episodes": [{{"qpos0": [0, 0], "qvel0": [0, 0],
        "actions": [[0.0], [0.0]], "observations": [{obs}], "terminated_at": {terminated_at}}}]}}}}"#
    )
}

#[test]
fn malformed_fixtures_name_the_file_and_the_field() {
    let dir = tempfile::tempdir().unwrap();

    let missing = dir.path().join("absent.json");
    let err = replay_reference(&missing).unwrap_err();
    assert!(matches!(err, ControlError::Io { .. }));
    assert!(err.to_string().contains("absent.json"), "{err}");

    let path = write(dir.path(), "bad.json", "{\"InvertedPendulum-v5\": [1, 2");
    let err = replay_reference(&path).unwrap_err();
    assert!(matches!(err, ControlError::FixtureJson { .. }), "{err}");
    assert!(err.to_string().contains("bad.json"), "{err}");

    let path = write(
        dir.path(),
        "noobs.json",
        &one_episode(4, 3, "null").replace("\"observations\"", "\"obs\""),
    );
    let err = replay_reference(&path).unwrap_err();
    assert!(
        err.to_string().contains("missing field `observations`"),
        "{err}"
    );

    let cases = [
        (
            one_episode(3, 3, "null"),
            "InvertedPendulum-v5.episodes[0].observations[0]",
        ),
        (
            one_episode(4, 2, "null"),
            "InvertedPendulum-v5.episodes[0].observations",
        ),
        (
            one_episode(4, 3, "0"),
            "InvertedPendulum-v5.episodes[0].terminated_at",
        ),
        (
            one_episode(4, 3, "null").replace("\"qpos0\": [0, 0]", "\"qpos0\": [0]"),
            "InvertedPendulum-v5.episodes[0].qpos0",
        ),
        (
            one_episode(4, 3, "null").replace("[[0.0], [0.0]]", "[[0.0], [0.0, 1.0]]"),
            "InvertedPendulum-v5.episodes[0].actions[1]",
        ),
        (
            one_episode(4, 3, "null").replace("0.04", "0.02"),
            "InvertedPendulum-v5.dt",
        ),
        (
            one_episode(4, 3, "null").replace("InvertedPendulum-v5", "CartPole-v1"),
            "CartPole-v1",
        ),
    ];
    for (i, (text, field)) in cases.iter().enumerate() {
        let path = write(dir.path(), &format!("case{i}.json"), text);
        let err = replay_reference(&path).unwrap_err();
        match &err {
            ControlError::FixtureField {
                path: p, field: f, ..
            } => {
                assert_eq!(p, &path);
                assert_eq!(f, field, "{err}");
            }
            other => panic!("case {i}: expected a field error, got {other}"),
        }
        assert!(err.to_string().contains(&format!("case{i}.json")), "{err}");
    }

    // The well-formed version of the same episode replays (zero state stays near zero).
    let path = write(dir.path(), "good.json", &one_episode(4, 3, "null"));
    let report = replay_reference(&path).unwrap();
    assert_eq!(report.tasks["InvertedPendulum-v5"].steps, 2);
}
