//! The replay buffer, the shaped reward, bad input, and a short learning run that must beat a
//! random policy.

use icnet_control::env::{double_pendulum, pendulum, Env};
use icnet_control::sac::run::{train, Policy, RunConfig, SacError};
use icnet_control::sac::{ActorKind, ReplayBuffer, SacConfig};
use icnet_control::{InvertedDoublePendulum, InvertedPendulum};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The buffer holds min(pushed, capacity) transitions, only the newest ones, each intact,
    /// and sampling is reproducible from the seed.
    #[test]
    fn replay_buffer_keeps_the_newest_transitions(capacity in 1usize..40, pushes in 1usize..120, seed in 0u64..1000) {
        let mut buffer = ReplayBuffer::new(capacity, 3, 1);
        for i in 0..pushes {
            let v = i as f32;
            buffer.push(&[v, v + 0.25, v + 0.5], &[-v], v * 2.0, &[v + 1.0, v + 1.25, v + 1.5], i % 7 == 0);
        }
        prop_assert_eq!(buffer.len(), pushes.min(capacity));
        prop_assert_eq!(buffer.pushed(), pushes as u64);
        let mut a = icnet_control::sac::Batch::<f64>::default();
        let mut b = icnet_control::sac::Batch::<f64>::default();
        buffer.sample(50, &mut ChaCha8Rng::seed_from_u64(seed), &mut a);
        buffer.sample(50, &mut ChaCha8Rng::seed_from_u64(seed), &mut b);
        prop_assert_eq!(&a.ids, &b.ids);
        prop_assert_eq!(&a.windows, &b.windows);
        let oldest = pushes.saturating_sub(capacity) as u64;
        for r in 0..50 {
            let id = a.ids[r];
            prop_assert!(id >= oldest && id < pushes as u64, "id {} outside [{}, {})", id, oldest, pushes);
            let v = id as f64;
            prop_assert_eq!(&a.windows[r * 3..r * 3 + 3], &[v, v + 0.25, v + 0.5][..]);
            prop_assert_eq!(&a.next_windows[r * 3..r * 3 + 3], &[v + 1.0, v + 1.25, v + 1.5][..]);
            prop_assert_eq!(a.actions[r], -v);
            prop_assert_eq!(a.rewards[r], 2.0 * v);
            prop_assert_eq!(a.dones[r], if id % 7 == 0 { 1.0 } else { 0.0 });
        }
    }
}

#[test]
fn shaped_reward_on_hand_worked_states() {
    let single = InvertedPendulum::new();
    // Upright at the centre: 5 + 5.
    assert_eq!(
        single.shaped_reward(&[0.0, 0.0, 0.3, -0.2], false).unwrap(),
        10.0
    );
    // x = 0.5 of bound 1 → 0; θ = 0.209 of bound 0.418 → 0.
    assert!(
        single
            .shaped_reward(&[0.5, 0.209, 0.0, 0.0], false)
            .unwrap()
            .abs()
            < 1e-12
    );
    // x beyond its bound → −5; θ = −0.1045 → −2.5 + 5 = 2.5; terminated → −10 more.
    let r = single
        .shaped_reward(&[-1.5, -0.1045, 0.0, 0.0], true)
        .unwrap();
    assert!((r - (-5.0 + 2.5 - 10.0)).abs() < 1e-12, "{r}");
    let double = InvertedDoublePendulum::new();
    // obs = (x, sin θ1, sin θ2, cos θ1, cos θ2, …): x = 1 of bound 2 → 0, θ1 = 0 → 5,
    // θ2 = 0.05 of bound 0.1 → 0.
    let t2: f64 = 0.05;
    let obs = [1.0, 0.0, t2.sin(), 1.0, t2.cos(), 0.0, 0.0, 0.0, 0.0];
    assert!((double.shaped_reward(&obs, false).unwrap() - 5.0).abs() < 1e-12);
    // θ2 = 0.2 beyond 0.1 → −5; x = 0 → 5; θ1 = 0.418 → −5… at the bound the term is −5.
    let (t1, t2): (f64, f64) = (0.418, 0.2);
    let obs = [
        0.0,
        t1.sin(),
        t2.sin(),
        t1.cos(),
        t2.cos(),
        0.0,
        0.0,
        0.0,
        0.0,
    ];
    assert!((double.shaped_reward(&obs, true).unwrap() - (5.0 - 5.0 - 5.0 - 10.0)).abs() < 1e-9);
}

