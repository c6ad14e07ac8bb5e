//! Failed calls to peer services, classified once: a peer that is down, busy or late is
//! UNAVAILABLE to our caller and worth a retry; a peer that refuses is our fault or a
//! precondition, reported as INTERNAL. A peer's raw words are logged, never echoed.

use tonic::{Code, Status};
use treaty_proto::status::Service;

/// What a failed call to a peer means for the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerFailure {
    /// The peer is down, unreachable, late or dropped the connection mid-call: retry later.
    Down,
    /// The peer is up but could not take the call now (a lost race, a full queue): retry.
    Busy,
    /// The peer refused the call or answered with an error about it: retrying will not help.
    Refused,
}

impl PeerFailure {
    /// Classifies a status a peer call ended with.
    ///
    /// UNKNOWN counts as down only when the transport produced it (the connection broke
    /// mid-call; tonic then keeps the transport error as the source): a peer that answers
    /// UNKNOWN itself refused.
    pub fn of(status: &Status) -> PeerFailure {
        match status.code() {
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => PeerFailure::Down,
            Code::Unknown if std::error::Error::source(status).is_some() => PeerFailure::Down,
            Code::Aborted | Code::ResourceExhausted => PeerFailure::Busy,
            Code::Ok
            | Code::Unknown
            | Code::InvalidArgument
            | Code::NotFound
            | Code::AlreadyExists
            | Code::PermissionDenied
            | Code::FailedPrecondition
            | Code::OutOfRange
            | Code::Unimplemented
            | Code::Internal
            | Code::DataLoss
            | Code::Unauthenticated => PeerFailure::Refused,
        }
    }

    /// Whether a retry of the same call may succeed.
    pub fn is_transient(self) -> bool {
        match self {
            PeerFailure::Down | PeerFailure::Busy => true,
            PeerFailure::Refused => false,
        }
    }
}

/// A failed call to a peer service.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {peer} service failed ({code:?}, {failure:?}): {message}")]
pub struct PeerError {
    /// The peer's short name, e.g. `registry`.
    pub peer: &'static str,
    /// What the failure means.
    pub failure: PeerFailure,
    /// The code the call ended with.
    pub code: Code,
    /// The peer's (or the transport's) own words, for the log only.
    pub message: String,
}

impl PeerError {
    /// The error a call to `peer` ended with.
    pub fn from_status(peer: &'static str, status: &Status) -> PeerError {
        PeerError {
            peer,
            failure: PeerFailure::of(status),
            code: status.code(),
            message: status.message().to_owned(),
        }
    }

    /// A peer answer this service cannot use (a missing or malformed field).
    pub fn bad_answer(peer: &'static str, detail: impl Into<String>) -> PeerError {
        PeerError {
            peer,
            failure: PeerFailure::Refused,
            code: Code::Internal,
            message: detail.into(),
        }
    }

    /// The status our caller gets: UNAVAILABLE (retry with the same `request_id`) when the
    /// peer is down or busy, INTERNAL otherwise; logged with the peer's words, which the
    /// caller never sees.
    pub fn into_status(self, service: &Service) -> Status {
        let metadata = [
            ("peer", self.peer.to_owned()),
            ("peerCode", format!("{:?}", self.code)),
        ];
        if self.failure.is_transient() {
            tracing::warn!(peer = self.peer, code = ?self.code, message = %self.message, "peer unavailable");
            service.error(
                Code::Unavailable,
                "PEER_UNAVAILABLE",
                format!(
                    "the {} service is unavailable; nothing was changed, retry later with the same request_id",
                    self.peer
                ),
                metadata,
            )
        } else {
            tracing::error!(peer = self.peer, code = ?self.code, message = %self.message, "peer call failed");
            service.error(
                Code::Internal,
                "PEER_FAILED",
                format!(
                    "the {} service could not answer this request; nothing was changed; report it if it persists",
                    self.peer
                ),
                metadata,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use treaty_proto::status;

    #[test]
    fn down_busy_and_refused_peers_are_told_apart() {
        assert_eq!(
            PeerFailure::of(&Status::unavailable("x")),
            PeerFailure::Down
        );
        assert_eq!(
            PeerFailure::of(&Status::deadline_exceeded("x")),
            PeerFailure::Down
        );
        assert_eq!(PeerFailure::of(&Status::cancelled("x")), PeerFailure::Down);
        assert_eq!(PeerFailure::of(&Status::aborted("x")), PeerFailure::Busy);
        assert_eq!(PeerFailure::of(&Status::unknown("x")), PeerFailure::Refused);
        assert_eq!(
            PeerFailure::of(&Status::failed_precondition("x")),
            PeerFailure::Refused
        );
        let broken = Status::from_error(Box::new(std::io::Error::other("connection reset")));
        assert_eq!(broken.code(), Code::Unknown);
        assert_eq!(
            PeerFailure::of(&broken),
            PeerFailure::Down,
            "a transport error mid-call"
        );
    }

    #[test]
    fn a_peers_words_are_never_echoed() {
        let secret = "/var/lib/registry/db: permission denied";
        let down = PeerError::from_status("registry", &Status::unavailable(secret));
        let approvals = Service {
            name: "approvals",
            domain: "treaty.approvals.v1",
        };
        let status = down.into_status(&approvals);
        assert_eq!(status.code(), Code::Unavailable);
        assert!(!status.message().contains("/var"), "{}", status.message());
        assert_eq!(status::reason(&status).as_deref(), Some("PEER_UNAVAILABLE"));
        let refused = PeerError::from_status("registry", &Status::internal(secret));
        let status = refused.into_status(&approvals);
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("/var"));
        assert_eq!(
            status::metadata(&status, "peer").as_deref(),
            Some("registry")
        );
    }
}
