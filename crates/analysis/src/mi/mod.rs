//! Mutual-information estimators, all reporting bits.
