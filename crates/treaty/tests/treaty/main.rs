//! The `treaty` binary's tests, as one test binary (each binary relinks tonic
//! and sled): the real binary killed and restarted, the bundled data, the four
//! services as separate processes, and the dependency graph.

mod bundled_data;
mod serve;
mod tidy;
mod workflow_e2e;
