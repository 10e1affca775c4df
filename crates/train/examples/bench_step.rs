//! Quick timing of one training step per model (the CLI's `bench train` is the reference).
use icnet_train::optim::{Adam, AdamConfig};
use icnet_train::step::train_step;
use icnet_train::{build, ModelKind};
use std::time::Instant;

fn main() {
    let rows = 128;
    let x: Vec<f32> = (0..rows * 1296)
        .map(|i| ((i * 7919) % 255) as f32 / 255.0 * ((i % 3 == 0) as u8 as f32))
        .collect();
    let l1: Vec<u8> = (0..rows).map(|i| (i % 10) as u8).collect();
    let l2: Vec<u8> = (0..rows).map(|i| ((i / 10) % 10) as u8).collect();
    for kind in ModelKind::FC {
        let mut net = build::<f32>(kind, 0);
        let lens: Vec<usize> = net.params().iter().map(|p| p.len()).collect();
        let mut adam = Adam::new(AdamConfig::new(1e-4, 1e-5), &lens);
        for _ in 0..3 {
            train_step(net.as_mut(), &mut adam, &x, &l1, &l2, 1e-4);
        }
        let reps = 10;
        let t = Instant::now();
        let mut loss = 0.0;
        for _ in 0..reps {
            loss = train_step(net.as_mut(), &mut adam, &x, &l1, &l2, 1e-4).loss;
        }
        println!(
            "{kind}: {:.2} ms/step (loss {loss:.3}, rate {:.3})",
            t.elapsed().as_secs_f64() * 1e3 / reps as f64,
            net.hidden_rate()
        );
    }
}
