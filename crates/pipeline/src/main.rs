//! `icnet`: regenerate the figures and tables of He et al. (2024). See `icnet --help`.

fn main() {
    std::process::exit(icnet_pipeline::cli::main());
}
