//! Finite-difference checks of the SAC gradients (f64, tiny sizes, a smooth spike function so
//! the surrogate is the true derivative), the tanh-Gaussian log-density against numerical
//! integration, and the critic input gradient of a subset of rows.

use icnet_control::sac::actor::{Actor, ActorKind, ActorShape};
use icnet_control::sac::gaussian::{self, log_prob_at};
use icnet_control::sac::mlp::Mlp;
use icnet_control::sac::{Batch, Sac, SacConfig};
use icnet_train::spike::SpikeFn;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const H: f64 = 1e-5;

fn shape() -> ActorShape {
    ActorShape {
        obs_len: 3,
        action_len: 2,
        window: 2,
        repeat: 2,
        units: 4,
        head_hidden: 3,
    }
}

fn smooth(kind: ActorKind) -> SpikeFn<f64> {
    let threshold = match kind {
        ActorKind::Hh => 0.2,
        ActorKind::SLif2Hh => 2.0,
        _ => 0.3,
    };
    SpikeFn::Sigmoid {
        threshold,
        slope: 4.0,
    }
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / (a.abs() + b.abs()).max(1e-6)
}

/// The tape-free pass gives the taped pass's outputs, bit for bit, and a backward pass
/// after it is refused.
#[test]
fn actor_inference_equals_the_forward_pass_for_every_kind() {
    for kind in ActorKind::ALL {
        let mut actor = Actor::<f32>::new(kind, shape(), 5);
        let rows = 3;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let amp = if kind == ActorKind::Hh { 40.0 } else { 2.0 };
        let x: Vec<f32> = (0..rows * actor.input_len())
            .map(|_| rng.random_range(-amp..amp))
            .collect();
        let (m, s) = actor.forward(&x, rows);
        let (m, s) = (m.to_vec(), s.to_vec());
        let rate = actor.hidden_rate();
        let (mi, si) = actor.infer(&x, rows);
        assert_eq!((m.as_slice(), s.as_slice()), (mi, si), "{kind}");
        assert_eq!(rate, actor.hidden_rate(), "{kind}");
        let (gm, gs) = (vec![0.1f32; m.len()], vec![0.1f32; s.len()]);
        let refused = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            actor.backward(&gm, &gs);
        }));
        assert!(refused.is_err(), "{kind}: backward after infer");
    }
}

/// Checks every parameter of the actor against central differences of
/// L = Σ c·mean + d·log σ.
#[test]
fn actor_gradients_match_finite_differences_for_every_kind() {
    for kind in ActorKind::ALL {
        let mut actor = Actor::<f64>::new(kind, shape(), 3);
        actor.set_spike(smooth(kind));
        let rows = 2;
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        // HH needs a large drive to move its membrane within 4 steps of dt 0.01.
        let amp = if kind == ActorKind::Hh { 40.0 } else { 2.0 };
        let x: Vec<f64> = (0..rows * actor.input_len())
            .map(|_| rng.random_range(-amp..amp))
            .collect();
        let c: Vec<f64> = (0..rows * 2).map(|_| rng.random_range(-1.0..1.0)).collect();
        let d: Vec<f64> = (0..rows * 2).map(|_| rng.random_range(-1.0..1.0)).collect();
        let loss = |actor: &mut Actor<f64>| {
            let (m, s) = actor.forward(&x, rows);
            m.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>()
                + s.iter().zip(&d).map(|(a, b)| a * b).sum::<f64>()
        };
        for p in actor.params_mut() {
            p.zero_grad();
        }
        loss(&mut actor);
        actor.backward(&c, &d);
        let grads: Vec<Vec<f64>> = actor.params().iter().map(|p| p.grad.clone()).collect();
        let names: Vec<String> = actor.params().iter().map(|p| p.name.clone()).collect();
        let mut checked = 0;
        for (pi, g) in grads.iter().enumerate() {
            for (i, &analytic) in g.iter().enumerate() {
                let orig = actor.params()[pi].value[i];
                actor.params_mut()[pi].value[i] = orig + H;
                let up = loss(&mut actor);
                actor.params_mut()[pi].value[i] = orig - H;
                let down = loss(&mut actor);
                actor.params_mut()[pi].value[i] = orig;
                let numeric = (up - down) / (2.0 * H);
                assert!(
                    (analytic - numeric).abs() < 1e-6 || rel_err(analytic, numeric) < 1e-4,
                    "{kind}: {}[{i}] analytic {analytic} numeric {numeric}",
                    names[pi]
                );
                checked += 1;
            }
        }
        assert!(checked > 50, "{kind}: only {checked} gradients checked");
        let nonzero = grads.iter().flatten().filter(|g| g.abs() > 1e-9).count();
        assert!(
            nonzero * 4 > checked,
            "{kind}: most gradients are zero ({nonzero}/{checked})"
        );
    }
}

