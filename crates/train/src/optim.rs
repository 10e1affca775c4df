//! Adam with L2 weight decay and the step learning-rate schedule of PAPER.md §4.
//!
//! Semantics are PyTorch's `torch.optim.Adam(weight_decay=wd)`: the decay is added to the
//! gradient (`g ← g + wd·p`, classic L2, not AdamW's decoupled decay) before the moments;
//! bias-corrected moments; `p ← p − lr·m̂/(√v̂ + ε)`.

use crate::param::Param;
use crate::scalar::Scalar;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Adam's hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Initial learning rate.
    pub lr: f64,
    /// L2 weight decay.
    pub weight_decay: f64,
    /// β₁, β₂.
    pub betas: (f64, f64),
    /// ε.
    pub eps: f64,
}

impl AdamConfig {
    /// PyTorch's defaults (β = (0.9, 0.999), ε = 1e-8) with the given lr and decay.
    pub fn new(lr: f64, weight_decay: f64) -> Self {
        Self {
            lr,
            weight_decay,
            betas: (0.9, 0.999),
            eps: 1e-8,
        }
    }
}

/// Adam's state: first and second moments per parameter and the step count.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Adam<S> {
    /// Hyperparameters.
    pub config: AdamConfig,
    /// Steps taken.
    pub step: u64,
    /// First moments, one vector per parameter in model order.
    pub m: Vec<Vec<S>>,
    /// Second moments.
    pub v: Vec<Vec<S>>,
}

impl<S: Scalar> Adam<S> {
    /// Fresh state for parameters of the given lengths.
    pub fn new(config: AdamConfig, lens: &[usize]) -> Self {
        Self {
            config,
            step: 0,
            m: lens.iter().map(|&n| vec![S::zero(); n]).collect(),
            v: lens.iter().map(|&n| vec![S::zero(); n]).collect(),
        }
    }

    /// One update with learning rate `lr` (the schedule's current value).
    pub fn update(&mut self, params: &mut [&mut Param<S>], lr: f64) {
        self.update_inner(params, lr, false);
    }

    /// One update that also sets every gradient back to zero while it has it in a register:
    /// the training step's next backward pass can then accumulate without a separate
    /// zeroing sweep over the parameters (the update is memory-bound; one pass fewer).
    pub fn update_and_clear(&mut self, params: &mut [&mut Param<S>], lr: f64) {
        self.update_inner(params, lr, true);
    }

    fn update_inner(&mut self, params: &mut [&mut Param<S>], lr: f64, clear: bool) {
        assert_eq!(
            params.len(),
            self.m.len(),
            "optimizer built for another model"
        );
        self.begin_step(lr, clear).apply(params);
    }

    /// Starts one update (the step count advances now) whose parameters can then be
    /// updated in disjoint groups, e.g. from different threads: [`AdamStep::split_at`] the
    /// step and [`AdamStep::apply`] each part to its parameters. Updating every group once
    /// gives exactly [`Adam::update`] (`clear` false) or [`Adam::update_and_clear`].
    pub fn begin_step(&mut self, lr: f64, clear: bool) -> AdamStep<'_, S> {
        self.step += 1;
        let (b1, b2) = self.config.betas;
        let bc1 = 1.0 - b1.powi(self.step as i32);
        let bc2 = 1.0 - b2.powi(self.step as i32);
        AdamStep {
            b1: S::c(b1),
            b2: S::c(b2),
            wd: S::c(self.config.weight_decay),
            eps: S::c(self.config.eps),
            step_size: S::c(lr / bc1),
            inv_sqrt_bc2: S::c(1.0 / bc2.sqrt()),
            clear,
            m: &mut self.m,
            v: &mut self.v,
        }
    }
}

/// One Adam update in progress, over the moments of a contiguous group of parameters (see
/// [`Adam::begin_step`]).
pub struct AdamStep<'a, S> {
    b1: S,
    b2: S,
    wd: S,
    eps: S,
    step_size: S,
    inv_sqrt_bc2: S,
    clear: bool,
    m: &'a mut [Vec<S>],
    v: &'a mut [Vec<S>],
}

