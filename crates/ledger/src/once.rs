//! Idempotent commits: a commit keyed by a request id that answers a retry with the first
//! answer, and only ever once that answer's change is durable (AIP-155).
//!
//! A [`Once`] names a request: its [`RequestKey`] (the principal it is scoped to, the
//! operation and the caller's request id) and a [`Fingerprint`] of the whole request.
//! [`Ledger::commit_once`](crate::Ledger::commit_once) looks the key up *inside* the commit,
//! on the writer thread:
//!
//! - not seen: the closure runs, and its answer is remembered under the key in the same
//!   transaction, so the answer exists exactly when the change it reports does;
//! - seen with the same fingerprint: the remembered answer is returned and nothing is written;
//! - seen with another fingerprint: [`CommitError::KeyReused`](crate::CommitError::KeyReused),
//!   nothing is written — a key is never answered with another request's result.
//!
//! Either way the answer is sent only after the batch it was read in is durable. Batches are
//! made durable one after the other, so a remembered answer read by the writer belongs to a
//! durable batch or to the batch in progress, which is made durable before anyone is answered.
//! A read outside the writer could see a batch that is applied but not yet on disk; that is why
//! there is no such read: [`Ledger::replay`](crate::Ledger::replay) also goes through the writer.
//!
//! A rejected commit remembers nothing, so a request refused now may be retried with the same
//! key once the refusal no longer holds.
//!
//! # Stored form
//!
//! Key: `[format: u8 = 1]` then the principal, the operation and the request id, each as a
//! `u32` big-endian length and its bytes (so no two keys share bytes).
//! Value: `[format: u8 = 1][fingerprint: 32 bytes][answer bytes]`.

use sha2::{Digest, Sha256};

const KEY_FORMAT: u8 = 1;
const VALUE_FORMAT: u8 = 1;

/// What a commit answers, as bytes the ledger can remember and give back on a retry.
pub trait Answer: Sized + Send + 'static {
    /// The bytes remembered for a retry.
    fn to_bytes(&self) -> Vec<u8>;
    /// Rebuilds the answer from [`Answer::to_bytes`]; the error says what is wrong.
    fn from_bytes(bytes: &[u8]) -> Result<Self, String>;
}

impl Answer for Vec<u8> {
    fn to_bytes(&self) -> Vec<u8> {
        self.clone()
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        Ok(bytes.to_vec())
    }
}

/// Where a request's answer is remembered: the principal the key is scoped to, the operation
/// and the caller's request id. Two principals never share a key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RequestKey {
    principal: String,
    operation: String,
    request_id: String,
}

impl RequestKey {
    /// The key of `request_id` for `operation` (such as `RecordConsent`), scoped to
    /// `principal` (empty while requests are not authenticated).
    pub fn new(
        principal: impl Into<String>,
        operation: impl Into<String>,
        request_id: impl Into<String>,
    ) -> RequestKey {
        RequestKey {
            principal: principal.into(),
            operation: operation.into(),
            request_id: request_id.into(),
        }
    }

    /// The operation the key belongs to.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// The caller's request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The principal the key is scoped to.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(
            13 + self.principal.len() + self.operation.len() + self.request_id.len(),
        );
        k.push(KEY_FORMAT);
        for part in [&self.principal, &self.operation, &self.request_id] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            k.extend_from_slice(&len.to_be_bytes());
            k.extend_from_slice(part.as_bytes());
        }
        k
    }
}

/// A SHA-256 digest of a whole request, so that a key reused for a different request is told
/// apart from a retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a request's canonical bytes (its encoded message, for example).
    pub fn of(bytes: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(bytes).into())
    }
}

/// One request made at most once: its key and its fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Once {
    /// Where the answer is remembered.
    pub key: RequestKey,
    /// What the request was.
    pub fingerprint: Fingerprint,
}

/// A key that was used before for a different request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "request_id {request_id:?} was already used for a different {operation} request; use a new request_id for a new request, or resend the first request unchanged to get its answer"
)]
pub struct KeyReused {
    pub operation: String,
    /// The reused request id.
    pub request_id: String,
}

impl Once {
    pub(crate) fn reused(&self) -> KeyReused {
        KeyReused {
            operation: self.key.operation.clone(),
            request_id: self.key.request_id.clone(),
        }
    }
}

/// What a remembered value says: the first request's fingerprint and its answer.
pub(crate) fn encode_value(fingerprint: &Fingerprint, answer: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(33 + answer.len());
    v.push(VALUE_FORMAT);
    v.extend_from_slice(&fingerprint.0);
    v.extend_from_slice(answer);
    v
}

pub(crate) fn decode_value(value: &[u8]) -> Result<(Fingerprint, &[u8]), String> {
    match value.split_first() {
        Some((&VALUE_FORMAT, rest)) if rest.len() >= 32 => {
            let (fp, answer) = rest.split_at(32);
            let fp: [u8; 32] = fp.try_into().map_err(|_| "short fingerprint".to_owned())?;
            Ok((Fingerprint(fp), answer))
        }
        Some((&VALUE_FORMAT, _)) => Err("a remembered answer is truncated".to_owned()),
        Some((other, _)) => Err(format!(
            "a remembered answer has format {other}, this build reads {VALUE_FORMAT}"
        )),
        None => Err("a remembered answer is empty".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_different_principals_operations_or_ids_never_collide() {
        let keys = [
            RequestKey::new("", "Op", "a\0b"),
            RequestKey::new("", "Op\0a", "b"),
            RequestKey::new("lt", "Op", "r1"),
            RequestKey::new("lv", "Op", "r1"),
            RequestKey::new("lt", "Other", "r1"),
        ];
        let bytes: std::collections::BTreeSet<_> = keys.iter().map(RequestKey::to_bytes).collect();
        assert_eq!(bytes.len(), keys.len());
    }

    #[test]
    fn a_remembered_value_round_trips_and_a_foreign_one_is_refused() {
        let fp = Fingerprint::of(b"request");
        let v = encode_value(&fp, b"answer");
        assert_eq!(decode_value(&v), Ok((fp, &b"answer"[..])));
        assert!(decode_value(&[]).is_err());
        assert!(decode_value(&[2; 40]).is_err());
        assert!(decode_value(&[1; 10]).is_err());
    }
}