fn tiny_sac() -> (Sac<f64>, Batch<f64>) {
    let config = SacConfig {
        window: 2,
        repeat: 2,
        units: 4,
        head_hidden: 3,
        critic_hidden: vec![5, 4],
        batch: 3,
        ..SacConfig::default()
    };
    let mut sac = Sac::<f64>::new(ActorKind::Lif, 3, 2, config, 5);
    sac.actor.set_spike(smooth(ActorKind::Lif));
    // Targets differ from the critics so the check covers both.
    for t in &mut sac.q_target {
        for p in t.params_mut() {
            p.value.iter_mut().for_each(|v| *v *= 0.9);
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let rows = 3;
    let mut r =
        |n: usize, a: f64| -> Vec<f64> { (0..n).map(|_| rng.random_range(-a..a)).collect() };
    let batch = Batch {
        rows,
        windows: r(rows * 6, 2.0),
        next_windows: r(rows * 6, 2.0),
        actions: r(rows * 2, 0.9),
        rewards: r(rows, 5.0),
        dones: vec![0.0, 1.0, 0.0],
        ids: vec![0, 1, 2],
    };
    (sac, batch)
}

#[test]
fn critic_loss_gradient_matches_finite_differences() {
    let (mut sac, batch) = tiny_sac();
    let eps = vec![0.3, -1.1, 0.7, 0.2, -0.4, 1.5];
    for q in &mut sac.q {
        for p in q.params_mut() {
            p.zero_grad();
        }
    }
    sac.critic_loss_and_grad(&batch, &eps);
    // Snapshot both critics' gradients before the evaluations below accumulate more.
    let all: Vec<Vec<Vec<f64>>> = sac
        .q
        .iter()
        .map(|q| q.params().iter().map(|p| p.grad.clone()).collect())
        .collect();
    for (c, grads) in all.iter().enumerate() {
        for (pi, g) in grads.iter().enumerate() {
            for (i, &analytic) in g.iter().enumerate() {
                let orig = sac.q[c].params()[pi].value[i];
                sac.q[c].params_mut()[pi].value[i] = orig + H;
                let up = sac.critic_loss_and_grad(&batch, &eps);
                sac.q[c].params_mut()[pi].value[i] = orig - H;
                let down = sac.critic_loss_and_grad(&batch, &eps);
                sac.q[c].params_mut()[pi].value[i] = orig;
                let numeric = (up - down) / (2.0 * H);
                assert!(
                    (analytic - numeric).abs() < 1e-6 || rel_err(analytic, numeric) < 1e-4,
                    "critic {c} param {pi}[{i}]: analytic {analytic} numeric {numeric}"
                );
            }
        }
    }
}

#[test]
fn actor_loss_gradient_matches_finite_differences() {
    let (mut sac, batch) = tiny_sac();
    let eps = vec![0.3, -1.1, 0.7, 0.2, -0.4, 1.5];
    for p in sac.actor.params_mut() {
        p.zero_grad();
    }
    sac.actor_loss_and_grad(&batch, &eps);
    let grads: Vec<Vec<f64>> = sac.actor.params().iter().map(|p| p.grad.clone()).collect();
    let mut nonzero = 0;
    for (pi, g) in grads.iter().enumerate() {
        for (i, &analytic) in g.iter().enumerate() {
            let orig = sac.actor.params()[pi].value[i];
            sac.actor.params_mut()[pi].value[i] = orig + H;
            let up = sac.actor_loss_and_grad(&batch, &eps).0;
            sac.actor.params_mut()[pi].value[i] = orig - H;
            let down = sac.actor_loss_and_grad(&batch, &eps).0;
            sac.actor.params_mut()[pi].value[i] = orig;
            let numeric = (up - down) / (2.0 * H);
            nonzero += usize::from(analytic.abs() > 1e-9);
            assert!(
                (analytic - numeric).abs() < 1e-6 || rel_err(analytic, numeric) < 1e-4,
                "actor param {pi}[{i}]: analytic {analytic} numeric {numeric}"
            );
        }
    }
    assert!(nonzero > 20, "only {nonzero} non-zero actor gradients");
}

/// Simpson's rule on [a, b] with n (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[test]
fn tanh_gaussian_log_prob_matches_a_numerical_density() {
    for &(mean, log_std) in &[
        (0.0, 0.0),
        (0.7, -1.0),
        (-1.5, 0.5),
        (2.5, 1.2),
        (0.1, -3.0),
    ] {
        let sd: f64 = f64::exp(log_std);
        let normal = |u: f64| {
            (-(u - mean) * (u - mean) / (2.0 * sd * sd)).exp()
                / (sd * (2.0 * std::f64::consts::PI).sqrt())
        };
        for &a0 in &[-0.95, -0.5, 0.0, 0.3, 0.9, 0.999] {
            let hw = 1e-4 * (1.0 - a0 * a0);
            // P(a ∈ [a0 − hw, a0 + hw]) by integrating the Gaussian over the preimage.
            let (lo, hi) = (f64::atanh(a0 - hw), f64::atanh(a0 + hw));
            let p = simpson(normal, lo, hi, 64) / (2.0 * hw);
            let analytic = log_prob_at(mean, log_std, a0);
            if p < 1e-200 {
                continue;
            }
            assert!(
                (analytic - p.ln()).abs() < 1e-5 * analytic.abs().max(1.0),
                "μ {mean}, log σ {log_std}, a {a0}: formula {analytic}, numerical {}",
                p.ln()
            );
        }
    }
    // The stable correction equals the naive one where the naive one is accurate.
    for &u in &[-3.0, -0.5, 0.0, 0.2, 2.0] {
        let naive = (1.0 - f64::tanh(u).powi(2)).ln();
        assert!((gaussian::log_one_minus_tanh_sq(u) - naive).abs() < 1e-12);
    }
    // And stays finite far out where the naive one is −∞.
    assert!(gaussian::log_one_minus_tanh_sq(40.0f64).is_finite());
}

#[test]
fn log_std_is_clamped_to_the_reference_range() {
    assert_eq!(gaussian::clamp_log_std(5.0f64), 2.0);
    assert_eq!(gaussian::clamp_log_std(-30.0f64), -20.0);
    assert_eq!(gaussian::clamp_log_std(0.3f64), 0.3);
}

/// The input gradient of a subset of rows equals the full backward pass's input gradient on
/// those rows when every other row's output gradient is zero.
#[test]
fn input_gradient_of_picked_rows_equals_the_full_backward_pass() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut q = Mlp::<f64>::new("q", &[5, 7, 6, 1], &mut rng);
    let rows = 9;
    let x: Vec<f64> = (0..rows * 5).map(|_| rng.random_range(-2.0..2.0)).collect();
    q.forward(&x, rows);
    let picked = [0usize, 3, 4, 8];
    let mut gy_full = vec![0.0; rows];
    let gy: Vec<f64> = picked.iter().map(|&r| 0.3 - r as f64 * 0.1).collect();
    for (&r, &g) in picked.iter().zip(&gy) {
        gy_full[r] = g;
    }
    let mut gx_full = vec![0.0; rows * 5];
    q.backward(&gy_full, Some(&mut gx_full));
    let mut gx = vec![f64::NAN; picked.len() * 5];
    q.input_grad_rows(&picked, &gy, &mut gx);
    let mut nonzero = 0;
    for (j, &r) in picked.iter().enumerate() {
        for c in 0..5 {
            let (a, b) = (gx[j * 5 + c], gx_full[r * 5 + c]);
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "row {r} col {c}: {a} {b}"
            );
            nonzero += usize::from(b != 0.0);
        }
    }
    assert!(nonzero > 0, "the check compares some non-zero gradients");
    for r in (0..rows).filter(|r| !picked.contains(r)) {
        assert!(gx_full[r * 5..(r + 1) * 5].iter().all(|&v| v == 0.0));
    }
}

