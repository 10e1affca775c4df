//! Behaviour of the two tasks through the `Env` API: clamping, bad input, reset, termination,
//! the v5 rewards and the shaped reward of PAPER.md §5, each with hand-worked numbers.

use icnet_control::env::{
    double_pendulum, pendulum, Env, InvertedDoublePendulum, InvertedPendulum,
};
use icnet_control::ControlError;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn run(env: &mut dyn Env, action: f64, steps: usize) -> Vec<f64> {
    let mut obs = Vec::new();
    for _ in 0..steps {
        obs = env.step(&[action]).unwrap().obs;
    }
    obs
}

#[test]
fn actions_outside_the_control_range_are_clamped() {
    let state = ([0.1, 0.02], [0.0, -0.05]);
    let mut a = InvertedPendulum::new();
    let mut b = InvertedPendulum::new();
    a.reset_to(&state.0, &state.1).unwrap();
    b.reset_to(&state.0, &state.1).unwrap();
    assert_eq!(run(&mut a, 7.5, 3), run(&mut b, 3.0, 3));

    let state = ([0.1, 0.02, -0.01], [0.0, -0.05, 0.1]);
    let mut a = InvertedDoublePendulum::new();
    let mut b = InvertedDoublePendulum::new();
    a.reset_to(&state.0, &state.1).unwrap();
    b.reset_to(&state.0, &state.1).unwrap();
    assert_eq!(run(&mut a, -40.0, 3), run(&mut b, -1.0, 3));
    // Inside the range the action matters.
    b.reset_to(&state.0, &state.1).unwrap();
    assert_ne!(run(&mut a, 0.5, 1), run(&mut b, 0.4, 1));
}

#[test]
fn bad_actions_and_states_are_errors_not_panics() {
    let mut env = InvertedPendulum::new();
    assert!(matches!(
        env.step(&[f64::NAN]),
        Err(ControlError::NonFiniteAction { index: 0, .. })
    ));
    assert!(matches!(
        env.step(&[0.0, 1.0]),
        Err(ControlError::ActionLength {
            expected: 1,
            found: 2,
            ..
        })
    ));
    let err = env.reset_to(&[0.0, 0.0, 0.0], &[0.0, 0.0]).unwrap_err();
    assert!(err.to_string().contains("qpos has 3 values"), "{err}");
    let err = env
        .reset_to(&[0.0, 0.0], &[f64::INFINITY, 0.0])
        .unwrap_err();
    assert!(err.to_string().contains("qvel value 0 is inf"), "{err}");
    let double = InvertedDoublePendulum::new();
    assert!(double.shaped_reward(&[0.0; 4], false).is_err());
}

#[test]
fn reset_noise_has_the_v5_ranges_and_is_seeded() {
    let mut env = InvertedPendulum::new();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let first = env.reset(&mut rng);
    for _ in 0..200 {
        let obs = env.reset(&mut rng);
        assert!(obs.iter().all(|v| v.abs() < pendulum::RESET_NOISE));
    }
    assert_eq!(first, env.reset(&mut ChaCha8Rng::seed_from_u64(7)));

    let mut env = InvertedDoublePendulum::new();
    let mut max_speed: f64 = 0.0;
    let mut sum_sq = 0.0;
    let n = 2000;
    for _ in 0..n {
        env.reset(&mut rng);
        assert!(env
            .qpos()
            .iter()
            .all(|q| q.abs() < double_pendulum::RESET_NOISE));
        for v in env.qvel() {
            max_speed = max_speed.max(v.abs());
            sum_sq += v * v;
        }
    }
    // q̇ = 0.1 × standard normal: s.d. 0.1 (6000 draws: ±3 % at 2σ), and not bounded by 0.1.
    let sd = (sum_sq / (3 * n) as f64).sqrt();
    assert!((sd - 0.1).abs() < 0.003, "s.d. {sd}");
    assert!(max_speed > 0.2);
}

