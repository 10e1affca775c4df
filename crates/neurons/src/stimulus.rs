//! Input currents (µA/cm²) as functions of time (ms).
//!
//! The five shapes of PAPER.md §2.4 are reproduced exactly, with f = 8.5 ms:
//! constant 9; sine 11.5 − 19 sin(1.2t); square 9 ± 15.5 with the sign of
//! (⌊t⌋ mod f) − (f − 1)/2; sawtooth 6.5 + (11/f)|t − ⌊t/f⌋f + f/2|;
//! triangle 7 + (7/f)|t − ⌊t/f⌋f − f/2|. A step and a seeded noisy current complete the set.
//!
//! Text form (command line, configs): `shape[:key=value,key=value…]`, e.g. `constant:amp=10`,
//! `sine`, `noise:mean=10,sd=3,seed=7`. Omitted keys take the defaults above.

use std::fmt;
use std::str::FromStr;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{finite, positive, NeuronError};

/// A stimulus current I(t).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "shape", rename_all = "kebab-case")]
pub enum Stimulus {
    /// I(t) = amp.
    Constant {
        /// Amplitude (default 9, PAPER.md §2.4).
        amp: f64,
    },
    /// I(t) = 0 for t < onset, amp afterwards.
    Step {
        /// Amplitude after the onset (default 10).
        amp: f64,
        /// Onset time in ms (default 10).
        onset: f64,
    },
    /// I(t) = offset + amp·sin(omega·t).
    Sine {
        /// Offset (default 11.5).
        offset: f64,
        /// Amplitude (default −19, i.e. 11.5 − 19 sin(1.2t)).
        amp: f64,
        /// Angular frequency in rad/ms (default 1.2).
        omega: f64,
    },
    /// I(t) = base + amp·sign((⌊t⌋ mod period) − (period − 1)/2).
    Square {
        /// Base level (default 9).
        base: f64,
        /// Half the peak-to-peak swing (default 15.5).
        amp: f64,
        /// Period f in ms (default 8.5).
        period: f64,
    },
    /// I(t) = offset + (amp/period)|t − ⌊t/period⌋·period + period/2|.
    Sawtooth {
        /// Offset (default 6.5).
        offset: f64,
        /// Amplitude (default 11).
        amp: f64,
        /// Period f in ms (default 8.5).
        period: f64,
    },
    /// I(t) = offset + (amp/period)|t − ⌊t/period⌋·period − period/2|.
    Triangle {
        /// Offset (default 7).
        offset: f64,
        /// Amplitude (default 7).
        amp: f64,
        /// Period f in ms (default 8.5).
        period: f64,
    },
    /// Seeded noisy current: mean + sd·ξ_k on [k·hold, (k+1)·hold), ξ_k ~ N(0, 1)
    /// i.i.d., drawn by Box–Muller from a ChaCha8 stream at word position 4k, so I(t) is
    /// a pure function of (seed, t).
    Noise {
        /// Mean current (default 10).
        mean: f64,
        /// Standard deviation (default 3).
        sd: f64,
        /// Hold time of each draw in ms (default 1).
        hold: f64,
        /// Seed of the stream (default 0).
        seed: u64,
    },
}

const PERIOD: f64 = 8.5;

impl Stimulus {
    /// Names of the shapes, in the order of the text form.
    pub const SHAPES: [&'static str; 7] = [
        "constant", "step", "sine", "square", "sawtooth", "triangle", "noise",
    ];

    /// The five stimuli of Fig. 3d with the paper's parameters, by name.
    pub fn paper_shapes() -> [(&'static str, Stimulus); 5] {
        ["constant", "sine", "square", "sawtooth", "triangle"]
            .map(|name| (name, Stimulus::default_for(name).expect("known shape")))
    }

    /// The stimulus `shape` with its default (paper) parameters.
    pub fn default_for(shape: &str) -> Result<Stimulus, NeuronError> {
        Ok(match shape {
            "constant" => Stimulus::Constant { amp: 9.0 },
            "step" => Stimulus::Step {
                amp: 10.0,
                onset: 10.0,
            },
            "sine" => Stimulus::Sine {
                offset: 11.5,
                amp: -19.0,
                omega: 1.2,
            },
            "square" => Stimulus::Square {
                base: 9.0,
                amp: 15.5,
                period: PERIOD,
            },
            "sawtooth" => Stimulus::Sawtooth {
                offset: 6.5,
                amp: 11.0,
                period: PERIOD,
            },
            "triangle" => Stimulus::Triangle {
                offset: 7.0,
                amp: 7.0,
                period: PERIOD,
            },
            "noise" => Stimulus::Noise {
                mean: 10.0,
                sd: 3.0,
                hold: 1.0,
                seed: 0,
            },
            other => {
                return Err(NeuronError::UnknownName {
                    kind: "stimulus",
                    name: other.to_string(),
                    expected: Stimulus::SHAPES.join(", "),
                })
            }
        })
    }

    /// The shape's name.
    pub fn shape(&self) -> &'static str {
        match self {
            Stimulus::Constant { .. } => "constant",
            Stimulus::Step { .. } => "step",
            Stimulus::Sine { .. } => "sine",
            Stimulus::Square { .. } => "square",
            Stimulus::Sawtooth { .. } => "sawtooth",
            Stimulus::Triangle { .. } => "triangle",
            Stimulus::Noise { .. } => "noise",
        }
    }