/// Automatic α (an option; off in the reference) minimises −α·(log π + H̄) with target
/// entropy H̄ = −|A| = −2 here: Adam's first step on log α is exactly lr · sign(log π + H̄),
/// so α rises when the policy's entropy −log π is below the target and falls when above.
/// Fixed α never moves. The narrow policy (log σ = −5) has log π far above 2 and must raise
/// α; the wide one (log σ = 1, tanh-squashed) is checked on whichever side it falls.
#[test]
fn automatic_alpha_steps_towards_the_target_entropy() {
    for (auto, log_std, must_rise) in [
        (false, -5.0, None),
        (true, -5.0, Some(true)),
        (true, 1.0, None),
    ] {
        let (mut sac, batch) = tiny_sac();
        sac.config.auto_alpha = auto;
        let head = sac.actor.log_std_head.layers.last_mut().unwrap();
        head.weight.value.iter_mut().for_each(|w| *w = 0.0);
        head.bias.value.iter_mut().for_each(|b| *b = log_std);
        let before = sac.alpha().ln();
        let stats = sac.update(&batch, &mut ChaCha8Rng::seed_from_u64(4));
        let step = stats.alpha.ln() - before;
        if !auto {
            assert_eq!(step, 0.0, "a fixed α moved");
            continue;
        }
        let side = stats.log_prob - 2.0;
        assert!(
            side.abs() > 1e-3,
            "log π {} sits on the target",
            stats.log_prob
        );
        let want = sac.config.lr * side.signum();
        assert!(
            (step - want).abs() < 1e-4 * sac.config.lr,
            "log α moved by {step}, want {want} (mean log π {})",
            stats.log_prob
        );
        if let Some(rise) = must_rise {
            assert_eq!(step > 0.0, rise, "mean log π {}", stats.log_prob);
        }
    }
}
