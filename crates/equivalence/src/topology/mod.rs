//! Beyond the paper: how many LIF units, wired how, does one HH neuron take?
//!
//! [`LifNetwork`] is a general discrete network of k LIF units that fires as one neuron (joint
//! spike and reset, see [`network`]); a [`Topology`] says which units receive the stimulus and
//! which connections exist; [`TopologyParameterisation`] turns it into a fitting problem for
//! [`crate::fit`], with the same boxes as the s-LIF2HH fit wherever the two share a parameter.
//!
//! Families (units are numbered from input to output, so feed-forward wiring acts within a
//! step; see [`network`]):
//!
//! | family | k | stimulus enters | connections |
//! |---|---|---|---|
//! | single | 1 | the unit | none (a plain LIF neuron) |
//! | fan-in m+1 | 2–6 | units 1…m | every input unit → unit k; 3+1 is s-LIF2HH (the brief's "1+3") |
//! | two-layer ⌈k/2⌉+⌊k/2⌋ | 4–6 | first layer | all-to-all first → second layer (2+2 at k = 4) |
//! | layered 1+m+1 | 3–6 | unit 1 | 1 → each middle unit → unit k (1+2+1 at k = 4; 1+1+1 is a plain chain) |
//! | ring | 2–6 | every unit | i → i+1 and k → 1 (the feedback acts one step late) |
//! | fully connected | 2–6 | every unit | every ordered pair i ≠ j |
//!
//! Two-layer networks with k = 2, 3 would coincide with fan-in 1+1 and 2+1 and are left out.

pub mod network;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use network::{Divergence, LifNetwork};

use crate::cmaes::Rejected;
use crate::fit::bounds::{
    ParamBox, DT_MS, GAIN, INITIAL_POTENTIAL, LEAK_PER_MS, THRESHOLD, WEIGHT,
};
use crate::fit::Parameterisation;

/// Invalid network parameters or topology.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    /// A network without units.
    #[error("a LIF network needs at least one unit")]
    NoUnits,
    /// A parameter vector of the wrong length.
    #[error("network field `{field}` has {len} entries but must have {expected}")]
    Length {
        /// Field name.
        field: &'static str,
        /// Length given.
        len: usize,
        /// Length required.
        expected: usize,
    },
    /// A NaN or infinite parameter.
    #[error("network field `{field}`[{index}] is {value}; it must be a finite number")]
    NotFinite {
        /// Field name.
        field: &'static str,
        /// Index of the entry.
        index: usize,
        /// The rejected value.
        value: f64,
    },
    /// A parameter outside its admissible range.
    #[error("network setting `{field}` is {value}, but it must be {expected}")]
    OutOfRange {
        /// Field name.
        field: &'static str,
        /// The rejected value.
        value: f64,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A family and unit count that do not form a topology.
    #[error("topology family `{family}` has no member with {units} units; it is defined for k in {range}")]
    NoSuchTopology {
        /// The family.
        family: String,
        /// Units asked for.
        units: usize,
        /// Unit counts the family supports.
        range: &'static str,
    },
    /// An unknown family name.
    #[error("unknown topology family `{0}`; use one of single, fan-in, two-layer, layered, ring, fully-connected")]
    UnknownFamily(String),
}

/// A family of topologies, one member per unit count k (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// One LIF unit.
    Single,
    /// m input units converging on one integrating unit (s-LIF2HH at m = 3).
    FanIn,
    /// Two layers, all-to-all between them.
    TwoLayer,
    /// One input unit, m parallel middle units, one output unit.
    Layered,
    /// A directed ring, every unit driven.
    Ring,
    /// Every ordered pair connected, every unit driven.
    FullyConnected,
}

impl Family {
    /// Every family, in the order of the module table.
    pub const ALL: [Family; 6] = [
        Family::Single,
        Family::FanIn,
        Family::TwoLayer,
        Family::Layered,
        Family::Ring,
        Family::FullyConnected,
    ];

