//! The soft actor–critic learner: twin Q critics with Polyak-averaged targets, the Gaussian
//! actor of [`super::actor`], fixed α (or automatic α as an option), Adam for everything.
//!
//! The critics are ordinary MLPs on (current observation, action): `obs + action → 256 → 256
//! → 1`, ReLU (the common SAC critic). The current observation is the last one of the
//! stored window. The losses follow the standard formulation:
//! `y = r + γ(1 − done)(min_j Q̄_j(s', a') − α log π(a'|s'))`, `L_Q = Σ_j mean (Q_j(s, a) − y)²`,
//! `L_π = mean(α log π(ã|s) − min_j Q_j(s, ã))` with ã reparameterised, and (automatic α)
//! `L_α = −mean(log α · (log π + H̄))` with target entropy H̄ = −|A|.

use super::actor::{Actor, ActorKind, ActorShape};
use super::buffer::Batch;
use super::gaussian;
use super::mlp::Mlp;
use super::pair::{with_pair, Pair};
use icnet_train::linalg::serial;
use icnet_train::optim::{Adam, AdamConfig};
use icnet_train::param::Param;
use icnet_train::Scalar;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// SAC hyperparameters (defaults: PAPER.md §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SacConfig {
    /// Discount γ.
    pub gamma: f64,
    /// Polyak factor τ of the target critics.
    pub tau: f64,
    /// Adam learning rate of actor, critics (and α).
    pub lr: f64,
    /// Entropy weight α (the initial value when automatic).
    pub alpha: f64,
    /// Learn α towards the target entropy −|A| (off in the reference).
    pub auto_alpha: bool,
    /// Mini-batch size.
    pub batch: usize,
    /// Observations in the actor's window.
    pub window: usize,
    /// Steps per observation (T = window × repeat).
    pub repeat: usize,
    /// Base hidden width of the actor (4lif: 4×).
    pub units: usize,
    /// Hidden width of each actor head.
    pub head_hidden: usize,
    /// Hidden widths of each critic.
    pub critic_hidden: Vec<usize>,
}

impl Default for SacConfig {
    fn default() -> Self {
        Self {
            gamma: 0.99,
            tau: 0.005,
            lr: 3e-4,
            alpha: 0.2,
            auto_alpha: false,
            batch: 64,
            window: 5,
            repeat: 3,
            units: 128,
            head_hidden: 64,
            critic_hidden: vec![256, 256],
        }
    }
}

/// Losses of one update.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateStats {
    /// Critic loss (sum of both critics' mean squared errors).
    pub critic_loss: f64,
    /// Actor loss.
    pub actor_loss: f64,
    /// α after the update.
    pub alpha: f64,
    /// Mean log π of the actor's sampled actions.
    pub log_prob: f64,
}

/// The actor's sampled actions for a batch.
struct Sample<S> {
    actions: Vec<S>,
    /// Per-row log π.
    log_prob: Vec<S>,
    draws: Vec<gaussian::Draw<S>>,
    /// The clamped log σ.
    log_std: Vec<S>,
}

/// A SAC learner.
pub struct Sac<S> {
    /// Hyperparameters.
    pub config: SacConfig,
    /// The actor.
    pub actor: Actor<S>,
    /// Critics and their targets.
    pub q: [Mlp<S>; 2],
    /// Target critics.
    pub q_target: [Mlp<S>; 2],
    /// log α.
    pub log_alpha: Param<S>,
    opt_actor: Adam<S>,
    opt_q: Adam<S>,
    opt_alpha: Adam<S>,
    obs_len: usize,
    action_len: usize,
    // Scratch: the critics' two inputs of a pass.
    critic_in: [Vec<S>; 2],
}

fn lens<S: Scalar>(params: &[&Param<S>]) -> Vec<usize> {
    params.iter().map(|p| p.len()).collect()
}

