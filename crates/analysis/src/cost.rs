//! Analytic operation counts of one inference (Fig. 5b, PAPER.md §6): additions and
//! multiplications per 36×36 image over the model's T time steps.
//!
//! A model is described as a list of [`Layer`]s, each an [`Op`] applied a number of times per
//! inference. Two numbers of applications are kept because there are two honest ways to
//! count the same network:
//!
//! - [`Convention::Executed`]: what our engine runs. The image is static, so the first
//!   projection (or convolution) runs once, not T times; s-LIF2HH-conv sums its four
//!   compartments' spikes before each layer-2 convolution (linearity) instead of convolving
//!   each compartment; the conv models' cells also accumulate a spike count that the readout
//!   does not use (it pools the mean of the layer-2 spikes itself).
//! - [`Convention::Definition`]: what a step-by-step implementation of the model definition
//!   (PAPER.md §4) computes — the input projection at every step, every convolution on every
//!   compartment — which is how the authors' reference counts treat the models.
//!
//! What counts as one operation (both conventions), from the equations in the cells' code:
//!
//! - a dense layer `n_in → n_out`: `n_in·n_out` MUL and `n_in·n_out` ADD (`n_in − 1` to
//!   accumulate each dot product, one for the bias);
//! - a 3×3 convolution with zero padding ("same" output size): every output position
//!   multiplies all `9·c_in` taps, padding included (the engine does); ADD likewise
//!   `9·c_in` per output (accumulation plus bias);
//! - 2×2 average pooling: 3 ADD and 1 MUL (×¼) per output;
//! - a threshold `H(x − θ)` is one subtraction, counted as one ADD; a ReLU (`max(x, 0)`)
//!   one comparison, counted as one ADD;
//! - per-cell dynamics per unit and time step: see [`CellKind::ops_per_step`];
//! - the mean spike rate over T: one ADD per spike train and step, one MUL (×1/T) per
//!   spike train.
//!
//! Not counted: memory traffic, the surrogate gradient (training only), loss and softmax,
//! and constants folded at compile time in a real deployment are counted as the code
//! computes them (e.g. `g_L·E_L` in the HH cell), so the counts are an upper bound of what an
//! optimised deployment needs.

use serde::{Deserialize, Serialize};

/// Which spiking (or binary) units a layer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellKind {
    /// Discrete LIF: `u ← λ·u·(1 − s) + I`, `s ← H(u − θ)`.
    Lif,
    /// HH with the reference's constant gating rates, forward Euler.
    HhConstantRates,
    /// s-LIF2HH: four LIF compartments, the fourth driven by `a·u₁₋₃ + c`.
    SLif2Hh,
    /// ReLU then binary step `H(max(x, 0) − θ)` (ANN, CNN; no time).
    ReluStep,
}

/// Additions and multiplications.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCount {
    /// Additions and subtractions (threshold comparisons included).
    pub add: u64,
    /// Multiplications.
    pub mul: u64,
}

impl OpCount {
    /// `add` ADD and `mul` MUL.
    pub const fn new(add: u64, mul: u64) -> Self {
        Self { add, mul }
    }

    /// This count `times` times.
    pub fn times(self, times: u64) -> Self {
        Self::new(self.add * times, self.mul * times)
    }

    /// Millions of additions.
    pub fn add_millions(self) -> f64 {
        self.add as f64 / 1e6
    }

    /// Millions of multiplications.
    pub fn mul_millions(self) -> f64 {
        self.mul as f64 / 1e6
    }
}

impl std::ops::Add for OpCount {
    type Output = OpCount;
    fn add(self, other: OpCount) -> OpCount {
        OpCount::new(self.add + other.add, self.mul + other.mul)
    }
}

impl std::iter::Sum for OpCount {
    fn sum<I: Iterator<Item = OpCount>>(iter: I) -> OpCount {
        iter.fold(OpCount::default(), |a, b| a + b)
    }
}

impl CellKind {
    /// Operations per unit and time step, read off the cell's update in the training engine
    /// (`crates/train/src/cells/`):
    ///
    /// - LIF: `λ·u·(1 − s) + I` is 2 MUL, 2 ADD; `H(u − θ)` 1 ADD → **3 ADD, 2 MUL**.
    /// - HH (constant rates): conductances `ḡ_Na·m·m·m·h` and `ḡ_K·n·n·n·n` 8 MUL;
    ///   `G = Na + K + g_L` 2 ADD; `Ē = Na·E_Na + K·E_K + g_L·E_L` 3 MUL, 2 ADD; each of the
    ///   three gates `x + dt·(α(1 − x) − β·x)` 3 MUL, 3 ADD; `V + (dt/C)·(I − G·V + Ē)` 2 MUL,
    ///   3 ADD; `H(V − θ)` 1 ADD → **17 ADD, 22 MUL**. With constant rates the gates and
    ///   conductances do not depend on V, so the engine computes them once per neuron for a
    ///   whole batch; for one image that is the same count.
    /// - s-LIF2HH: four LIF compartments (12 ADD, 8 MUL) and the drive of the fourth,
    ///   `c + a₁u₁ + a₂u₂ + a₃u₃` (3 MUL, 3 ADD) → **15 ADD, 11 MUL**.
    /// - ReLU-step: `max(x, 0)` and `H(· − θ)`, one comparison each → **2 ADD, 0 MUL**.
    pub const fn ops_per_step(self) -> OpCount {
        match self {
            CellKind::Lif => OpCount::new(3, 2),
            CellKind::HhConstantRates => OpCount::new(17, 22),
            CellKind::SLif2Hh => OpCount::new(15, 11),
            CellKind::ReluStep => OpCount::new(2, 0),
        }
    }