fn small(task: &str, policy: Policy, steps: usize, seed: u64) -> RunConfig {
    let mut c = RunConfig::reference(task, policy, seed);
    c.steps = steps;
    c.random_steps = steps.min(200);
    c
}

#[test]
fn bad_names_are_rejected_with_one_sentence() {
    let err = "lstm".parse::<ActorKind>().unwrap_err().to_string();
    assert!(
        err.contains("'lstm'") && err.contains("ann, lif, hh, slif2hh, 4lif"),
        "{err}"
    );
    let err = train(&small("CartPole-v1", Policy::Random, 10, 0), &mut |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("CartPole-v1") && !err.contains('\n'), "{err}");
    let mut c = small(pendulum::NAME, Policy::Random, 10, 0);
    c.state_noise = f64::NAN;
    assert!(matches!(
        train(&c, &mut |_, _| {}),
        Err(SacError::Config(_))
    ));
}

#[test]
fn a_diverged_learner_stops_with_the_step_and_seed() {
    // A NaN learning rate makes the first update poison every weight; the first action after
    // it is NaN.
    let mut c = small(pendulum::NAME, Policy::Sac(ActorKind::Ann), 300, 17);
    c.sac = SacConfig {
        lr: f64::NAN,
        ..SacConfig::default()
    };
    let err = train(&c, &mut |_, _| {}).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            SacError::NonFinite {
                what: "action",
                seed: 17,
                ..
            }
        ),
        "{text}"
    );
    assert!(
        text.contains("step 200") && text.contains("seed 17"),
        "{text}"
    );
}

#[test]
fn runs_are_reproducible_and_record_every_step() {
    for task in [pendulum::NAME, double_pendulum::NAME] {
        let c = small(task, Policy::Sac(ActorKind::Lif), 260, 3);
        let a = train(&c, &mut |_, _| {}).unwrap();
        let b = train(&c, &mut |_, _| {}).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.shaped.len(), 260);
        assert_eq!(a.updates, 260 - 199);
    }
}

/// Fails if the learner does not learn: after 2 000 steps (300 random) the ANN actor on the
/// single pendulum must keep the pole up clearly longer than a uniform-random policy (at most
/// half as many episodes end in the last 20 % of the steps) and earn a higher shaped reward
/// per step there. `ICNET_SAC_LEARN_STEPS` overrides the length.
#[test]
fn ann_actor_learns_to_balance_the_single_pendulum() {
    let steps: usize = std::env::var("ICNET_SAC_LEARN_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let mut learned = small(pendulum::NAME, Policy::Sac(ActorKind::Ann), steps, 0);
    learned.random_steps = 300;
    let random = small(pendulum::NAME, Policy::Random, steps, 0);
    let a = train(&learned, &mut |_, _| {}).unwrap();
    let r = train(&random, &mut |_, _| {}).unwrap();
    let (fa, fr) = (a.final_reward(0.2), r.final_reward(0.2));
    let tail_start = steps - steps / 5;
    let ends = |rec: &icnet_control::sac::RunRecord| {
        rec.episodes
            .iter()
            .filter(|e| e.end_step > tail_start)
            .count()
    };
    let (ea, er) = (ends(&a), ends(&r));
    eprintln!("last 20 %: shaped reward per step ann {fa:.3}, random {fr:.3}; episodes ended ann {ea}, random {er}");
    assert!(2 * ea <= er, "ann ended {ea} episodes, random {er}");
    assert!(fa > fr, "ann {fa} vs random {fr}");
}
