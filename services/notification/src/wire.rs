//! Conversions from the notification service's stored records to the API's messages.

use treaty_proto::notification as pb;
use treaty_proto::wire::{date_to_wire, opt_date_to_wire, timestamp_to_wire};

use crate::stored::{StoredDelivery, StoredNotice, StoredNoticeKind, StoredRecipientKind};

pub fn notice(n: &StoredNotice) -> pb::Notice {
    pb::Notice {
        name: format!("notices/{}", n.notice_id),
        notice_id: n.notice_id.clone(),
        kind: match n.kind {
            StoredNoticeKind::Deposit => pb::NoticeKind::Deposit,
            StoredNoticeKind::Effect => pb::NoticeKind::Effect,
            StoredNoticeKind::Deferral => pb::NoticeKind::Deferral,
            StoredNoticeKind::Revocation => pb::NoticeKind::Revocation,
        }
        .into(),
        treaty: n.treaty.clone(),
        state: n.state.clone(),
        case_id: n.case.clone(),
        received_on: opt_date_to_wire(n.received_on),
        circulated_on: Some(date_to_wire(n.circulated_on)),
        effective_on: opt_date_to_wire(n.effective_on),
        reasons: n.reasons.clone(),
        text: n.text.clone(),
        published_at: Some(timestamp_to_wire(n.published_at)),
        recipient_count: n.recipient_count,
        sources: n.sources.clone(),
        proof: n.proof.as_ref().map(|p| pb::NoticeProof {
            leaf_index: p.leaf_index,
            leaf: base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &p.leaf)
                .unwrap_or_default(),
            proof: p.proof.clone(),
        }),
    }
}

pub fn delivery(d: &StoredDelivery) -> pb::Delivery {
    pb::Delivery {
        recipient: d.recipient.clone(),
        kind: match d.kind {
            StoredRecipientKind::StateParty => pb::RecipientKind::StateParty,
            StoredRecipientKind::Depositary => pb::RecipientKind::Depositary,
            StoredRecipientKind::SecurityCouncil => pb::RecipientKind::SecurityCouncil,
        }
        .into(),
        cursor: d.cursor,
        delivered_at: d.delivered_at.map(timestamp_to_wire),
        acknowledged_at: d.acknowledged_at.map(timestamp_to_wire),
        receipt: d.receipt.clone().unwrap_or_default(),
    }
}

/// The answer to `PublishNotice` for `n`; `already_published` when this request changed
/// nothing.
pub fn published(n: &StoredNotice, already_published: bool) -> pb::PublishNoticeResponse {
    pb::PublishNoticeResponse {
        notice: Some(notice(n)),
        already_published,
    }
}
