//! A general discrete LIF network of k units that behaves as one spiking neuron, with the
//! s-LIF2HH unit (PAPER.md §2.4) as a special case.
//!
//! **Update** (one step of length dt, input current I of the step). Units are updated in
//! index order i = 1 … k (Gauss–Seidel order):
//!
//! u_i ← u_i + dt·(−k_i u_i + a_i I + Σ_j W_ij ũ_j),
//!
//! where ũ_j is unit j's potential *of this step* for j < i (already updated) and of the
//! previous step for j ≥ i. A feed-forward network numbered from input to output therefore
//! propagates within one step, exactly as s-LIF2HH's unit 4 integrates the updated
//! potentials of units 1–3; feedback connections (j ≥ i: rings, fully connected networks)
//! act with a delay of one step. Self-connections W_ii are allowed by the model but unused
//! by every topology (they duplicate the leak).
//!
//! **Readout and reset** (joint, as s-LIF2HH): the network fires when *every* unit is above
//! its own threshold, u_i > θ_i for all i, and then all units are set to the common reset
//! potential. Between joint spikes nothing resets, so a unit may sit above its threshold
//! waiting for the others.
//!
//! **s-LIF2HH as a special case** ([`LifNetwork::from_slif2hh`]): k = 4, units 1–3 with
//! gains a₁…a₃ and no incoming weights, unit 4 with gain 0 and incoming weights w₁…w₃ from
//! units 1–3, one threshold θ for all four. The floating-point operations then coincide with
//! [`SLif2HhParams::step`] (the added zero terms are exact), so the two produce bit-identical
//! potentials and spikes (`tests/topology_network.rs`).
//!
//! **Two-unit chain** ([`LifNetwork::run_chain`]): as [`crate::chain::SLifChain`], network 1
//! receives the stimulus, network 2 the current W·dt·f₁ in the step network 1 fires.

use icnet_neurons::slif2hh::SLif2HhParams;
use serde::{Deserialize, Serialize};

use super::NetworkError;
use crate::chain::{ChainTrains, StepStamp};
use crate::metrics::SpikeTrain;

/// Parameters of a k-unit LIF network (units: time ms, leak 1/ms, potentials and thresholds
/// in the units of the input current times ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifNetwork {
    /// Leak rates k_i (1/ms); k_i·dt must lie in [0, 2].
    pub leak: Vec<f64>,
    /// Thresholds θ_i.
    pub threshold: Vec<f64>,
    /// Input gains a_i (0: the unit receives no stimulus).
    pub input_gain: Vec<f64>,
    /// Weights, row-major k × k: `weights[i * k + j]` = W_ij, from unit j onto unit i.
    pub weights: Vec<f64>,
    /// Potential of every unit after a joint spike (and initially, unless `initial` says
    /// otherwise).
    pub reset: f64,
    /// Time step (ms).
    pub dt: f64,
    /// Potential of each unit at t = 0 (k entries), or empty: every unit starts at `reset`.
    ///
    /// Why a separate initial state: with u(0) = reset, a constant current makes the first
    /// spike come exactly one inter-spike interval after t = 0, because every joint spike
    /// returns the network to its initial state. The HH reference chain starts from the
    /// authors' script state, not from rest, and fires its first spike earlier than one ISI
    /// (unit 2 under the constant 9 µA/cm²: first spike at 12.9 ms, ISI 15.25 ms), so no
    /// s-LIF2HH started at its reset can match both; the 12-parameter fit compromised with a
    /// drift from +3.8 to −1.9 ms over the five spikes (Γ = 0.467). See
    /// [`crate::fit::bounds`] for what fitting u(0) bought.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub initial: Vec<f64>,
}

/// Why a simulation stopped: a non-finite potential.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Divergence {
    /// Which network of the chain (1 or 2), or 1 for a single network.
    pub network: usize,
    /// Which unit (1-based).
    pub unit: usize,
    /// End of the step in which it happened (ms).
    pub t_ms: f64,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unit {} of network {} diverged (non-finite potential) at t = {} ms",
            self.unit, self.network, self.t_ms
        )
    }
}

impl LifNetwork {
    /// Number of units k.
    pub fn units(&self) -> usize {
        self.leak.len()
    }

    /// The s-LIF2HH unit as a network (see the module documentation).
    pub fn from_slif2hh(p: &SLif2HhParams) -> Self {
        let mut weights = vec![0.0; 16];
        weights[12..15].copy_from_slice(&p.weights);
        LifNetwork {
            leak: p.leak.to_vec(),
            threshold: vec![p.threshold; 4],
            input_gain: vec![p.input_gain[0], p.input_gain[1], p.input_gain[2], 0.0],
            weights,
            reset: p.reset,
            dt: p.dt,
            initial: Vec::new(),
        }
    }

