//! The notification service's tests, in one binary (each test binary relinks tonic and sled).

mod attacks;
mod inbox;
mod peers;
mod publish;
mod receipts;
mod subscribe;
mod support;
