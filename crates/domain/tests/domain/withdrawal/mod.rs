//! The withdrawal state machine: the real withdrawals of 2024–2026 replayed step by step, every
//! refusal, and the paths that end in deferral or revocation.

pub(crate) mod flows;
pub(crate) mod notice_refusals;
pub(crate) mod refusals;
pub(crate) mod replay;
pub(crate) mod rules;
pub(crate) mod support;
