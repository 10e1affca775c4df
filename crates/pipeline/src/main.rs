//! `icnet`: regenerate the figures and tables of He et al. (2024). See `icnet --help`.

/// Counts live and peak heap bytes for the measured memory of the cost table.
#[global_allocator]
static ALLOCATOR: icnet_pipeline::alloc::CountingAllocator =
    icnet_pipeline::alloc::CountingAllocator;

fn main() {
    std::process::exit(icnet_pipeline::cli::main());
}
