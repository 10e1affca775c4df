//! The Rust port replays gymnasium's v5 reference episodes (committed fixture, recorded by
//! scripts/gym_fixture.py with gymnasium 1.4.0 and mujoco 4.0.0) within the bars.

use icnet_control::replay::{replay_reference, MAX_OBS_ERROR_BAR};
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gym_v5_reference.json")
}

#[test]
fn committed_fixture_replays_within_the_bars() {
    let report = replay_reference(&fixture()).expect("the committed fixture is valid");
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert_eq!(report.termination_mismatches, 0);
    assert!(report.max_abs_obs_error <= MAX_OBS_ERROR_BAR);
}
