//! The runtime's integration tests, in one binary: clients, the server runner, telemetry.

mod client;
mod common;
mod server;
mod telemetry;