    /// State variables a unit carries from one step to the next during inference: LIF `u`
    /// and `s` (the reset multiplies by `1 − s[t−1]`); HH `V`, `m`, `h`, `n`; s-LIF2HH `u`
    /// and `s` of four compartments; ReLU-step none.
    pub const fn state_variables(self) -> u64 {
        match self {
            CellKind::Lif => 2,
            CellKind::HhConstantRates => 4,
            CellKind::SLif2Hh => 8,
            CellKind::ReluStep => 0,
        }
    }

    /// Spike trains a unit emits (s-LIF2HH: one per compartment).
    pub const fn outputs(self) -> u64 {
        match self {
            CellKind::SLif2Hh => 4,
            _ => 1,
        }
    }
}

/// One operation of a model on one image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Dense layer `inputs → outputs` with bias.
    Dense {
        /// Input features.
        inputs: u64,
        /// Output features.
        outputs: u64,
    },
    /// 3×3-style convolution with zero padding, `side × side` in and out.
    Conv {
        /// Input channels.
        c_in: u64,
        /// Output channels.
        c_out: u64,
        /// Side of the (square) input and output maps.
        side: u64,
        /// Kernel side (3).
        kernel: u64,
    },
    /// 2×2 average pooling of `channels` maps of side `side` (output side `side / 2`).
    AvgPool2 {
        /// Channels.
        channels: u64,
        /// Input side.
        side: u64,
    },
    /// One time step of `units` cells.
    Cells {
        /// Cell type.
        kind: CellKind,
        /// Units (s-LIF2HH: four-compartment units).
        units: u64,
    },
    /// `elements` elementwise additions (spike counts, sums of compartments).
    Add {
        /// Elements.
        elements: u64,
    },
    /// `elements` elementwise multiplications by a constant (×1/T of a mean).
    Scale {
        /// Elements.
        elements: u64,
    },
}

impl Op {
    /// Operations of one application.
    pub fn ops(self) -> OpCount {
        match self {
            Op::Dense { inputs, outputs } => OpCount::new(inputs * outputs, inputs * outputs),
            Op::Conv {
                c_in,
                c_out,
                side,
                kernel,
            } => {
                let taps = side * side * c_out * kernel * kernel * c_in;
                OpCount::new(taps, taps)
            }
            Op::AvgPool2 { channels, side } => {
                let out = (side / 2) * (side / 2) * channels;
                OpCount::new(3 * out, out)
            }
            Op::Cells { kind, units } => kind.ops_per_step().times(units),
            Op::Add { elements } => OpCount::new(elements, 0),
            Op::Scale { elements } => OpCount::new(0, elements),
        }
    }
}

/// Which applications to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Convention {
    /// What our engine executes (static input projected once, linearity exploited).
    Executed,
    /// What a step-by-step implementation of the model definition computes (the reference's
    /// way of counting).
    Definition,
}

/// An operation and how often it is applied per inference of one image.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// What it is, e.g. `"input 1296→512"`.
    pub name: String,
    /// The operation.
    pub op: Op,
    /// Applications under [`Convention::Executed`].
    pub executed: u64,
    /// Applications under [`Convention::Definition`].
    pub definition: u64,
}

impl Layer {
    /// Applications under `convention`.
    pub fn applications(&self, convention: Convention) -> u64 {
        match convention {
            Convention::Executed => self.executed,
            Convention::Definition => self.definition,
        }
    }

    /// Operations of this layer per inference under `convention`.
    pub fn count(&self, convention: Convention) -> OpCount {
        self.op.ops().times(self.applications(convention))
    }
}

/// A model as a list of layers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelOps {
    /// Model id.
    pub model: String,
    /// Time steps T.
    pub steps: u64,
    /// Layers in forward order.
    pub layers: Vec<Layer>,
}

impl ModelOps {
    /// Total operations per inference of one image under `convention`.
    pub fn count(&self, convention: Convention) -> OpCount {
        self.layers.iter().map(|l| l.count(convention)).sum()
    }

    /// Bytes of neuron state carried between time steps for one image, with `bytes_per_value`
    /// bytes per number (4 for f32): Σ over cell layers of units × state variables.
    pub fn state_bytes(&self, bytes_per_value: u64) -> u64 {
        let mut seen = Vec::new();
        self.layers
            .iter()
            .filter_map(|l| match l.op {
                Op::Cells { kind, units } => Some((l.name.as_str(), kind, units)),
                _ => None,
            })
            // A layer's state is counted once however often it is stepped.
            .filter(|(name, _, _)| {
                let fresh = !seen.contains(name);
                seen.push(name);
                fresh
            })
            .map(|(_, kind, units)| units * kind.state_variables() * bytes_per_value)
            .sum()
    }

