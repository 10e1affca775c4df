//! Trains one model on a small Multi-MNIST and prints its learning curve.
//! Usage: train_quick MODEL N_TRAIN N_TEST EPOCHS [KIND]
use icnet_data::{load_or_build, DatasetKind};
use icnet_train::trainer::{train, TrainConfig, TrainData};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = args[1].parse().unwrap();
    let n_train: usize = args[2].parse().unwrap();
    let n_test: usize = args[3].parse().unwrap();
    let epochs: usize = args[4].parse().unwrap();
    let kind: DatasetKind = args
        .get(5)
        .map(|s| s.parse().unwrap())
        .unwrap_or(DatasetKind::MultiMnist);
    let lr: Option<f64> = args.get(6).map(|s| s.parse().unwrap());
    let data = load_or_build(Path::new("data"), kind, n_train, n_test, 0).unwrap();
    let mut config = TrainConfig::reference(model, 0);
    config.epochs = epochs;
    if let Some(lr) = lr {
        config.adam.lr = lr;
    }
    config.milestones = vec![epochs / 2, epochs * 3 / 4];
    let record = train(
        &config,
        TrainData {
            train: &data.train,
            test: &data.test,
            noise: None,
        },
        None,
        &mut |_| {},
    )
    .unwrap();
    for e in &record.curve {
        println!(
            "epoch {:2} lr {:.0e} loss {:.3} train {:.1}/{:.1} test {:.1}/{:.1} rate {:.3} {:.1}s",
            e.epoch,
            e.lr,
            e.train_loss,
            e.train_acc1,
            e.train_acc2,
            e.test_acc1,
            e.test_acc2,
            e.hidden_rate,
            e.seconds
        );
    }
}