    /// The current at time `t` (ms), µA/cm².
    pub fn current(&self, t: f64) -> f64 {
        match *self {
            Stimulus::Constant { amp } => amp,
            Stimulus::Step { amp, onset } => {
                if t < onset {
                    0.0
                } else {
                    amp
                }
            }
            Stimulus::Sine { offset, amp, omega } => offset + amp * (omega * t).sin(),
            Stimulus::Square { base, amp, period } => {
                let x = t.floor().rem_euclid(period) - (period - 1.0) / 2.0;
                let sign = if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                };
                base + amp * sign
            }
            Stimulus::Sawtooth {
                offset,
                amp,
                period,
            } => offset + amp / period * (phase(t, period) + period / 2.0).abs(),
            Stimulus::Triangle {
                offset,
                amp,
                period,
            } => offset + amp / period * (phase(t, period) - period / 2.0).abs(),
            Stimulus::Noise {
                mean,
                sd,
                hold,
                seed,
            } => mean + sd * standard_normal(seed, (t / hold).floor().max(0.0) as u64),
        }
    }

    /// The numeric parameters as (name, value) pairs, in text-form order.
    fn parameters(&self) -> Vec<(&'static str, f64)> {
        match *self {
            Stimulus::Constant { amp } => vec![("amp", amp)],
            Stimulus::Step { amp, onset } => vec![("amp", amp), ("onset", onset)],
            Stimulus::Sine { offset, amp, omega } => {
                vec![("offset", offset), ("amp", amp), ("omega", omega)]
            }
            Stimulus::Square { base, amp, period } => {
                vec![("base", base), ("amp", amp), ("period", period)]
            }
            Stimulus::Sawtooth {
                offset,
                amp,
                period,
            }
            | Stimulus::Triangle {
                offset,
                amp,
                period,
            } => vec![("offset", offset), ("amp", amp), ("period", period)],
            Stimulus::Noise {
                mean,
                sd,
                hold,
                seed,
            } => vec![
                ("mean", mean),
                ("sd", sd),
                ("hold", hold),
                ("seed", seed as f64),
            ],
        }
    }

    /// Checks every parameter is finite and periods/hold times are positive.
    pub fn validate(&self) -> Result<(), NeuronError> {
        for (name, value) in self.parameters() {
            match name {
                "period" => positive("stimulus period", value)?,
                "hold" => positive("stimulus hold", value)?,
                "sd" if value < 0.0 => {
                    return Err(NeuronError::OutOfRange {
                        field: "stimulus sd",
                        value,
                        range: "[0, inf)",
                    })
                }
                _ => finite("stimulus parameter", value)?,
            };
        }
        Ok(())
    }

    /// Sets parameter `key` to `value`.
    fn set(&mut self, key: &str, value: &str, text: &str) -> Result<(), NeuronError> {
        let parse_err = |reason: String| NeuronError::Parse {
            what: "stimulus",
            text: text.to_string(),
            reason,
        };
        if let Stimulus::Noise { seed, .. } = self {
            if key == "seed" {
                *seed = value.parse().map_err(|_| {
                    parse_err(format!("seed `{value}` is not a non-negative integer"))
                })?;
                return Ok(());
            }
        }
        let x: f64 = value
            .parse()
            .map_err(|_| parse_err(format!("`{key}={value}` is not a number")))?;
        let known: Vec<&str> = self.parameters().iter().map(|(k, _)| *k).collect();
        let slot = match (self, key) {
            (Stimulus::Constant { amp }, "amp") => amp,
            (Stimulus::Step { amp, .. }, "amp") => amp,
            (Stimulus::Step { onset, .. }, "onset") => onset,
            (Stimulus::Sine { offset, .. }, "offset") => offset,
            (Stimulus::Sine { amp, .. }, "amp") => amp,
            (Stimulus::Sine { omega, .. }, "omega") => omega,
            (Stimulus::Square { base, .. }, "base") => base,
            (Stimulus::Square { amp, .. }, "amp") => amp,
            (Stimulus::Square { period, .. }, "period") => period,
            (Stimulus::Sawtooth { offset, .. } | Stimulus::Triangle { offset, .. }, "offset") => {
                offset
            }
            (Stimulus::Sawtooth { amp, .. } | Stimulus::Triangle { amp, .. }, "amp") => amp,
            (Stimulus::Sawtooth { period, .. } | Stimulus::Triangle { period, .. }, "period") => {
                period
            }
            (Stimulus::Noise { mean, .. }, "mean") => mean,
            (Stimulus::Noise { sd, .. }, "sd") => sd,
            (Stimulus::Noise { hold, .. }, "hold") => hold,
            (s, _) => {
                return Err(parse_err(format!(
                    "`{key}` is not a parameter of `{}`; use one of: {}",
                    s.shape(),
                    known.join(", ")
                )))
            }
        };
        *slot = x;
        Ok(())
    }
}

