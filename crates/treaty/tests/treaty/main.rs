//! The `treaty` binary's tests, as one test binary (each binary relinks tonic
//! and sled): the real binary killed and restarted, the bundled data, the four
//! services as separate processes, stalled streams and the memory they may
//! hold, the log's export and its witnesses, and the dependency graph.

mod bundled_data;
mod export;
mod receipts;
mod serve;
mod stalled_streams;
mod tidy;
mod witness;
mod workflow_e2e;