    /// Checks lengths (k ≥ 1, k² weights, k or no initial potentials), finiteness, dt > 0 and
    /// 0 ≤ k_i·dt ≤ 2.
    pub fn validate(&self) -> Result<(), NetworkError> {
        let k = self.units();
        if k == 0 {
            return Err(NetworkError::NoUnits);
        }
        for (field, len, expected) in [
            ("threshold", self.threshold.len(), k),
            ("input_gain", self.input_gain.len(), k),
            ("weights", self.weights.len(), k * k),
        ] {
            if len != expected {
                return Err(NetworkError::Length {
                    field,
                    len,
                    expected,
                });
            }
        }
        let finite = |field: &'static str, values: &[f64]| {
            values
                .iter()
                .position(|v| !v.is_finite())
                .map_or(Ok(()), |index| {
                    Err(NetworkError::NotFinite {
                        field,
                        index,
                        value: values[index],
                    })
                })
        };
        finite("leak", &self.leak)?;
        finite("threshold", &self.threshold)?;
        finite("input_gain", &self.input_gain)?;
        finite("weights", &self.weights)?;
        finite("reset", &[self.reset])?;
        if !self.initial.is_empty() && self.initial.len() != k {
            return Err(NetworkError::Length {
                field: "initial",
                len: self.initial.len(),
                expected: k,
            });
        }
        finite("initial", &self.initial)?;
        if !(self.dt.is_finite() && self.dt > 0.0) {
            return Err(NetworkError::OutOfRange {
                field: "dt",
                value: self.dt,
                expected: "a finite number > 0 (ms)",
            });
        }
        for &leak in &self.leak {
            if !(0.0..=2.0).contains(&(leak * self.dt)) {
                return Err(NetworkError::OutOfRange {
                    field: "leak·dt",
                    value: leak * self.dt,
                    expected: "in [0, 2] (the explicit update would amplify instead of decay)",
                });
            }
        }
        Ok(())
    }

    /// The initial state: `initial` when given, otherwise every unit at the reset potential.
    pub fn initial_state(&self) -> Vec<f64> {
        if self.initial.is_empty() {
            vec![self.reset; self.units()]
        } else {
            self.initial.clone()
        }
    }

    /// One step under `current`: updates `u` in place and returns whether the network fired
    /// (and was reset). `Err(unit)` (1-based) when a potential became non-finite before the
    /// reset — the reset would otherwise hide an overflow, since +inf exceeds any threshold.
    #[inline]
    pub fn step(&self, u: &mut [f64], current: f64) -> Result<bool, usize> {
        let k = u.len();
        let dt = self.dt;
        for i in 0..k {
            let row = &self.weights[i * k..(i + 1) * k];
            // Summed from 0.0 in index order, as s-LIF2HH sums w_j u_j.
            let recurrent: f64 = row.iter().zip(u.iter()).map(|(w, x)| w * x).sum();
            u[i] += dt * (-self.leak[i] * u[i] + self.input_gain[i] * current + recurrent);
            if !u[i].is_finite() {
                return Err(i + 1);
            }
        }
        if u.iter().zip(&self.threshold).all(|(x, th)| x > th) {
            u.fill(self.reset);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Simulates the network alone under `currents[k]` during step k; returns the joint
    /// spike times stamped with the start of their step.
    pub fn run(&self, currents: &[f64]) -> Result<SpikeTrain, Divergence> {
        let mut u = self.initial_state();
        let mut times = Vec::new();
        for (step, &current) in currents.iter().enumerate() {
            let t = step as f64 * self.dt;
            match self.step(&mut u, current) {
                Ok(true) => times.push(t),
                Ok(false) => {}
                Err(unit) => {
                    return Err(Divergence {
                        network: 1,
                        unit,
                        t_ms: t + self.dt,
                    })
                }
            }
        }
        Ok(SpikeTrain::new(times).expect("step times are finite"))
    }

    /// The two-unit chain of Fig. 3d with this network as both units: network 1 driven by
    /// `currents[k]` during step k, network 2 by `weight`·dt·f₁ (f₁ = 1 in the steps network 1
    /// fires). Spikes are stamped per `stamp`, as [`crate::chain::SLifChain::run_currents`].
    /// Call [`LifNetwork::validate`] first; this function assumes valid parameters.
    pub fn run_chain(
        &self,
        currents: &[f64],
        weight: f64,
        stamp: StepStamp,
    ) -> Result<ChainTrains, Divergence> {
        let dt = self.dt;
        let drive = weight * dt;
        let offset = match stamp {
            StepStamp::Start => 0.0,
            StepStamp::End => dt,
        };
        let (mut u1, mut u2) = (self.initial_state(), self.initial_state());
        let (mut unit1, mut unit2) = (Vec::new(), Vec::new());
        // With reset 0, network 2 rests at the fixed point u = 0 between its inputs: a step
        // without input leaves it at 0 (up to the sign of zero) and fires only if every
        // threshold is negative. Skipping those steps changes no spike and halves the work.
        let zero_is_idle = self.reset == 0.0 && !self.threshold.iter().all(|&th| 0.0 > th);
        // Network 2 is idle only once it sits at 0: from t = 0 when it starts there, otherwise
        // after its first reset.
        let mut idle2 = zero_is_idle && u2.iter().all(|&x| x == 0.0);
        for (step, &current) in currents.iter().enumerate() {
            let t = step as f64 * dt;
            let diverged = |network, unit| Divergence {
                network,
                unit,
                t_ms: t + dt,
            };
            let fired1 = self.step(&mut u1, current).map_err(|u| diverged(1, u))?;
            let current2 = if fired1 { drive } else { 0.0 };
            let fired2 = if idle2 && current2 == 0.0 {
                false
            } else {
                let fired = self.step(&mut u2, current2).map_err(|u| diverged(2, u))?;
                idle2 = zero_is_idle && u2.iter().all(|&x| x == 0.0);
                fired
            };
            if fired1 {
                unit1.push(t + offset);
            }
            if fired2 {
                unit2.push(t + offset);
            }
        }
        Ok(ChainTrains {
            unit1: SpikeTrain::new(unit1).expect("step times are finite"),
            unit2: SpikeTrain::new(unit2).expect("step times are finite"),
        })
    }
}
