//! Throughput of `HhBatch` against the scalar `hh::step`, in neuron-steps per second
//! (criterion's "elements"; ns per neuron-step is the reciprocal).
//!
//! Batch: 10 000 neurons in the 1952 convention, constant currents spread evenly over
//! 5–15 µA/cm², forward Euler at dt = 0.01 ms, spike detection at 50 mV, 200 steps per
//! iteration (continuing from the previous state, after a 20 ms warm-up into the spiking
//! regime), in the global rayon pool and in a 1-thread pool. Scalar: one neuron at
//! 10 µA/cm², 200 Euler steps with std `exp`.
//!
//! `cargo bench -p icnet-neurons --bench hh_batch`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use icnet_neurons::batch::HhBatch;
use icnet_neurons::hh::{self, HhParams, HhState};
use icnet_neurons::Integrator;

const NEURONS: usize = 10_000;
const STEPS: usize = 200;
const DT: f64 = 0.01;

fn warmed_up_batch() -> HhBatch {
    let currents = (0..NEURONS)
        .map(|i| 5.0 + 10.0 * i as f64 / (NEURONS - 1) as f64)
        .collect();
    let mut batch = HhBatch::new(HhParams::hh1952(), currents).expect("valid batch");
    batch.run(DT, 2_000, None).expect("stable warm-up");
    batch
}

fn bench_batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("hh_batch");
    group.throughput(Throughput::Elements((NEURONS * STEPS) as u64));
    group.sample_size(20);

    let mut batch = warmed_up_batch();
    group.bench_function("10000_neurons_all_threads", |b| {
        b.iter(|| black_box(batch.run(DT, STEPS, Some(50.0)).expect("run")))
    });

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("1-thread pool");
    let mut batch = warmed_up_batch();
    group.bench_function("10000_neurons_1_thread", |b| {
        b.iter(|| pool.install(|| black_box(batch.run(DT, STEPS, Some(50.0)).expect("run"))))
    });
    group.finish();

    let mut group = c.benchmark_group("hh_scalar");
    group.throughput(Throughput::Elements(STEPS as u64));
    let params = HhParams::hh1952();
    let mut state = HhState::resting(&params);
    group.bench_function("hh_step_euler", |b| {
        b.iter(|| {
            for step in 0..STEPS {
                let t = step as f64 * DT;
                state = hh::step(&params, &state, t, DT, Integrator::Euler, |_| {
                    black_box(10.0)
                });
            }
            black_box(state)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_batch);
criterion_main!(benches);
