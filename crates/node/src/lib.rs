//! How the treaty services are wired into a process: which services it runs
//! ([`Role`]), where their data lives, their peers, the journal shippers and
//! background tasks, and the server around them ([`run`]). `treaty serve` runs
//! one such node per process; [`LocalNode`] runs one inside the calling
//! process (the demo, the benchmark and the tests).
//!
//! All four services in one node is monolithic mode: the services call each
//! other through that node's own port. One service per node is microservices
//! mode: its peers are found through `TREATY_<NAME>_ADDR`. The same code wires
//! both.

#![forbid(unsafe_code)]

mod dev;
mod error;
mod local;
pub mod log;
mod role;
mod trust;
mod wiring;

pub use dev::DevCredentials;
pub use error::NodeError;
pub use local::{LocalNode, LocalNodeBuilder, StoppedLocalNode};
pub use role::Role;
pub use wiring::{NodeSpec, check_trust, run};
