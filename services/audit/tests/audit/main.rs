//! The audit service's tests, in one binary (each test binary relinks tonic and sled).

mod attacks;
mod checkpoints;
mod history_proof;
mod log;
mod shipper;
