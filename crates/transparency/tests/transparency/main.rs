//! The transparency crate's tests: one binary.

mod checkpoints;
mod tiles;
mod vectors;
mod witness;
