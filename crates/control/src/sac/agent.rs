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
    // Scratch.
    eps: Vec<S>,
    critic_in: Vec<S>,
}

/// `f` applied to both critics of a pair side by side, each on one thread with serial
/// matrix products: the twin critics are independent, and two 64-row products run faster
/// whole on one core each than split in halves across both.
fn twin<S: Scalar, R: Send>(pair: &mut [Mlp<S>; 2], f: impl Fn(&mut Mlp<S>) -> R + Sync) -> (R, R) {
    let [a, b] = pair;
    rayon::join(|| serial(|| f(a)), || serial(|| f(b)))
}

/// `∂L/∂x` of a critic for output gradient `g`, in a fresh buffer of `len` values.
fn input_grad<S: Scalar>(q: &mut Mlp<S>, g: &[S], len: usize) -> Vec<S> {
    let mut out = vec![S::zero(); len];
    q.input_grad(g, &mut out);
    out
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
            eps: Vec::new(),
            critic_in: Vec::new(),
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
        let (mean, log_std) = self.actor.forward(windows, rows);
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

    /// Samples the actor on `windows` with noise `eps`: actions, per-row log π and the draws.
    fn sample_actor(
        &mut self,
        windows: &[S],
        rows: usize,
        eps: &[S],
    ) -> (Vec<S>, Vec<S>, Vec<gaussian::Draw<S>>, Vec<S>) {
        let a_len = self.action_len;
        let (mean, log_std) = self.actor.forward(windows, rows);
        let draws: Vec<gaussian::Draw<S>> = mean
            .iter()
            .zip(log_std)
            .zip(eps)
            .map(|((&m, &ls), &e)| gaussian::draw(m, ls, e))
            .collect();
        let log_std = log_std.to_vec();
        let actions = draws.iter().map(|d| d.a).collect();
        let logp = draws
            .chunks_exact(a_len)
            .map(|c| c.iter().map(|d| d.log_prob).sum())
            .collect();
        (actions, logp, draws, log_std)
    }

    /// The critic loss of a batch with next-action noise `next_eps`; accumulates the critics'
    /// gradients (targets and actor untouched).
    pub fn critic_loss_and_grad(&mut self, batch: &Batch<S>, next_eps: &[S]) -> f64 {
        let rows = batch.rows;
        let (next_a, next_logp, _, _) = self.sample_actor(&batch.next_windows, rows, next_eps);
        let mut input = std::mem::take(&mut self.critic_in);
        self.critic_input(&batch.next_windows, &next_a, rows, &mut input);
        let (t1, t2) = twin(&mut self.q_target, |q| q.forward(&input, rows).to_vec());
        let alpha = self.alpha();
        let gamma = S::c(self.config.gamma);
        let y: Vec<S> = (0..rows)
            .map(|r| {
                let soft = t1[r].min(t2[r]) - alpha * next_logp[r];
                batch.rewards[r] + gamma * (S::one() - batch.dones[r]) * soft
            })
            .collect();
        self.critic_input(&batch.windows, &batch.actions, rows, &mut input);
        let inv = S::one() / S::c(rows as f64);
        let (l1, l2) = twin(&mut self.q, |q| {
            let pred = q.forward(&input, rows);
            let mut loss = 0.0;
            let g: Vec<S> = pred
                .iter()
                .zip(&y)
                .map(|(&p, &t)| {
                    loss += ((p - t) * (p - t) * inv).f64();
                    S::c(2.0) * (p - t) * inv
                })
                .collect();
            q.backward(&g, None);
            loss
        });
        self.critic_in = input;
        l1 + l2
    }

    /// The actor loss of a batch with noise `eps`; accumulates the actor's gradients (the
    /// critics' parameter gradients untouched). Returns (loss, mean log π).
    pub fn actor_loss_and_grad(&mut self, batch: &Batch<S>, eps: &[S]) -> (f64, f64) {
        let rows = batch.rows;
        let a_len = self.action_len;
        let (actions, logp, draws, log_std) = self.sample_actor(&batch.windows, rows, eps);
        let mut input = std::mem::take(&mut self.critic_in);
        self.critic_input(&batch.windows, &actions, rows, &mut input);
        let (q1, q2) = twin(&mut self.q, |q| q.forward(&input, rows).to_vec());
        let alpha = self.alpha();
        let inv = S::one() / S::c(rows as f64);
        let mut loss = 0.0;
        let (mut g1, mut g2) = (vec![S::zero(); rows], vec![S::zero(); rows]);
        for r in 0..rows {
            let qmin = q1[r].min(q2[r]);
            loss += ((alpha * logp[r] - qmin) * inv).f64();
            // ∂L/∂Q of the smaller critic (ties go to the first, as torch.min's gradient).
            if q1[r] <= q2[r] {
                g1[r] = -inv;
            } else {
                g2[r] = -inv;
            }
        }
        let width = self.obs_len + a_len;
        let [c1, c2] = &mut self.q;
        let (mut g_in, g_tmp) = rayon::join(
            || serial(|| input_grad(c1, &g1, rows * width)),
            || serial(|| input_grad(c2, &g2, rows * width)),
        );
        g_in.iter_mut().zip(&g_tmp).for_each(|(a, &b)| *a += b);
        self.critic_in = input;
        let g_logp = alpha * inv;
        let (mut g_mean, mut g_ls) = (vec![S::zero(); rows * a_len], vec![S::zero(); rows * a_len]);
        for r in 0..rows {
            for j in 0..a_len {
                let i = r * a_len + j;
                let g_a = g_in[r * width + self.obs_len + j];
                let (gm, gs) = gaussian::backward(&draws[i], log_std[i], eps[i], g_a, g_logp);
                g_mean[i] = gm;
                g_ls[i] = gs;
            }
        }
        self.actor.backward(&g_mean, &g_ls);
        let mean_logp = logp.iter().map(|v| v.f64()).sum::<f64>() / rows as f64;
        (loss, mean_logp)
    }

    /// One SAC update on a batch: critic step, actor step, α step (if automatic), target
    /// update. Noise comes from `rng`.
    pub fn update(&mut self, batch: &Batch<S>, rng: &mut ChaCha8Rng) -> UpdateStats {
        let rows = batch.rows;
        let mut next_eps = std::mem::take(&mut self.eps);
        next_eps.clear();
        next_eps.extend(self.draw_noise(rows, rng));
        let critic_loss = self.critic_loss_and_grad(batch, &next_eps);
        let lr = self.config.lr;
        {
            let mut params: Vec<_> = self.q.iter_mut().flat_map(|m| m.params_mut()).collect();
            self.opt_q.update_and_clear(&mut params, lr);
        }
        // (The critic pass ran the actor forward only: its gradients are still zero.)
        let eps = self.draw_noise(rows, rng);
        let (actor_loss, log_prob) = self.actor_loss_and_grad(batch, &eps);
        {
            let mut params = self.actor.params_mut();
            self.opt_actor.update_and_clear(&mut params, lr);
        }
        if self.config.auto_alpha {
            let target = -(self.action_len as f64);
            self.log_alpha.grad[0] = S::c(-(log_prob + target));
            self.opt_alpha
                .update_and_clear(&mut [&mut self.log_alpha], lr);
        }
        for (t, q) in self.q_target.iter_mut().zip(&self.q) {
            t.soft_update_from(q, self.config.tau);
        }
        self.eps = next_eps;
        UpdateStats {
            critic_loss,
            actor_loss,
            alpha: self.alpha().f64(),
            log_prob,
        }
    }
}