    /// Name used in configs and tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::Single => "single",
            Family::FanIn => "fan-in",
            Family::TwoLayer => "two-layer",
            Family::Layered => "layered",
            Family::Ring => "ring",
            Family::FullyConnected => "fully-connected",
        }
    }

    /// A longer description for legends.
    pub fn description(self) -> &'static str {
        match self {
            Family::Single => "single LIF",
            Family::FanIn => "fan-in m+1 (3+1 = s-LIF2HH)",
            Family::TwoLayer => "two-layer (2+2, 3+2, 3+3)",
            Family::Layered => "layered 1+m+1",
            Family::Ring => "ring",
            Family::FullyConnected => "fully connected",
        }
    }

    /// The unit counts this family has members for.
    pub fn unit_range(self) -> (usize, usize, &'static str) {
        match self {
            Family::Single => (1, 1, "1"),
            Family::FanIn | Family::Ring | Family::FullyConnected => (2, 6, "2..=6"),
            Family::TwoLayer => (4, 6, "4..=6"),
            Family::Layered => (3, 6, "3..=6"),
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Family {
    type Err = NetworkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| NetworkError::UnknownFamily(s.to_string()))
    }
}

/// A wiring of k units: who receives the stimulus, which connections exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// The family.
    pub family: Family,
    /// Number of units k.
    pub units: usize,
    /// Short label, e.g. `3+1`, `1+2+1`, `ring-5`.
    pub label: String,
    /// `driven[i]`: unit i receives the stimulus (others have input gain 0).
    pub driven: Vec<bool>,
    /// Directed connections (from j, onto i), sorted; each has a fitted weight W_ij.
    pub connections: Vec<(usize, usize)>,
}

impl Topology {
    /// The member of `family` with `units` units.
    pub fn new(family: Family, units: usize) -> Result<Topology, NetworkError> {
        let (lo, hi, range) = family.unit_range();
        if !(lo..=hi).contains(&units) {
            return Err(NetworkError::NoSuchTopology {
                family: family.name().to_string(),
                units,
                range,
            });
        }
        let k = units;
        let mut connections = Vec::new();
        let (driven, label): (Vec<bool>, String) = match family {
            Family::Single => (vec![true], "single".into()),
            Family::FanIn => {
                connections.extend((0..k - 1).map(|j| (j, k - 1)));
                ((0..k).map(|i| i < k - 1).collect(), format!("{}+1", k - 1))
            }
            Family::TwoLayer => {
                let first = k.div_ceil(2);
                for i in first..k {
                    connections.extend((0..first).map(|j| (j, i)));
                }
                (
                    (0..k).map(|i| i < first).collect(),
                    format!("{first}+{}", k - first),
                )
            }
            Family::Layered => {
                for middle in 1..k - 1 {
                    connections.push((0, middle));
                    connections.push((middle, k - 1));
                }
                ((0..k).map(|i| i == 0).collect(), format!("1+{}+1", k - 2))
            }
            Family::Ring => {
                connections.extend((0..k).map(|j| (j, (j + 1) % k)));
                (vec![true; k], format!("ring-{k}"))
            }
            Family::FullyConnected => {
                for j in 0..k {
                    connections.extend((0..k).filter(|&i| i != j).map(|i| (j, i)));
                }
                (vec![true; k], format!("full-{k}"))
            }
        };
        connections.sort_unstable();
        connections.dedup();
        Ok(Topology {
            family,
            units,
            label,
            driven,
            connections,
        })
    }

    /// Every topology of every family with at most `max_units` units, by family then k.
    pub fn all(max_units: usize) -> Vec<Topology> {
        let mut out = Vec::new();
        for family in Family::ALL {
            let (lo, hi, _) = family.unit_range();
            for k in lo..=hi.min(max_units) {
                out.push(Topology::new(family, k).expect("within the family's range"));
            }
        }
        out
    }

    /// Number of fitted parameters: per unit a leak and a threshold, a gain per driven unit,
    /// a weight per connection, and dt.
    pub fn parameter_count(&self) -> usize {
        2 * self.units + self.driven.iter().filter(|&&d| d).count() + self.connections.len() + 1
    }
}

