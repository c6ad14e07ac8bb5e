//! The transparency crate's tests: one binary.

mod vectors;
