//! One module per subcommand, each with a `run` taking its arguments from
//! [`crate::cli`]. `serve` runs a node; `demo`, `import` and `bench` drive the
//! bundle and the benchmark crates; the others are a few gRPC calls and a
//! table (or JSON).

mod keys;
mod shared;

pub mod bench;
pub mod demo;
pub mod history;
pub mod import;
pub mod log;
pub mod notices;
pub mod parties;
pub mod pki;
pub mod receipt;
pub mod serve;
pub mod status;
pub mod token;
pub mod verify;
pub mod watch;
pub mod withdrawals;
pub mod witness;

pub use shared::CliError;