/// t − ⌊t/f⌋·f, the position inside the current period, in [0, f).
#[inline(always)]
fn phase(t: f64, period: f64) -> f64 {
    t - (t / period).floor() * period
}

/// The k-th standard-normal draw of the stream `seed` (Box–Muller on two 64-bit words).
fn standard_normal(seed: u64, k: u64) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_word_pos(u128::from(k) * 4);
    // Uniforms in (0, 1] and [0, 1) from the top 53 bits.
    let scale = 1.0 / (1u64 << 53) as f64;
    let u1 = ((rng.next_u64() >> 11) + 1) as f64 * scale;
    let u2 = (rng.next_u64() >> 11) as f64 * scale;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

impl FromStr for Stimulus {
    type Err = NeuronError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (shape, rest) = match text.split_once(':') {
            Some((shape, rest)) => (shape.trim(), Some(rest)),
            None => (text.trim(), None),
        };
        let mut stimulus = Stimulus::default_for(shape)?;
        for pair in rest
            .into_iter()
            .flat_map(|r| r.split(','))
            .filter(|p| !p.trim().is_empty())
        {
            let (key, value) = pair.split_once('=').ok_or_else(|| NeuronError::Parse {
                what: "stimulus",
                text: text.to_string(),
                reason: format!("`{pair}` should be written key=value, e.g. `constant:amp=10`"),
            })?;
            stimulus.set(key.trim(), value.trim(), text)?;
        }
        stimulus.validate()?;
        Ok(stimulus)
    }
}

impl fmt::Display for Stimulus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: Vec<String> = self
            .parameters()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        write!(f, "{}:{}", self.shape(), params.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_shapes_match_the_formulas() {
        let get = |name: &str| Stimulus::default_for(name).unwrap();
        assert_eq!(get("constant").current(3.3), 9.0);
        let t = 2.0;
        assert!((get("sine").current(t) - (11.5 - 19.0 * (1.2f64 * t).sin())).abs() < 1e-12);
        // Square: ⌊t⌋ mod 8.5 below 3.75 → 9 − 15.5, above → 9 + 15.5.
        assert_eq!(get("square").current(3.9), 9.0 - 15.5);
        assert_eq!(get("square").current(4.1), 9.0 + 15.5);
        // ⌊8.6⌋ mod 8.5 = 8 → high; ⌊9.2⌋ mod 8.5 = 0.5 → low: the pattern drifts by
        // half a millisecond per period, exactly as the paper's formula does.
        assert_eq!(get("square").current(8.6), 9.0 + 15.5);
        assert_eq!(get("square").current(9.2), 9.0 - 15.5);
    }

    #[test]
    fn sawtooth_and_triangle_by_hand() {
        let saw = Stimulus::default_for("sawtooth").unwrap();
        // At t = 0: 6.5 + (11/8.5)(4.25) = 12.
        assert!((saw.current(0.0) - 12.0).abs() < 1e-12);
        // Just before the period ends: 6.5 + (11/8.5)(8.5 + 4.25) → 23.
        assert!((saw.current(8.5 - 1e-9) - 23.0).abs() < 1e-6);
        let tri = Stimulus::default_for("triangle").unwrap();
        assert!((tri.current(0.0) - 10.5).abs() < 1e-12);
        assert!((tri.current(4.25) - 7.0).abs() < 1e-12);
        assert!((tri.current(8.5) - 10.5).abs() < 1e-12);
    }

    #[test]
    fn text_form_round_trips() {
        for shape in Stimulus::SHAPES {
            let s = Stimulus::default_for(shape).unwrap();
            let back: Stimulus = s.to_string().parse().unwrap();
            assert_eq!(s, back, "{shape}");
        }
        let s: Stimulus = "constant:amp=10".parse().unwrap();
        assert_eq!(s, Stimulus::Constant { amp: 10.0 });
    }

    #[test]
    fn bad_text_is_rejected_with_a_reason() {
        assert!("blah"
            .parse::<Stimulus>()
            .unwrap_err()
            .to_string()
            .contains("unknown stimulus"));
        let e = "constant:freq=3"
            .parse::<Stimulus>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("freq") && e.contains("amp"), "{e}");
        assert!("constant:amp=x".parse::<Stimulus>().is_err());
        assert!("constant:amp=NaN".parse::<Stimulus>().is_err());
        assert!("square:period=0".parse::<Stimulus>().is_err());
        assert!("noise:sd=-1".parse::<Stimulus>().is_err());
    }

    #[test]
    fn noise_is_seeded_held_and_standardised() {
        let a: Stimulus = "noise:mean=0,sd=1,hold=1,seed=5".parse().unwrap();
        let b: Stimulus = "noise:mean=0,sd=1,hold=1,seed=6".parse().unwrap();
        assert_eq!(a.current(3.2), a.current(3.9)); // held within a bin
        assert_ne!(a.current(3.2), b.current(3.2)); // seed matters
        let draws: Vec<f64> = (0..20_000).map(|k| a.current(k as f64 + 0.5)).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }
}
