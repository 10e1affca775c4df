//! The model zoo of PAPER.md §4 and the interface the trainer drives.

mod conv;
pub mod describe;
mod fc;
mod heads;
mod vib;

pub use conv::{ConvHidden, ConvModel};
pub use fc::{FcModel, Hidden};
pub use heads::Heads;
pub use vib::{UnknownEncoder, VibEncoder, VibModel, DEFAULT_BETA, SIGMA_SHIFT, Z_DIM};

use crate::param::Param;
use crate::scalar::Scalar;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Side of the input images (36 × 36 composites).
pub const IMAGE_SIDE: usize = 36;
/// Input features of a flattened image.
pub const INPUT_FEATURES: usize = IMAGE_SIDE * IMAGE_SIDE;
/// Width of the shared representation before the two heads.
pub const SHARED_FEATURES: usize = 50;
/// Classes per task.
pub const CLASSES: usize = 10;

/// The models of Fig. 4c/4h and the voltage-dependent HH option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ModelKind {
    /// 1296→512 LIF.
    LifFc,
    /// 1296→2048 LIF (the "four times larger" control).
    FourLifFc,
    /// 1296→512 HH with the reference's constant random gating rates.
    HhFc,
    /// 1296→512 HH with the true voltage-dependent 1952 rates (our option, PAPER.md §4).
    HhVdFc,
    /// Three 1296→512 maps into 512 s-LIF2HH units (2048 spike trains).
    SLif2HhFc,
    /// 1296→512, ReLU, binary step.
    Ann,
    /// conv 1→10, LIF, pool, conv 10→10, LIF, pool, fc 810→50.
    LifConv,
    /// As LIF-conv with 40 channels.
    FourLifConv,
    /// As LIF-conv with HH units per feature-map position (dt 0.1, θ 2.3, ionic currents detached).
    HhConv,
    /// Three convs per layer into s-LIF2HH units (four compartments), fc 3240→50, T = 10.
    SLif2HhConv,
    /// conv–ReLU–step(0.5)–avgpool ×2, fc 810→50.
    CnnConv,
}

impl ModelKind {
    /// Every fully-connected model, in the paper's order, plus the voltage-dependent HH.
    pub const FC: [ModelKind; 6] = [
        ModelKind::LifFc,
        ModelKind::FourLifFc,
        ModelKind::HhFc,
        ModelKind::SLif2HhFc,
        ModelKind::Ann,
        ModelKind::HhVdFc,
    ];

    /// Every convolutional model, in the paper's order.
    pub const CONV: [ModelKind; 5] = [
        ModelKind::LifConv,
        ModelKind::FourLifConv,
        ModelKind::HhConv,
        ModelKind::SLif2HhConv,
        ModelKind::CnnConv,
    ];

    /// Every model.
    pub const ALL: [ModelKind; 11] = [
        ModelKind::LifFc,
        ModelKind::FourLifFc,
        ModelKind::HhFc,
        ModelKind::SLif2HhFc,
        ModelKind::Ann,
        ModelKind::HhVdFc,
        ModelKind::LifConv,
        ModelKind::FourLifConv,
        ModelKind::HhConv,
        ModelKind::SLif2HhConv,
        ModelKind::CnnConv,
    ];

    /// Whether this is one of the convolutional models.
    pub fn is_conv(self) -> bool {
        Self::CONV.contains(&self)
    }

    /// The id used on the command line, in metric keys and run records.
    pub fn id(self) -> &'static str {
        match self {
            ModelKind::LifFc => "lif-fc",
            ModelKind::FourLifFc => "4lif-fc",
            ModelKind::HhFc => "hh-fc",
            ModelKind::HhVdFc => "hh-vd-fc",
            ModelKind::SLif2HhFc => "slif2hh-fc",
            ModelKind::Ann => "ann",
            ModelKind::LifConv => "lif-conv",
            ModelKind::FourLifConv => "4lif-conv",
            ModelKind::HhConv => "hh-conv",
            ModelKind::SLif2HhConv => "slif2hh-conv",
            ModelKind::CnnConv => "cnn",
        }
    }

    /// The reference hyperparameters (PAPER.md §4 table).
    pub fn hyper(self) -> Hyper {
        let steps = match self {
            ModelKind::Ann | ModelKind::CnnConv => 1,
            ModelKind::SLif2HhConv => 10,
            _ => 15,
        };
        let (lr, weight_decay, milestones) = match self {
            ModelKind::CnnConv => (1e-3, 1e-4, vec![20, 30]),
            k if k.is_conv() => (3e-3, 3e-4, vec![20, 30]),
            _ => (1e-4, 1e-5, vec![10, 20, 30]),
        };
        Hyper {
            steps,
            lr,
            weight_decay,
            milestones,
            epochs: 40,
            batch: 128,
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An unknown model name.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown model `{0}`; expected one of lif-fc, 4lif-fc, hh-fc, hh-vd-fc, slif2hh-fc, ann, \
     lif-conv, 4lif-conv, hh-conv, slif2hh-conv, cnn"
)]
pub struct UnknownModel(pub String);

impl FromStr for ModelKind {
    type Err = UnknownModel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| UnknownModel(s.to_string()))
    }
}

/// Training hyperparameters of a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    /// Time steps T of the direct encoding (1 for the ANN).
    pub steps: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// L2 weight decay.
    pub weight_decay: f64,
    /// Epochs at which the learning rate is multiplied by 0.1.
    pub milestones: Vec<usize>,
    /// Epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch: usize,
}

/// What the trainer needs from a model: a two-head forward pass that keeps what its
/// backward pass needs, the backward pass, and the parameters.
pub trait Network<S: Scalar>: Send {
    /// Which model this is.
    fn kind(&self) -> ModelKind;
    /// Forward pass of `rows` flattened images (`rows × 1296`, row-major 36 × 36, values as the data crate
    /// gives them); returns the two heads' logits (`rows × 10` each).
    fn forward(&mut self, x: &[S], rows: usize) -> (&[S], &[S]);
    /// Backward pass of the last forward pass, given `∂L/∂logits` of both heads;
    /// accumulates into every parameter's `grad`.
    fn backward(&mut self, grad1: &[S], grad2: &[S]);
    /// Parameters in a fixed order.
    fn params(&self) -> Vec<&Param<S>>;
    /// Parameters in the same order, mutably.
    fn params_mut(&mut self) -> Vec<&mut Param<S>>;
    /// Mean spike rate of the hidden layer in the last forward pass (1 for the ANN's active units).
    fn hidden_rate(&self) -> f64;
}

/// Builds a model with the reference initialisation from `seed`.
pub fn build<S: Scalar>(kind: ModelKind, seed: u64) -> Box<dyn Network<S>> {
    if kind.is_conv() {
        Box::new(ConvModel::new(kind, seed))
    } else {
        Box::new(FcModel::new(kind, seed))
    }
}
