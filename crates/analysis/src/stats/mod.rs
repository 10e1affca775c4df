//! Statistics over seeds: summaries with Student-t confidence intervals, paired tests, and
//! verdicts for the claims of PAPER.md §3, and agreement between two rankings of models.

pub mod claims;
pub mod paired;
pub mod ranking;
pub mod student_t;
pub mod summary;

pub use claims::{claim_equivalent, claim_greater, DirectionalClaim, EquivalenceClaim, Verdict};
pub use paired::{paired_t_test, wilcoxon_signed_rank, PairedTTest, WilcoxonTest};
pub use ranking::{ranking_agreement, RankingAgreement};
pub use student_t::{student_t_cdf, student_t_quantile, student_t_two_sided_p};
pub use summary::{summarize, summarize_with_level, Interval, Summary};