#[test]
fn single_pendulum_terminates_past_0_2_rad_with_zero_reward() {
    let mut env = InvertedPendulum::new();
    let obs = env.reset_to(&[0.0, 0.19], &[0.0, 0.0]).unwrap();
    assert_eq!(obs, vec![0.0, 0.19, 0.0, 0.0]);
    let mut steps = 0;
    loop {
        let step = env.step(&[0.0]).unwrap();
        steps += 1;
        if step.terminated {
            assert!(step.obs[1] > 0.2);
            assert_eq!(step.reward, 0.0);
            break;
        }
        assert_eq!(step.reward, 1.0);
        assert!(steps < 50, "a pole at 0.19 rad falls within 2 s");
    }
}

#[test]
fn double_pendulum_reward_and_observation_at_upright_rest() {
    // Upright at rest: the tip is 1.2 m high (two 0.6 m poles), x_tip = 0, so the v5 reward is
    // 10 − (1.2 − 2)² = 9.36; the only drive is gravity's 1e-5 m/s² x component.
    let mut env = InvertedDoublePendulum::new();
    let obs = env.reset_to(&[0.0; 3], &[0.0; 3]).unwrap();
    assert_eq!(obs, vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let step = env.step(&[0.0]).unwrap();
    assert!(!step.terminated);
    assert!((step.reward - 9.36).abs() < 1e-9, "{}", step.reward);
    assert_eq!(
        step.obs[8], 0.0,
        "no constraint force away from the rail ends"
    );
}

#[test]
fn double_pendulum_terminates_when_the_tip_drops_to_1_m() {
    // θ₁ = θ₂ = 0.6: tip height 0.6 cos 0.6 + 0.6 cos 1.2 = 0.713 ≤ 1 → terminated, no alive bonus.
    let mut env = InvertedDoublePendulum::new();
    env.reset_to(&[0.0, 0.6, 0.6], &[0.0; 3]).unwrap();
    let step = env.step(&[0.0]).unwrap();
    assert!(step.terminated);
    assert!(step.reward < 0.0);
}

#[test]
fn shaped_reward_terms_by_hand() {
    let single = InvertedPendulum::new();
    // x = 0.5 (−10·0.5/1 + 5 = 0), θ = 0.209 (−10·0.5 + 5 = 0).
    let r = single
        .shaped_reward(&[0.5, 0.209, 3.0, -2.0], false)
        .unwrap();
    assert!(r.abs() < 1e-12, "{r}");
    assert_eq!(single.shaped_reward(&[0.0; 4], false).unwrap(), 10.0);
    assert_eq!(single.shaped_reward(&[0.0; 4], true).unwrap(), 0.0);
    // Past a bound the term is −5, whatever the excess.
    assert_eq!(
        single.shaped_reward(&[1.5, 0.0, 0.0, 0.0], false).unwrap(),
        0.0
    );
    assert_eq!(
        single.shaped_reward(&[-9.0, 0.0, 0.0, 0.0], false).unwrap(),
        0.0
    );
    assert_eq!(
        single.shaped_reward(&[-9.0, 1.0, 0.0, 0.0], true).unwrap(),
        -20.0
    );

    let double = InvertedDoublePendulum::new();
    // x = 1 (bound 2: 0), θ₁ = 0 (5), θ₂ = 0.05 (bound 0.1: 0) → 5.
    let obs = [
        1.0,
        0.0,
        0.05f64.sin(),
        1.0,
        0.05f64.cos(),
        0.0,
        0.0,
        0.0,
        0.0,
    ];
    let r = double.shaped_reward(&obs, false).unwrap();
    assert!((r - 5.0).abs() < 1e-12, "{r}");
    // Angles come from (sin, cos), so a second hinge at −0.2 rad (past 0.1) gives −5.
    let obs = [
        0.0,
        0.0,
        (-0.2f64).sin(),
        1.0,
        (-0.2f64).cos(),
        0.0,
        0.0,
        0.0,
        0.0,
    ];
    assert!((double.shaped_reward(&obs, true).unwrap() - (5.0 + 5.0 - 5.0 - 10.0)).abs() < 1e-12);
}

#[test]
fn timing_constants_are_the_v5_ones() {
    assert!((InvertedPendulum::new().dt() - 0.04).abs() < 1e-15);
    assert!((InvertedDoublePendulum::new().dt() - 0.05).abs() < 1e-15);
    assert_eq!(InvertedPendulum::new().action_range(), (-3.0, 3.0));
    assert_eq!(InvertedDoublePendulum::new().action_range(), (-1.0, 1.0));
}
