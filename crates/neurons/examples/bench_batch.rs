//! Times `HhBatch` the way `icnet bench hh` does: 10 000 neurons in the 1952 convention,
//! constant currents spread evenly over 5–15 µA/cm², forward Euler at dt = 0.01 ms for
//! 100 ms (10 000 steps), spike detection at 50 mV, in 1- and 2-thread rayon pools.
//!
//! `cargo run --release -p icnet-neurons --example bench_batch [neurons] [steps]`
//!
//! Two figures per pool size: the best of 3 full runs (wall clock, what the CLI reports)
//! and the fastest of 200 runs of 20 steps each, continuing from the end state. On a
//! machine shared with other processes, the second is the speed of the code itself.

use std::time::Instant;

use icnet_neurons::batch::HhBatch;
use icnet_neurons::hh::HhParams;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let neurons: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let steps: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let currents: Vec<f64> = (0..neurons)
        .map(|i| 5.0 + 10.0 * i as f64 / (neurons.max(2) - 1) as f64)
        .collect();
    let per_neuron_step = |seconds: f64, steps: usize| seconds * 1e9 / (neurons * steps) as f64;
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let mut best_full = f64::INFINITY;
        let mut spikes = 0u64;
        let mut batch = HhBatch::new(HhParams::hh1952(), currents.clone())?;
        for _ in 0..3 {
            batch = HhBatch::new(HhParams::hh1952(), currents.clone())?;
            let start = Instant::now();
            let result = pool.install(|| batch.run(0.01, steps, Some(50.0)))?;
            best_full = best_full.min(per_neuron_step(start.elapsed().as_secs_f64(), steps));
            spikes = result.spike_counts.iter().map(|&c| c as u64).sum();
        }
        let short_steps = 20;
        let mut best_short = f64::INFINITY;
        for _ in 0..200 {
            let start = Instant::now();
            pool.install(|| batch.run(0.01, short_steps, Some(50.0)))?;
            best_short =
                best_short.min(per_neuron_step(start.elapsed().as_secs_f64(), short_steps));
        }
        println!(
            "{threads} thread(s): {best_full:.3} ns per neuron-step (best of 3 runs of {neurons} \
             neurons x {steps} steps, {spikes} spikes); {best_short:.3} ns (fastest of 200 runs \
             of {short_steps} steps)"
        );
    }
    Ok(())
}