impl<S: Scalar> AdamStep<'_, S> {
    /// Parameters this step covers.
    pub fn len(&self) -> usize {
        self.m.len()
    }

    /// Whether the step covers no parameter.
    pub fn is_empty(&self) -> bool {
        self.m.is_empty()
    }

    /// The step for parameters `..at` and the step for `at..`.
    ///
    /// # Panics
    /// If `at` exceeds [`AdamStep::len`].
    pub fn split_at(self, at: usize) -> (Self, Self) {
        let (m0, m1) = self.m.split_at_mut(at);
        let (v0, v1) = self.v.split_at_mut(at);
        let part = |m, v| AdamStep { m, v, ..self };
        (part(m0, v0), part(m1, v1))
    }

    /// Updates `params`, which must be the parameters this step covers, in order; large
    /// parameters are split across rayon's threads.
    ///
    /// # Panics
    /// On a different number of parameters or a length mismatch (a caller bug).
    pub fn apply(self, params: &mut [&mut Param<S>]) {
        self.apply_with(params, None, true);
    }

    /// [`AdamStep::apply`] on the calling thread only (for callers that already run
    /// independent work side by side); the same arithmetic, so the same result.
    pub fn apply_serial(self, params: &mut [&mut Param<S>]) {
        self.apply_with(params, None, false);
    }

    /// [`AdamStep::apply_serial`] followed by Polyak averaging of a target copy of the
    /// parameters towards the updated ones, `θ' ← (1 − τ)·θ' + τ·θ` (soft actor–critic's
    /// target critics), in the same sweep: the arithmetic of the two passes, each weight
    /// read once.
    ///
    /// # Panics
    /// If `targets` does not match `params` in number and lengths (a caller bug).
    pub fn apply_serial_with_target(
        self,
        params: &mut [&mut Param<S>],
        targets: &mut [&mut Param<S>],
        tau: f64,
    ) {
        assert_eq!(
            params.len(),
            targets.len(),
            "target copy has another number of parameters"
        );
        self.apply_with(params, Some((targets, tau)), false);
    }

    fn apply_with(
        self,
        params: &mut [&mut Param<S>],
        mut targets: Option<(&mut [&mut Param<S>], f64)>,
        parallel: bool,
    ) {
        assert_eq!(
            params.len(),
            self.m.len(),
            "optimizer step built for other parameters"
        );
        let AdamStep {
            b1,
            b2,
            wd,
            eps,
            step_size,
            inv_sqrt_bc2,
            clear,
            m,
            v,
        } = self;
        // By value: the constants stay in registers and the loops vectorise.
        #[inline(always)]
        fn adam<S: Scalar>(c: [S; 6], w: &mut S, g: S, m: &mut S, v: &mut S) {
            let [b1, b2, wd, eps, step_size, inv_sqrt_bc2] = c;
            let grad = g + wd * *w;
            *m = b1 * *m + (S::one() - b1) * grad;
            *v = b2 * *v + (S::one() - b2) * grad * grad;
            *w -= step_size * *m / ((*v).sqrt() * inv_sqrt_bc2 + eps);
        }
        let c = [b1, b2, wd, eps, step_size, inv_sqrt_bc2];
        // The slices as arguments of their own function: distinct `&mut` arguments let the
        // loop vectorise (reborrowed locals did not).
        fn adam_polyak<S: Scalar>(
            c: [S; 6],
            [tau, keep]: [S; 2],
            w: &mut [S],
            g: &[S],
            m: &mut [S],
            v: &mut [S],
            t: &mut [S],
        ) {
            for ((((w, g), m), v), t) in w.iter_mut().zip(g).zip(m).zip(v).zip(t) {
                adam(c, w, *g, m, v);
                *t = keep * *t + tau * *w;
            }
        }
        // Plain slices per chunk (not zipped parallel iterators) so the loop vectorises.
        const CHUNK: usize = 16 * 1024;
        let kernel = |w: &mut [S], g: &mut [S], m: &mut [S], v: &mut [S]| {
            for (((w, g), m), v) in w
                .iter_mut()
                .zip(g.iter_mut())
                .zip(m.iter_mut())
                .zip(v.iter_mut())
            {
                adam(c, w, *g, m, v);
            }
            if clear {
                g.iter_mut().for_each(|x| *x = S::zero());
            }
        };
        for (i, ((p, m), v)) in params
            .iter_mut()
            .zip(m.iter_mut())
            .zip(v.iter_mut())
            .enumerate()
        {
            assert!(
                p.value.len() == m.len() && p.grad.len() == m.len(),
                "parameter {} does not match its optimizer state",
                p.name
            );
            if let Some((targets, tau)) = &mut targets {
                let t = &mut targets[i].value;
                assert_eq!(
                    t.len(),
                    m.len(),
                    "target copy of parameter {} has another length",
                    p.name
                );
                let (tau, keep) = (S::c(*tau), S::c(1.0 - *tau));
                adam_polyak(c, [tau, keep], &mut p.value, &p.grad, m, v, t);
                if clear {
                    p.grad.iter_mut().for_each(|x| *x = S::zero());
                }
            } else if parallel {
                p.value
                    .par_chunks_mut(CHUNK)
                    .zip(p.grad.par_chunks_mut(CHUNK))
                    .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
                    .for_each(|((w, g), (m, v))| kernel(w, g, m, v));
            } else {
                kernel(&mut p.value, &mut p.grad, m, v);
            }
        }
    }
}

