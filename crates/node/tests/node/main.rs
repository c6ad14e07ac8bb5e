//! The node: the in-process launcher, and the trust boundary as an outside client meets it
//! in both process modes — the authorization matrix over every RPC, and the attacks it stops.

mod authorization;
mod limits;
mod local;
mod suite;
