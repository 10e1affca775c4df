//! A seeded family of random stimuli for the exactness grid, beside the paper's five.
//!
//! Stimulus k of a family is drawn from `ChaCha8Rng::seed_from_u64(seed)` in order
//! k = 0, 1, …; its shape is uniform over {sine, square, sawtooth, triangle, noise} and its
//! parameters are uniform in the ranges below (currents in µA/cm², times in ms). The ranges
//! straddle the HH rheobase (≈ 2.3 µA/cm² for a single spike, ≈ 6.2 for tonic firing) so the
//! family mixes silent, bursting and tonically firing responses, and negative currents.
//!
//! | shape | parameters |
//! |---|---|
//! | sine | offset U(2, 16), amplitude ±U(2, 20), angular frequency U(0.2, 2) rad/ms |
//! | square | base U(2, 16), half-swing U(2, 16), period 4, 4.5, …, 12 |
//! | sawtooth | offset U(0, 12), amplitude U(2, 16), period 4, 4.5, …, 12 |
//! | triangle | offset U(0, 12), amplitude U(2, 16), period 4, 5, …, 12 |
//! | noise | mean U(2, 16), sd U(1, 6), hold 0.5, 1 or 2, stream seed U{0, …, 2³²−1} |
//!
//! Currents are rounded to 0.01 µA/cm² and angular frequencies to 0.001 rad/ms, so the
//! stimuli print legibly. Periods and hold times are multiples of 0.5 ms (triangle: whole ms, so its half-period
//! kinks are on the 0.5 ms grid too): every breakpoint lies on the time grid of every dt
//! of the experiment, which with [`super::step_drive`] lets RK4 keep its order.

use icnet_neurons::stimulus::Stimulus;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The shapes of the family, in the order the draw indexes them.
pub const RANDOM_SHAPES: [&str; 5] = ["sine", "square", "sawtooth", "triangle", "noise"];

/// `count` random stimuli of the family seeded by `seed` (see the module docs).
pub fn random_stimuli(seed: u64, count: usize) -> Vec<Stimulus> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..count).map(|_| draw(&mut rng)).collect()
}

/// `x` rounded to `decimals` decimal places.
fn rounded(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

fn draw(rng: &mut ChaCha8Rng) -> Stimulus {
    let current = |rng: &mut ChaCha8Rng, lo: f64, hi: f64| rounded(rng.random_range(lo..hi), 2);
    let shape = rng.random_range(0..RANDOM_SHAPES.len());
    // Periods: 4, 4.5, …, 12 ms.
    let half_ms_period = |rng: &mut ChaCha8Rng| f64::from(rng.random_range(8u32..=24)) * 0.5;
    match RANDOM_SHAPES[shape] {
        "sine" => {
            let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            Stimulus::Sine {
                offset: current(rng, 2.0, 16.0),
                amp: sign * current(rng, 2.0, 20.0),
                omega: rounded(rng.random_range(0.2..2.0), 3),
            }
        }
        "square" => Stimulus::Square {
            base: current(rng, 2.0, 16.0),
            amp: current(rng, 2.0, 16.0),
            period: half_ms_period(rng),
        },
        "sawtooth" => Stimulus::Sawtooth {
            offset: current(rng, 0.0, 12.0),
            amp: current(rng, 2.0, 16.0),
            period: half_ms_period(rng),
        },
        "triangle" => Stimulus::Triangle {
            offset: current(rng, 0.0, 12.0),
            amp: current(rng, 2.0, 16.0),
            period: f64::from(rng.random_range(4u32..=12)),
        },
        _ => Stimulus::Noise {
            mean: current(rng, 2.0, 16.0),
            sd: current(rng, 1.0, 6.0),
            hold: [0.5, 1.0, 2.0][rng.random_range(0..3usize)],
            // Below 2^53 so the text form (which prints parameters as f64) round-trips.
            seed: u64::from(rng.random::<u32>()),
        },
    }
}

/// A short label of stimulus `k` of a family, e.g. `random-07-square`.
pub fn random_label(k: usize, stimulus: &Stimulus) -> String {
    format!("random-{k:02}-{}", stimulus.shape())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_is_seeded_valid_and_varied() {
        let a = random_stimuli(7, 20);
        assert_eq!(a, random_stimuli(7, 20), "same seed, same stimuli");
        assert_ne!(a, random_stimuli(8, 20), "the seed matters");
        assert_eq!(a[..5], random_stimuli(7, 5)[..], "a prefix is stable");
        for s in &a {
            s.validate().unwrap();
            let back: Stimulus = s.to_string().parse().unwrap();
            assert_eq!(&back, s, "text form round-trips");
        }
        let shapes: std::collections::BTreeSet<_> =
            random_stimuli(7, 100).iter().map(Stimulus::shape).collect();
        assert_eq!(shapes.len(), 5, "{shapes:?}");
    }

    #[test]
    fn breakpoints_lie_on_the_half_millisecond_grid() {
        for s in random_stimuli(3, 200) {
            match s {
                Stimulus::Square { period, .. } | Stimulus::Sawtooth { period, .. } => {
                    assert_eq!((period * 2.0).fract(), 0.0)
                }
                Stimulus::Triangle { period, .. } => assert_eq!(period.fract(), 0.0),
                Stimulus::Noise { hold, .. } => assert_eq!((hold * 2.0).fract(), 0.0),
                _ => {}
            }
        }
    }
}
