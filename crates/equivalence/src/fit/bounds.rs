//! The boxes of the fitted parameters, and the s-LIF2HH parameter vector.
//!
//! Boxes (shared by the s-LIF2HH fit and every topology of [`crate::topology`]):
//!
//! | parameter | box | why |
//! |---|---|---|
//! | leak k (1/ms) | [0, 1] | k·dt ≤ 1 for every dt in the box, so the explicit update only decays (0: perfect integrator, k·dt = 1: the unit forgets everything each step); the reference is 0.1 |
//! | threshold θ | [10, 150] | around the reference 70; potentials scale with the gains, so the box only needs to cover a factor ≈ 10 either way |
//! | input gain a | [0, 4] | the reference is 1; 0 lets the fit switch an input off |
//! | weight (s-LIF2HH 3→1, topology W_ij) | [−1, 1] | signed: the paper initialises the 3→1 weights to \|w\| but trains them freely, and inhibition is a legitimate wiring; the reference is 1/3 (a fit restricted to [0, 1] reached a training loss of 5.77 against 3.29 signed, quick budget) |
//! | dt (ms) | [0.1, 1] | the reference 1 ms is the coarsest; finer steps time spikes better but cost more |
//!
//! The reset potential (0) and the chain coupling W = 10⁵ stay at their reference values.

use icnet_neurons::slif2hh::SLif2HhParams;
use serde::{Deserialize, Serialize};

use super::{check_vector, Parameterisation};
use crate::cmaes::Rejected;
use crate::topology::LifNetwork;

/// A closed interval [lower, upper] for one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParamBox {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// Leak rate k (1/ms).
pub const LEAK_PER_MS: ParamBox = ParamBox {
    lower: 0.0,
    upper: 1.0,
};
/// Threshold θ.
pub const THRESHOLD: ParamBox = ParamBox {
    lower: 10.0,
    upper: 150.0,
};
/// Input gain a.
pub const GAIN: ParamBox = ParamBox {
    lower: 0.0,
    upper: 4.0,
};
/// Weights: the s-LIF2HH 3→1 weights and every topology connection (signed).
pub const WEIGHT: ParamBox = ParamBox {
    lower: -1.0,
    upper: 1.0,
};
/// Time step (ms).
pub const DT_MS: ParamBox = ParamBox {
    lower: 0.1,
    upper: 1.0,
};

/// The s-LIF2HH unit of the paper as 12 fitted numbers, in this order:
/// `leak_1…leak_4, threshold, w_1…w_3, gain_1…gain_3, dt` (one threshold shared by the four
/// units, as in the paper; reset 0).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SLif2HhParameterisation;

impl SLif2HhParameterisation {
    /// The parameters `x` stands for (no checks; see [`Parameterisation::network`]).
    pub fn params(&self, x: &[f64]) -> SLif2HhParams {
        SLif2HhParams {
            leak: [x[0], x[1], x[2], x[3]],
            threshold: x[4],
            weights: [x[5], x[6], x[7]],
            input_gain: [x[8], x[9], x[10]],
            reset: 0.0,
            dt: x[11],
        }
    }

    /// The vector of `p` (its reset is not part of the vector).
    pub fn vector(&self, p: &SLif2HhParams) -> Vec<f64> {
        let mut x = p.leak.to_vec();
        x.push(p.threshold);
        x.extend(p.weights);
        x.extend(p.input_gain);
        x.push(p.dt);
        x
    }

    /// The boxes in vector order.
    pub fn boxes(&self) -> [ParamBox; 12] {
        [
            LEAK_PER_MS,
            LEAK_PER_MS,
            LEAK_PER_MS,
            LEAK_PER_MS,
            THRESHOLD,
            WEIGHT,
            WEIGHT,
            WEIGHT,
            GAIN,
            GAIN,
            GAIN,
            DT_MS,
        ]
    }
}

impl Parameterisation for SLif2HhParameterisation {
    fn names(&self) -> Vec<String> {
        [
            "leak_1",
            "leak_2",
            "leak_3",
            "leak_4",
            "threshold",
            "w_1",
            "w_2",
            "w_3",
            "gain_1",
            "gain_2",
            "gain_3",
            "dt",
        ]
        .map(String::from)
        .to_vec()
    }

    fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        self.boxes().iter().map(|b| (b.lower, b.upper)).unzip()
    }

    fn network(&self, x: &[f64]) -> Result<LifNetwork, Rejected> {
        check_vector(&self.names(), &self.bounds(), x)?;
        Ok(LifNetwork::from_slif2hh(&self.params(x)))
    }
}
