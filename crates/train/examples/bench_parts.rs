use icnet_train::optim::{Adam, AdamConfig};
use icnet_train::step::loss_and_grad;
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
            loss_and_grad(net.as_mut(), &x, &l1, &l2);
        }
        let reps = 20;
        let t = Instant::now();
        for _ in 0..reps {
            net.forward(&x, rows);
        }
        let f = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
        let t = Instant::now();
        for _ in 0..reps {
            loss_and_grad(net.as_mut(), &x, &l1, &l2);
        }
        let fb = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
        let t = Instant::now();
        for _ in 0..reps {
            adam.update(&mut net.params_mut(), 1e-4);
        }
        let a = t.elapsed().as_secs_f64() * 1e3 / reps as f64;
        println!("{kind}: fwd {f:.2} fwd+bwd {fb:.2} adam {a:.2} ms");
    }
}