impl<S: Scalar> Sac<S> {
    /// A fresh learner, reproducible from `seed`.
    pub fn new(
        kind: ActorKind,
        obs_len: usize,
        action_len: usize,
        config: SacConfig,
        seed: u64,
    ) -> Self {
        let shape = ActorShape {
            obs_len,
            action_len,
            window: config.window,
            repeat: config.repeat,
            units: config.units,
            head_hidden: config.head_hidden,
        };
        let actor = Actor::new(kind, shape, seed);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5ac0_c71c);
        let mut sizes = vec![obs_len + action_len];
        sizes.extend(&config.critic_hidden);
        sizes.push(1);
        let q = [
            Mlp::new("q1", &sizes, &mut rng),
            Mlp::new("q2", &sizes, &mut rng),
        ];
        let q_target = q.clone();
        let adam = AdamConfig::new(config.lr, 0.0);
        let opt_actor = Adam::new(adam, &lens(&actor.params()));
        let q_lens: Vec<usize> = q.iter().flat_map(|m| lens(&m.params())).collect();
        let opt_q = Adam::new(adam, &q_lens);
        let mut log_alpha = Param::zeros("log_alpha", &[1]);
        log_alpha.value[0] = S::c(config.alpha.ln());
        let opt_alpha = Adam::new(adam, &[1]);
        Self {
            config,
            actor,
            q,
            q_target,
            log_alpha,
            opt_actor,
            opt_q,
            opt_alpha,
            obs_len,
            action_len,
            critic_in: [Vec::new(), Vec::new()],
        }
    }

    /// Every value that evolves during learning, named, in a fixed order: parameters of the
    /// actor, critics and target critics, log α, and the three optimisers' moments (for
    /// checkpoints; the optimisers' step counts are [`Sac::adam_steps_mut`]).
    pub(crate) fn state_mut(&mut self) -> Vec<(String, &mut Vec<S>)> {
        let mut out: Vec<(String, &mut Vec<S>)> = Vec::new();
        let params = self
            .actor
            .params_mut()
            .into_iter()
            .map(|p| ("actor", p))
            .chain(
                self.q
                    .iter_mut()
                    .flat_map(|m| m.params_mut())
                    .map(|p| ("q", p)),
            )
            .chain(
                self.q_target
                    .iter_mut()
                    .flat_map(|m| m.params_mut())
                    .map(|p| ("q_target", p)),
            )
            .chain(std::iter::once(("alpha", &mut self.log_alpha)));
        for (owner, p) in params {
            out.push((format!("{owner}/{}", p.name), &mut p.value));
        }
        for (name, opt) in [
            ("adam_actor", &mut self.opt_actor),
            ("adam_q", &mut self.opt_q),
            ("adam_alpha", &mut self.opt_alpha),
        ] {
            for (i, m) in opt.m.iter_mut().enumerate() {
                out.push((format!("{name}/m{i}"), m));
            }
            for (i, v) in opt.v.iter_mut().enumerate() {
                out.push((format!("{name}/v{i}"), v));
            }
        }
        out
    }

    /// The step counts of the actor's, critics' and α's optimisers.
    pub(crate) fn adam_steps_mut(&mut self) -> [&mut u64; 3] {
        [
            &mut self.opt_actor.step,
            &mut self.opt_q.step,
            &mut self.opt_alpha.step,
        ]
    }

    /// α now.
    pub fn alpha(&self) -> S {
        self.log_alpha.value[0].exp()
    }

    /// Samples actions in [−1, 1] for `rows` windows (`deterministic`: tanh of the mean).
    pub fn act(
        &mut self,
        windows: &[S],
        rows: usize,
        deterministic: bool,
        rng: &mut ChaCha8Rng,
    ) -> Vec<S> {
        let (mean, log_std) = self.actor.infer(windows, rows);
        mean.iter()
            .zip(log_std)
            .map(|(&m, &ls)| {
                if deterministic {
                    m.tanh()
                } else {
                    let e: f64 = StandardNormal.sample(rng);
                    gaussian::draw(m, ls, S::c(e)).a
                }
            })
            .collect()
    }

    /// Draws the standard normal noise of one pass (`rows × action_len`).
    pub fn draw_noise(&self, rows: usize, rng: &mut ChaCha8Rng) -> Vec<S> {
        (0..rows * self.action_len)
            .map(|_| {
                let e: f64 = StandardNormal.sample(rng);
                S::c(e)
            })
            .collect()
    }

    /// `[last observation of each window | action]`, `rows × (obs + action)`.
    fn critic_input(&self, windows: &[S], actions: &[S], rows: usize, out: &mut Vec<S>) {
        let (o, a) = (self.obs_len, self.action_len);
        let wl = self.config.window * o;
        out.clear();
        for r in 0..rows {
            out.extend_from_slice(&windows[r * wl + wl - o..(r + 1) * wl]);
            out.extend_from_slice(&actions[r * a..(r + 1) * a]);
        }
    }

    /// Samples the actor on `windows` with noise `eps` (no gradient through the actor):
    /// actions, per-row log π and the draws.
    fn sample_actor(&mut self, windows: &[S], rows: usize, eps: &[S]) -> Sample<S> {
        self.actor.infer(windows, rows);
        self.sample_last(eps)
    }

    /// [`Sac::sample_actor`] from the actor's last forward pass.
    fn sample_last(&self, eps: &[S]) -> Sample<S> {
        let (mean, log_std) = self.actor.last_output();
        let draws: Vec<gaussian::Draw<S>> = mean
            .iter()
            .zip(log_std)
            .zip(eps)
            .map(|((&m, &ls), &e)| gaussian::draw(m, ls, e))
            .collect();
        Sample {
            actions: draws.iter().map(|d| d.a).collect(),
            log_prob: draws
                .chunks_exact(self.action_len)
                .map(|c| c.iter().map(|d| d.log_prob).sum())
                .collect(),
            draws,
            log_std: log_std.to_vec(),
        }
    }

    /// The critic loss of a batch with next-action noise `next_eps`; accumulates the critics'
    /// gradients (targets and actor untouched).
    pub fn critic_loss_and_grad(&mut self, batch: &Batch<S>, next_eps: &[S]) -> f64 {
        with_pair(|pair| self.critic_pass(pair, batch, next_eps, None))
    }

    /// The critic pass in two phases of one task per critic (see [`super::pair`]): (1) both targets on
    /// the next observations and sampled next actions, and both critics on the batch; the
    /// soft targets y; (2) each critic's loss gradient and backward pass. With a learning
    /// rate, phase 2 also takes each critic's Adam step and moves its target towards it
    /// (nothing before the next update reads the targets, so this is the update's target
    /// step).
    fn critic_pass(
        &mut self,
        pair: &Pair,
        batch: &Batch<S>,
        next_eps: &[S],
        lr: Option<f64>,
    ) -> f64 {
        let rows = batch.rows;
        let next = self.sample_actor(&batch.next_windows, rows, next_eps);
        let [mut next_in, mut now_in] = std::mem::take(&mut self.critic_in);
        self.critic_input(&batch.next_windows, &next.actions, rows, &mut next_in);
        self.critic_input(&batch.windows, &batch.actions, rows, &mut now_in);
        {
            let ([q1, q2], [t1, t2]) = (&mut self.q, &mut self.q_target);
            pair.both([(t1, q1), (t2, q2)], |(t, q)| {
                serial(|| {
                    t.forward(&next_in, rows);
                    q.forward(&now_in, rows);
                })
            });
        }
        let alpha = self.alpha();
        let gamma = S::c(self.config.gamma);
        let (t1, t2) = (
            self.q_target[0].last_output(),
            self.q_target[1].last_output(),
        );
        let y: Vec<S> = (0..rows)
            .map(|r| {
                let soft = t1[r].min(t2[r]) - alpha * next.log_prob[r];
                batch.rewards[r] + gamma * (S::one() - batch.dones[r]) * soft
            })
            .collect();
        let inv = S::one() / S::c(rows as f64);
        let tau = self.config.tau;
        let n_params = self.q[0].params().len();
        let Self {
            q: [q1, q2],
            q_target: [t1, t2],
            opt_q,
            ..
        } = self;
        let (s1, s2) = match lr {
            Some(lr) => {
                let (a, b) = opt_q.begin_step(lr, true).split_at(n_params);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        let [l1, l2] = pair.both([(q1, t1, s1), (q2, t2, s2)], |(q, t, step)| {
            serial(|| {
                let mut loss = 0.0;
                let g: Vec<S> = q
                    .last_output()
                    .iter()
                    .zip(&y)
                    .map(|(&p, &t)| {
                        loss += ((p - t) * (p - t) * inv).f64();
                        S::c(2.0) * (p - t) * inv
                    })
                    .collect();
                q.backward(&g, None);
                if let Some(step) = step {
                    step.apply_serial_with_target(&mut q.params_mut(), &mut t.params_mut(), tau);
                }
                loss
            })
        });
        self.critic_in = [next_in, now_in];
        l1 + l2
    }

    /// The actor loss of a batch with noise `eps`; accumulates the actor's gradients (the
    /// critics' parameter gradients untouched). Returns (loss, mean log π).
    pub fn actor_loss_and_grad(&mut self, batch: &Batch<S>, eps: &[S]) -> (f64, f64) {
        self.actor.forward(&batch.windows, batch.rows);
        with_pair(|pair| self.actor_pass(pair, batch, eps))
    }

    /// The actor pass after the actor's forward pass on `batch.windows`: both critics on
    /// the sampled actions, then both critics' input gradients (one critic per thread in
    /// each phase), then the actor's backward pass.
    fn actor_pass(&mut self, pair: &Pair, batch: &Batch<S>, eps: &[S]) -> (f64, f64) {
        let rows = batch.rows;
        let a_len = self.action_len;
        let Sample {
            actions,
            log_prob: logp,
            draws,
            log_std,
        } = self.sample_last(eps);
        let [mut input, spare] = std::mem::take(&mut self.critic_in);
        self.critic_input(&batch.windows, &actions, rows, &mut input);
        pair.both(self.q.each_mut(), |q| {
            serial(|| {
                q.forward(&input, rows);
            })
        });
        let (q1, q2) = (self.q[0].last_output(), self.q[1].last_output());
        let alpha = self.alpha();
        let inv = S::one() / S::c(rows as f64);
        let mut loss = 0.0;
        // ∂L/∂Q is −1/rows for the smaller critic of each row (ties go to the first, as
        // torch.min's gradient) and zero for the other: each critic's input gradient is
        // needed on its own rows only.
        let (mut picked1, mut picked2) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        for r in 0..rows {
            let qmin = q1[r].min(q2[r]);
            loss += ((alpha * logp[r] - qmin) * inv).f64();
            if q1[r] <= q2[r] {
                picked1.push(r);
            } else {
                picked2.push(r);
            }
        }
        let width = self.obs_len + a_len;
        let [c1, c2] = &mut self.q;
        let grads = pair.both([(c1, &picked1), (c2, &picked2)], |(q, picked)| {
            serial(|| {
                let gy = vec![-inv; picked.len()];
                let mut gx = vec![S::zero(); picked.len() * width];
                q.input_grad_rows(picked, &gy, &mut gx);
                gx
            })
        });
        self.critic_in = [input, spare];
        // ∂L/∂a of each row, from its critic's input gradient (the action follows the
        // observation in the critic's input).
        let mut g_action = vec![S::zero(); rows * a_len];
        for (picked, gx) in [&picked1, &picked2].into_iter().zip(&grads) {
            for (&r, gx_row) in picked.iter().zip(gx.chunks_exact(width)) {
                g_action[r * a_len..(r + 1) * a_len].copy_from_slice(&gx_row[self.obs_len..]);
            }
        }
        let g_logp = alpha * inv;
        let (mut g_mean, mut g_ls) = (vec![S::zero(); rows * a_len], vec![S::zero(); rows * a_len]);
        for i in 0..rows * a_len {
            let (gm, gs) = gaussian::backward(&draws[i], log_std[i], eps[i], g_action[i], g_logp);
            g_mean[i] = gm;
            g_ls[i] = gs;
        }
        self.actor.backward(&g_mean, &g_ls);
        let mean_logp = logp.iter().map(|v| v.f64()).sum::<f64>() / rows as f64;
        (loss, mean_logp)
    }

    /// One SAC update on a batch: critic step, target update, actor step, α step (if
    /// automatic). Noise comes from `rng` (the next actions' first, then the actions').
    pub fn update(&mut self, batch: &Batch<S>, rng: &mut ChaCha8Rng) -> UpdateStats {
        let rows = batch.rows;
        let next_eps = self.draw_noise(rows, rng);
        let eps = self.draw_noise(rows, rng);
        let lr = self.config.lr;
        let (critic_loss, (actor_loss, log_prob)) = with_pair(|pair| {
            // Critic step and target update. (The critic pass only ran the actor's
            // inference: the actor's gradients are still zero.)
            let critic = self.critic_pass(pair, batch, &next_eps, Some(lr));
            self.actor.forward(&batch.windows, rows);
            let actor = self.actor_pass(pair, batch, &eps);
            let mut params = self.actor.params_mut();
            self.opt_actor.update_and_clear(&mut params, lr);
            (critic, actor)
        });
        if self.config.auto_alpha {
            let target = -(self.action_len as f64);
            self.log_alpha.grad[0] = S::c(-(log_prob + target));
            self.opt_alpha
                .update_and_clear(&mut [&mut self.log_alpha], lr);
        }
        UpdateStats {
            critic_loss,
            actor_loss,
            alpha: self.alpha().f64(),
            log_prob,
        }
    }
}
