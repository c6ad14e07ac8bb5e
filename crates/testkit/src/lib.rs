//! Test support, written once for every crate's tests:
//!
//! - [`TestNode`]: real services in this process on `127.0.0.1:0`, with a
//!   temporary sled directory and a manual clock, talked to through real gRPC
//!   clients; stopped and restarted on the same data.
//! - [`TreatyProcess`]: the real `treaty` binary as a child process, found by
//!   its `listening on` line, killed when the test drops it (also when it fails).
//! - Principals: tokens of one test issuer every [`TestNode`] trusts ([`as_user`],
//!   [`token`]), and channels that present a service's certificate
//!   ([`TestNode::as_service`]).
//! - [`StalledStream`]: a server stream whose client stops reading (a raw
//!   HTTP/2 client), for what the server holds for it and how it cuts it off.
//! - [`eventually`]: the one way to wait for a background effect, with a
//!   patience that `TREATY_TEST_PATIENCE_SECONDS` can raise on a slow machine.
//! - Readers of what an error carries ([`violated_fields`], [`reason`],
//!   [`error_metadata`]) and a wire [`date`].

#![forbid(unsafe_code)]

mod node;
mod patience;
mod principals;
mod process;
mod stalled;
mod status;

pub use node::{CHECKPOINTS_SOON, StoppedNode, TestNode, start_instant, start_on};
pub use patience::{
    PATIENCE, PATIENCE_VARIABLE, READY_TIMEOUT, eventually, patience, patience_in, ready_timeout,
};
pub use principals::{
    TEST_AUDIENCE, TEST_ISSUER, as_user, dev_credentials, permissions, recorded, recorded_service,
    test_issuer, test_issuer_public_key, token, token_valid, with_token,
};
pub use process::TreatyProcess;
pub use stalled::{Stall, StalledStream};
pub use status::{date, error_metadata, reason, violated_fields};