/// Step decay: the learning rate is multiplied by `gamma` at each milestone epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepSchedule {
    /// Initial learning rate.
    pub lr: f64,
    /// Epochs (0-based count of finished epochs) at which the rate is multiplied by gamma.
    pub milestones: Vec<usize>,
    /// Factor, 0.1 in the reference.
    pub gamma: f64,
}

impl StepSchedule {
    /// The learning rate during epoch `epoch` (0-based), as `MultiStepLR` stepped once per epoch.
    pub fn lr_at(&self, epoch: usize) -> f64 {
        let drops = self.milestones.iter().filter(|&&m| epoch >= m).count();
        self.lr * self.gamma.powi(drops as i32)
    }
}

/// Exponential decay in steps: the learning rate is multiplied by `gamma` every `every`
/// epochs (PAPER.md §6: 0.97 every 2 epochs for the VIB models).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExponentialSchedule {
    /// Initial learning rate.
    pub lr: f64,
    /// Factor per period.
    pub gamma: f64,
    /// Epochs per period (≥ 1).
    pub every: usize,
}

impl ExponentialSchedule {
    /// The learning rate during epoch `epoch` (0-based): lr·gamma^⌊epoch/every⌋.
    pub fn lr_at(&self, epoch: usize) -> f64 {
        self.lr * self.gamma.powi((epoch / self.every.max(1)) as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_adam_step_moves_each_weight_by_lr_against_its_gradient_sign() {
        let mut p = Param::<f64>::zeros("w", &[3]);
        p.value = vec![1.0, -2.0, 0.5];
        p.grad = vec![0.3, -4.0, 0.0];
        let mut adam = Adam::new(AdamConfig::new(0.01, 0.0), &[3]);
        adam.update(&mut [&mut p], 0.01);
        // m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε).
        assert!((p.value[0] - (1.0 - 0.01)).abs() < 1e-9);
        assert!((p.value[1] - (-2.0 + 0.01)).abs() < 1e-9);
        assert_eq!(p.value[2], 0.5);
    }

    #[test]
    fn a_step_split_over_groups_equals_the_whole_update_bit_for_bit() {
        let make = |seed: usize| -> Vec<Param<f32>> {
            [5usize, 40_000, 3]
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let mut p = Param::zeros(&format!("p{i}"), &[n]);
                    for (j, (w, g)) in p.value.iter_mut().zip(&mut p.grad).enumerate() {
                        *w = ((j * 7 + i + seed) % 13) as f32 / 7.0 - 0.9;
                        *g = ((j * 5 + 3 * i + seed) % 11) as f32 / 3.0 - 1.6;
                    }
                    p
                })
                .collect()
        };
        let lens = [5, 40_000, 3];
        let mut whole = Adam::new(AdamConfig::new(0.01, 0.1), &lens);
        let mut split = whole.clone();
        let (mut a, mut b) = (make(0), make(0));
        for step in 0..3 {
            if step > 0 {
                // Fresh gradients after the clearing update.
                for (pa, pb) in a.iter_mut().zip(&mut b) {
                    let g = make(step)[0].grad[0];
                    pa.grad.iter_mut().for_each(|x| *x = g);
                    pb.grad.iter_mut().for_each(|x| *x = g);
                }
            }
            whole.update_and_clear(&mut a.iter_mut().collect::<Vec<_>>(), 0.01);
            let (first, rest) = split.begin_step(0.01, true).split_at(1);
            let (b0, b12) = b.split_at_mut(1);
            rest.apply_serial(&mut b12.iter_mut().collect::<Vec<_>>());
            first.apply(&mut b0.iter_mut().collect::<Vec<_>>());
        }
        assert_eq!(whole.step, split.step);
        for (pa, pb) in a.iter().zip(&b) {
            assert_eq!(pa.value, pb.value);
            assert!(pb.grad.iter().all(|&g| g == 0.0), "cleared");
        }
        assert_eq!(whole.m, split.m);
        assert_eq!(whole.v, split.v);
    }

