# icnet — regenerate the figures and tables of He et al. (2024).
# Thin wrappers over cargo and the `icnet` CLI; `just --list` shows the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Show the recipes.
default:
    @just --list

# Regenerate figures and tables (profile `quick` into paper/ unless told otherwise),
# e.g. `just reproduce --profile smoke --out results/smoke` or `just reproduce --only fig2`.
reproduce *ARGS:
    cargo run --release --quiet -p icnet-pipeline --bin icnet -- reproduce {{ARGS}}

# Run every test of the workspace (unit, property, integration, doc).
test:
    cargo test --workspace

# Fetch and build the data sets the experiments need (into data/).
data:
    bash scripts/fetch_data.sh

# Benchmarks: criterion benches of the hot paths and the CLI's speed-bar commands.
bench:
    cargo run --release --quiet -p icnet-pipeline --bin icnet -- bench hh --neurons 10000 --ms 100 --dt 0.01 --threads 2
    cargo run --release --quiet -p icnet-pipeline --bin icnet -- bench train --model all --batch 128 --threads 2
    cargo bench -p icnet-neurons

# Formatting and lints, as CI would want them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# The `icnet` command itself, e.g. `just icnet list`.
icnet *ARGS:
    cargo run --release --quiet -p icnet-pipeline --bin icnet -- {{ARGS}}

# Is paper/ the output of the committed code? (code version, file checksums, index)
verify:
    cargo run --release --quiet -p icnet-pipeline --bin icnet -- verify paper