    /// Neurons (spike trains) of the spiking layers: units × outputs per unit.
    pub fn neurons(&self) -> u64 {
        let mut names = Vec::new();
        self.layers
            .iter()
            .filter_map(|l| match l.op {
                Op::Cells { kind, units } if !names.contains(&l.name) => {
                    names.push(l.name.clone());
                    Some(units * kind.outputs())
                }
                _ => None,
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(name: &str, op: Op, executed: u64, definition: u64) -> Layer {
        Layer {
            name: name.into(),
            op,
            executed,
            definition,
        }
    }

    /// A tiny fc model counted by hand: 4 inputs → 3 LIF units, T = 2, rate → 2 outputs.
    #[test]
    fn a_tiny_lif_network_counted_by_hand() {
        let model = ModelOps {
            model: "tiny".into(),
            steps: 2,
            layers: vec![
                layer(
                    "input",
                    Op::Dense {
                        inputs: 4,
                        outputs: 3,
                    },
                    1,
                    2,
                ),
                layer(
                    "lif",
                    Op::Cells {
                        kind: CellKind::Lif,
                        units: 3,
                    },
                    2,
                    2,
                ),
                layer("count", Op::Add { elements: 3 }, 2, 2),
                layer("mean", Op::Scale { elements: 3 }, 1, 1),
                layer(
                    "readout",
                    Op::Dense {
                        inputs: 3,
                        outputs: 2,
                    },
                    1,
                    1,
                ),
            ],
        };
        // Executed: input 12 MUL + 12 ADD (3 outputs × (3 accumulations + 1 bias));
        // LIF 2 steps × 3 units × (3 ADD, 2 MUL) = 18 ADD, 12 MUL; count 6 ADD; mean 3 MUL;
        // readout 6 MUL + 6 ADD.
        assert_eq!(
            model.count(Convention::Executed),
            OpCount::new(12 + 18 + 6 + 6, 12 + 12 + 3 + 6)
        );
        // Definition: the input projection twice.
        assert_eq!(
            model.count(Convention::Definition),
            OpCount::new(24 + 18 + 6 + 6, 24 + 12 + 3 + 6)
        );
        assert_eq!(model.state_bytes(4), 3 * 2 * 4);
        assert_eq!(model.neurons(), 3);
    }

    /// A tiny conv layer counted by hand: 1 → 2 channels, 4×4, 3×3 kernel, then 2×2 pooling,
    /// then one step of HH cells on the 2 × 2 × 2 pooled map, then s-LIF2HH.
    #[test]
    fn conv_pool_and_cells_counted_by_hand() {
        let conv = Op::Conv {
            c_in: 1,
            c_out: 2,
            side: 4,
            kernel: 3,
        };
        // 16 positions × 2 channels × 9 taps.
        assert_eq!(conv.ops(), OpCount::new(288, 288));
        let pool = Op::AvgPool2 {
            channels: 2,
            side: 4,
        };
        // 2×2 outputs × 2 channels, 3 ADD + 1 MUL each.
        assert_eq!(pool.ops(), OpCount::new(24, 8));
        let hh = Op::Cells {
            kind: CellKind::HhConstantRates,
            units: 8,
        };
        assert_eq!(hh.ops(), OpCount::new(8 * 17, 8 * 22));
        let slif = Op::Cells {
            kind: CellKind::SLif2Hh,
            units: 2,
        };
        // Four LIF compartments (4 × (3, 2)) plus the 3→1 mix (3, 3).
        assert_eq!(slif.ops(), OpCount::new(2 * (12 + 3), 2 * (8 + 3)));
        let model = ModelOps {
            model: "tiny-conv".into(),
            steps: 3,
            layers: vec![
                layer("conv", conv, 1, 3),
                layer("pool", pool, 3, 3),
                layer("hh", hh, 3, 3),
                layer("slif", slif, 3, 3),
            ],
        };
        assert_eq!(
            model.count(Convention::Executed),
            OpCount::new(288 + 72 + 408 + 90, 288 + 24 + 528 + 66)
        );
        assert_eq!(
            model.count(Convention::Definition).mul,
            3 * 288 + 24 + 528 + 66
        );
        // HH: 8 units × 4 variables; s-LIF2HH: 2 units × 8; counted once despite 3 steps.
        assert_eq!(model.state_bytes(4), (8 * 4 + 2 * 8) * 4);
        assert_eq!(model.neurons(), 8 + 2 * 4);
    }

    #[test]
    fn a_relu_step_has_no_multiplications_and_no_state() {
        let op = Op::Cells {
            kind: CellKind::ReluStep,
            units: 5,
        };
        assert_eq!(op.ops(), OpCount::new(10, 0));
        assert_eq!(CellKind::ReluStep.state_variables(), 0);
        assert!((OpCount::new(2_500_000, 10_000).add_millions() - 2.5).abs() < 1e-12);
    }
}
