//! The withdrawal state machine: the real withdrawals of 2024–2026 replayed step by step, every
//! refusal, and the paths that end in deferral or revocation.

mod flows;
mod notice_refusals;
mod refusals;
mod replay;
mod support;
