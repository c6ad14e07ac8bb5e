//! The approvals service's tests, in one binary (each test binary relinks tonic and sled).

mod attacks;
mod invalid;
mod once;
mod queries;
mod refusals;
mod relay;
mod scheduler;
mod support;
mod workflow;
