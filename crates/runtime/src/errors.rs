//! The statuses for failures every service shares, built once: its storage failing or
//! damaged, and a request id reused for a different request.

use tonic::{Code, Status};
use treaty_ledger::{KeyReused, LedgerError};
use treaty_proto::Violations;
use treaty_proto::status::Service;

/// The status for a failure of a service's own storage: DATA_LOSS when stored data is damaged,
/// UNAVAILABLE (retry later) when storage failed now. Logged in full; the client gets no paths.
pub fn storage_status(service: &Service, error: &LedgerError) -> Status {
    if error.is_corruption() {
        damaged_status(service, &error.to_string())
    } else {
        tracing::error!(service = service.name, %error, "storage failure");
        service.error(
            Code::Unavailable,
            "STORAGE_UNAVAILABLE",
            format!(
                "the {} service could not store or read this now; nothing was acknowledged, retry later with the same request_id",
                service.name
            ),
            [("service", service.name.to_owned())],
        )
    }
}

/// The status for stored data a service finds damaged (`detail` says how, for the log only):
/// DATA_LOSS, which an operator must repair.
pub fn damaged_status(service: &Service, detail: &str) -> Status {
    tracing::error!(service = service.name, detail, "storage damaged");
    service.error(
        Code::DataLoss,
        "STORAGE_DAMAGED",
        format!(
            "the {} service's storage is damaged; an operator must restore it (from a backup, or by re-shipping the journals)",
            service.name
        ),
        [("service", service.name.to_owned())],
    )
}

/// The status for a `request_id` already used for a different request (AIP-155):
/// INVALID_ARGUMENT naming `request_id`, reason `REQUEST_ID_REUSED`.
pub fn key_reused_status(service: &Service, reused: &KeyReused) -> Status {
    Violations::one("request_id", reused.to_string())
        .into_status_as(service.domain, "REQUEST_ID_REUSED")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic_types::StatusExt;
    use treaty_proto::status;

    const TEST: Service = Service {
        name: "registry",
        domain: "treaty.registry.v1",
    };

    #[test]
    fn a_reused_key_names_the_request_id_field() {
        let reused = KeyReused {
            operation: "OpenWithdrawal".into(),
            request_id: "r1".into(),
        };
        let status = key_reused_status(&TEST, &reused);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(
            status::reason(&status).as_deref(),
            Some("REQUEST_ID_REUSED")
        );
        let bad = status.get_details_bad_request().unwrap();
        assert_eq!(bad.field_violations[0].field, "request_id");
    }

    #[test]
    fn damaged_storage_is_data_loss_and_failing_storage_unavailable() {
        let damaged = LedgerError::UnreadableAnswer("x".into());
        assert_eq!(storage_status(&TEST, &damaged).code(), Code::DataLoss);
        let closed = LedgerError::Closed;
        let status = storage_status(&TEST, &closed);
        assert_eq!(status.code(), Code::Unavailable);
        assert_eq!(
            status::reason(&status).as_deref(),
            Some("STORAGE_UNAVAILABLE")
        );
    }
}
