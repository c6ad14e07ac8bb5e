//! Server plumbing shared by every treaty service and the `treaty` binary: configuration from
//! `TREATY_*` variables, logging, health, reflection, graceful shutdown, clients to peers, and
//! server streams that hold at most a byte budget for a client ([`stream`]).
//!
//! A binary's `main` stays short:
//!
//! ```no_run
//! # async fn run(services: treaty_runtime::Services) -> Result<(), treaty_runtime::Error> {
//! use treaty_runtime::{Config, Server, Shutdown, announce, init_tracing};
//!
//! let config = Config::from_env()?;
//! init_tracing(&config.log, config.log_format)?;
//! tracing::info!(%config, "starting");
//! let server = Server::bind(config.listen_addr).await?.with_drain(config.drain);
//! let shutdown = Shutdown::new();
//! shutdown.trigger_on_signals()?;
//! // ... open storage, spawn background tasks that watch `shutdown` ...
//! announce(server.local_addr()).expect("stdout is writable");
//! server.serve(services, shutdown).await?;
//! // ... flush storage; exit 0 ...
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod auth;
mod client;
pub mod config;
mod error;
mod errors;
mod health;
mod listener;
mod once;
mod peer;
mod retry;
mod server;
mod shutdown;
pub mod stream;
mod telemetry;
pub mod tls;
mod wire_errors;

pub use auth::{AuthLayer, Authenticator, Caller, dev_issuer};
pub use client::{
    Bearer, ClientConfig, connect, connect_with, wait_until_service_serving, wait_until_serving,
};
pub use config::{
    AuditLogSettings, Config, ConfigError, Durability, Env, LogFormat, Lookup, VARIABLES, redact,
};
pub use error::Error;
pub use errors::{damaged_status, key_reused_status, storage_status};
pub use health::Health;
pub use listener::Peer;
pub use once::{answer_once, commit_once, replay};
pub use peer::{PeerError, PeerFailure};
pub use retry::{RetryPolicy, is_timeout, with_retry};
pub use server::{Limits, Security, Server, Services, announce};
pub use shutdown::{Shutdown, shutdown_signal};
pub use stream::{BoundedStream, StreamEnded, StreamLimits, StreamSender};
pub use telemetry::{init_tracing, request_span};
pub use wire_errors::WireErrorsLayer;
