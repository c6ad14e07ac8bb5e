//! The audit service's tests, in one binary (each test binary relinks tonic and sled).

mod log;
mod shipper;