/// A topology as a fitting problem's parameter vector, laid out as
/// [k_1…k_k, θ_1…θ_k, a_i for driven i, W_ij per connection, dt] and, when
/// `initial_potentials`, [u0_1…u0_k], with the boxes of [`crate::fit::bounds`] (signed weights,
/// since inhibition is a legitimate wiring).
#[derive(Debug, Clone, PartialEq)]
pub struct TopologyParameterisation {
    /// The wiring.
    pub topology: Topology,
    /// Whether the k initial potentials are fitted too (box
    /// [`crate::fit::bounds::INITIAL_POTENTIAL`]), as in the s-LIF2HH fit; otherwise every unit
    /// starts at the reset, 0. See [`crate::fit::bounds`] for why.
    pub initial_potentials: bool,
}

impl TopologyParameterisation {
    /// The parameterisation of `topology` with fitted initial potentials (the protocol of the
    /// s-LIF2HH fit).
    pub fn with_initial_potentials(topology: Topology) -> Self {
        TopologyParameterisation {
            topology,
            initial_potentials: true,
        }
    }

    /// Number of fitted parameters: [`Topology::parameter_count`], plus k initial potentials
    /// when fitted.
    pub fn parameter_count(&self) -> usize {
        let initial = if self.initial_potentials {
            self.topology.units
        } else {
            0
        };
        self.topology.parameter_count() + initial
    }
}

impl TopologyParameterisation {
    /// The boxes of every parameter, in vector order.
    fn boxes(&self) -> Vec<ParamBox> {
        let t = &self.topology;
        let mut boxes = vec![LEAK_PER_MS; t.units];
        boxes.extend(std::iter::repeat_n(THRESHOLD, t.units));
        boxes.extend(t.driven.iter().filter(|&&d| d).map(|_| GAIN));
        boxes.extend(t.connections.iter().map(|_| WEIGHT));
        boxes.push(DT_MS);
        if self.initial_potentials {
            boxes.extend(std::iter::repeat_n(INITIAL_POTENTIAL, t.units));
        }
        boxes
    }
}

impl Parameterisation for TopologyParameterisation {
    fn names(&self) -> Vec<String> {
        let t = &self.topology;
        let mut names: Vec<String> = (1..=t.units).map(|i| format!("leak_{i}")).collect();
        names.extend((1..=t.units).map(|i| format!("threshold_{i}")));
        names.extend(
            (0..t.units)
                .filter(|&i| t.driven[i])
                .map(|i| format!("gain_{}", i + 1)),
        );
        names.extend(
            t.connections
                .iter()
                .map(|(j, i)| format!("w_{}_{}", i + 1, j + 1)),
        );
        names.push("dt".into());
        if self.initial_potentials {
            names.extend((1..=t.units).map(|i| format!("u0_{i}")));
        }
        names
    }

    fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        self.boxes().iter().map(|b| (b.lower, b.upper)).unzip()
    }

    fn network(&self, x: &[f64]) -> Result<LifNetwork, Rejected> {
        crate::fit::check_vector(&self.names(), &self.bounds(), x)?;
        let t = &self.topology;
        let k = t.units;
        let (leak, rest) = x.split_at(k);
        let (threshold, rest) = rest.split_at(k);
        let mut input_gain = vec![0.0; k];
        let mut values = rest.iter();
        for (gain, _) in input_gain.iter_mut().zip(&t.driven).filter(|(_, &d)| d) {
            *gain = *values.next().expect("length checked");
        }
        let mut weights = vec![0.0; k * k];
        for &(j, i) in &t.connections {
            weights[i * k + j] = *values.next().expect("length checked");
        }
        let dt = *values.next().expect("length checked");
        let initial = values.copied().collect();
        Ok(LifNetwork {
            leak: leak.to_vec(),
            threshold: threshold.to_vec(),
            input_gain,
            weights,
            reset: 0.0,
            dt,
            initial,
        })
    }
}
