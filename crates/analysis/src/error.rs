//! The one error type of the crate: every variant names the argument (field) at fault and says
//! what to do about it.

/// Everything that can go wrong in an analysis: bad input shapes, too little data, NaNs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    /// Two inputs that must be paired sample-for-sample have different lengths.
    #[error(
        "{what}: {left_name} has {left} entries but {right_name} has {right}; \
         pass exactly one entry per sample in each"
    )]
    LengthMismatch {
        /// The analysis, e.g. "paired t-test".
        what: &'static str,
        /// Name of the first argument.
        left_name: &'static str,
        /// Its length.
        left: usize,
        /// Name of the second argument.
        right_name: &'static str,
        /// Its length.
        right: usize,
    },
    /// A flat row-major buffer is not a whole number of rows of the stated dimension.
    #[error(
        "{what}: {field} has {len} values, not a multiple of its dimension {dim}; \
         pass a row-major buffer of n × {dim} values"
    )]
    RaggedRows {
        /// The analysis.
        what: &'static str,
        /// The argument at fault.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The declared dimension.
        dim: usize,
    },
    /// Fewer samples than the analysis needs.
    #[error("{what}: needs at least {needed} samples in {field}, got {got}; {hint}")]
    TooFewSamples {
        /// The analysis.
        what: &'static str,
        /// The argument at fault (or the label group).
        field: String,
        /// The minimum.
        needed: usize,
        /// What was passed.
        got: usize,
        /// What to do about it.
        hint: &'static str,
    },
    /// A NaN or infinite value in the input.
    #[error(
        "{what}: {field}[{index}] is {value}, not a finite number; \
         remove or repair that sample before the analysis"
    )]
    NonFinite {
        /// The analysis.
        what: &'static str,
        /// The argument at fault.
        field: &'static str,
        /// Index of the first bad value.
        index: usize,
        /// The bad value.
        value: f64,
    },
    /// A parameter outside its domain (k = 0, α ∉ (0, 1), an unsorted amplitude axis, …).
    #[error("{what}: {field} {problem}")]
    InvalidParameter {
        /// The analysis.
        what: &'static str,
        /// The parameter at fault.
        field: &'static str,
        /// One sentence: what is wrong and what would be right.
        problem: String,
    },
}

/// Returns the first non-finite value of `values` as an error naming `field`.
pub(crate) fn check_finite(
    what: &'static str,
    field: &'static str,
    values: &[f64],
) -> crate::Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(AnalysisError::NonFinite {
            what,
            field,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Checks that two paired inputs have the same length.
pub(crate) fn check_same_len(
    what: &'static str,
    left_name: &'static str,
    left: usize,
    right_name: &'static str,
    right: usize,
) -> crate::Result<()> {
    if left == right {
        Ok(())
    } else {
        Err(AnalysisError::LengthMismatch {
            what,
            left_name,
            left,
            right_name,
            right,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field_and_the_fix() {
        let e = check_finite("KSG", "x", &[1.0, f64::NAN]).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("x[1]") && msg.contains("NaN") && msg.contains("remove"),
            "{msg}"
        );
        let e = check_same_len("paired t-test", "a", 3, "b", 4).unwrap_err();
        assert_eq!(
            e.to_string(),
            "paired t-test: a has 3 entries but b has 4; pass exactly one entry per sample in each"
        );
    }
}
