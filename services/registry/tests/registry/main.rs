//! The registry service's tests, in one binary (each test binary relinks tonic and sled).

mod attacks;
mod common;
mod conflicts;
mod errors;
mod journal;
mod memberships;
mod states;
mod suspensions;
mod treaties;
mod withdrawals;
