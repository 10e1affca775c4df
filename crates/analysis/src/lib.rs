//! # icnet-analysis
//!
//! Analyses of the trained networks (PAPER.md §6): mutual information, robustness, compute
//! cost and statistics over seeds. Library only: it returns values; the pipeline renders them.