    /// The fused step with a target copy is the step followed by the Polyak average of the
    /// updated weights, bit for bit.
    #[test]
    fn a_step_with_a_target_equals_the_step_then_the_polyak_average() {
        let param = |name: &str, n: usize, seed: usize| {
            let mut p = Param::<f32>::zeros(name, &[n]);
            for (j, (w, g)) in p.value.iter_mut().zip(&mut p.grad).enumerate() {
                *w = ((j * 7 + seed) % 13) as f32 / 7.0 - 0.9;
                *g = ((j * 5 + seed) % 11) as f32 / 3.0 - 1.6;
            }
            p
        };
        let mut a = vec![param("w", 300, 0), param("b", 7, 1)];
        let mut b = a.clone();
        let mut ta = vec![param("tw", 300, 2), param("tb", 7, 3)];
        let mut tb = ta.clone();
        let (mut opt_a, mut opt_b) = (
            Adam::new(AdamConfig::new(0.01, 0.1), &[300, 7]),
            Adam::new(AdamConfig::new(0.01, 0.1), &[300, 7]),
        );
        let tau = 0.005;
        for _ in 0..3 {
            opt_a
                .begin_step(3e-4, true)
                .apply_serial(&mut a.iter_mut().collect::<Vec<_>>());
            for (t, p) in ta.iter_mut().zip(&a) {
                for (t, &w) in t.value.iter_mut().zip(&p.value) {
                    *t = (1.0 - tau) as f32 * *t + tau as f32 * w;
                }
            }
            opt_b.begin_step(3e-4, true).apply_serial_with_target(
                &mut b.iter_mut().collect::<Vec<_>>(),
                &mut tb.iter_mut().collect::<Vec<_>>(),
                tau,
            );
            for p in a.iter_mut().chain(b.iter_mut()) {
                p.grad
                    .iter_mut()
                    .enumerate()
                    .for_each(|(j, g)| *g = j as f32 * 0.01 - 1.0);
            }
        }
        for (x, y) in a.iter().zip(&b).chain(ta.iter().zip(&tb)) {
            assert_eq!(x.value, y.value, "{}", x.name);
        }
        assert_eq!(opt_a.m, opt_b.m);
        assert_eq!(opt_a.v, opt_b.v);
    }

    #[test]
    fn weight_decay_acts_as_an_l2_gradient() {
        let mut p = Param::<f64>::zeros("w", &[1]);
        p.value = vec![2.0];
        p.grad = vec![0.0];
        let mut adam = Adam::new(AdamConfig::new(0.1, 0.5), &[1]);
        adam.update(&mut [&mut p], 0.1);
        assert!(
            (p.value[0] - 1.9).abs() < 1e-7,
            "g = wd·p = 1 > 0, step −lr"
        );
    }

    #[test]
    fn schedule_drops_at_milestones() {
        let s = StepSchedule {
            lr: 1e-4,
            milestones: vec![10, 20, 30],
            gamma: 0.1,
        };
        assert_eq!(s.lr_at(0), 1e-4);
        assert_eq!(s.lr_at(9), 1e-4);
        assert!((s.lr_at(10) - 1e-5).abs() < 1e-18);
        assert!((s.lr_at(35) - 1e-7).abs() < 1e-20);
    }

    #[test]
    fn exponential_schedule_decays_every_period() {
        let s = ExponentialSchedule {
            lr: 1e-4,
            gamma: 0.97,
            every: 2,
        };
        assert_eq!(s.lr_at(0), 1e-4);
        assert_eq!(s.lr_at(1), 1e-4);
        assert!((s.lr_at(2) - 0.97e-4).abs() < 1e-18);
        assert!((s.lr_at(199) - 1e-4 * 0.97f64.powi(99)).abs() < 1e-18);
    }
}
