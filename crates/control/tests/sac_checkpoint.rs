//! SAC checkpoints: a run killed after a checkpoint and restarted ends exactly where an
//! uninterrupted run ends; checkpoints of another configuration are ignored; a damaged
//! checkpoint is an error naming the file.

use icnet_control::env::double_pendulum;
use icnet_control::sac::run::{train, train_resumable, Checkpointing, Policy, RunConfig, SacError};
use icnet_control::sac::ActorKind;
use std::panic::AssertUnwindSafe;

fn config(policy: Policy) -> RunConfig {
    let mut c = RunConfig::reference(double_pendulum::NAME, policy, 5);
    c.steps = 500;
    c.random_steps = 120;
    // Replay smaller than the run: the ring wraps before and after the checkpoint.
    c.replay = 260;
    // Noise on states and rewards exercises the noise generator's state too.
    c.state_noise = 0.002;
    c.reward_noise = 0.1;
    c.sac.units = 32;
    c.sac.critic_hidden = vec![32, 32];
    c.sac.head_hidden = 16;
    c
}

#[test]
fn a_killed_run_resumes_from_its_checkpoint_to_the_uninterrupted_result() {
    for policy in [Policy::Sac(ActorKind::Lif), Policy::Random] {
        let c = config(policy);
        let whole = train(&c, &mut |_, _| {}).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.ckpt");
        let every = Checkpointing {
            path: &path,
            every: 150,
        };
        // Killed at step 400: the last checkpoint is the one after step 300.
        let killed = std::panic::catch_unwind(AssertUnwindSafe(|| {
            train_resumable(&c, Some(every), &mut |step, _| {
                if step == 400 {
                    panic!("killed");
                }
            })
        }));
        assert!(killed.is_err(), "{policy:?}: the run was not interrupted");
        assert!(path.exists(), "{policy:?}: no checkpoint was written");
        let mut first_step = None;
        let resumed = train_resumable(&c, Some(every), &mut |step, _| {
            first_step.get_or_insert(step);
        })
        .unwrap();
        assert_eq!(first_step, Some(400), "{policy:?}: resumed from step 300");
        assert_eq!(resumed, whole, "{policy:?}: resumed run differs");
        assert!(
            whole.episodes.len() > 3,
            "{policy:?}: several episodes crossed"
        );
    }
}

#[test]
fn a_checkpoint_of_another_configuration_is_ignored_and_a_damaged_one_is_named() {
    let c = config(Policy::Sac(ActorKind::Ann));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    let every = Checkpointing {
        path: &path,
        every: 100,
    };
    let mut short = c.clone();
    short.steps = 250;
    train_resumable(&short, Some(every), &mut |_, _| {}).unwrap();
    assert!(path.exists());
    // Another configuration's checkpoint: ignored, the run starts from scratch.
    let mut first_step = None;
    let fresh = train_resumable(&c, Some(every), &mut |step, _| {
        first_step.get_or_insert(step);
    })
    .unwrap();
    assert_eq!(first_step, Some(100));
    assert_eq!(fresh, train(&c, &mut |_, _| {}).unwrap());
    // A damaged file: an error naming it and the way out.
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = train_resumable(&c, Some(every), &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, SacError::Checkpoint(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()) && text.contains("delete it"),
        "{text}"
    );
}
