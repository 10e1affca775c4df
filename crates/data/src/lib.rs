//! Dataset sources and the Multi-MNIST family (work in progress).
