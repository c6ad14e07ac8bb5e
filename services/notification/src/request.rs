//! Every request, validated into a command of domain values: each wrong field becomes one
//! field violation (the validators and limits of `treaty_proto::fields`), and a request with
//! any violation changes nothing. Listings have the one page-token format of
//! `treaty_proto::page`, bound to the listing and its filters.

use jiff::civil::Date;
use treaty_domain::{CaseId, NoticeDatesError, NoticeKind, Recipient, StateCode, TreatyId};
use treaty_proto::Violations;
use treaty_proto::fields::{self, RequestId};
use treaty_proto::notification as pb;
use treaty_proto::page::{Listing, Paged};

use crate::stored::StoredNoticeProof;

/// A validated `PublishNotice`.
#[derive(Clone, Debug)]
pub struct PublishNotice {
    pub request_id: Option<RequestId>,
    pub notice_id: String,
    pub kind: NoticeKind,
    pub treaty: TreatyId,
    pub state: StateCode,
    pub case: CaseId,
    /// The depositary's receipt of the instrument.
    pub received_on: Option<Date>,
    /// The circulation date as asked; unset, a notice published before matches on any.
    pub asked_circulation: Option<Date>,
    /// The day of circulation (`treaty_domain::circulation_date`).
    pub circulated_on: Date,
    /// The day the withdrawal takes or took effect.
    pub effective_on: Option<Date>,
    /// The day as of which the bound states receive it (`NoticeKind::recipients_as_of`).
    pub recipients_as_of: Date,
    pub reasons: String,
    pub text: String,
    pub sources: Vec<String>,
    /// The proof that its step is in the audit log, its shape checked.
    pub proof: Option<StoredNoticeProof>,
}

/// A validated `RegisterRecipientKey`.
#[derive(Clone, Debug)]
pub struct RegisterKey {
    pub request_id: Option<RequestId>,
    pub recipient: Recipient,
    pub verifier_key: String,
}

/// A validated `Acknowledge`.
#[derive(Clone, Debug)]
pub struct Acknowledge {
    /// The recipient's signed receipt, as given (checked against its key when recorded).
    pub receipt: Option<String>,
    pub request_id: Option<RequestId>,
    pub recipient: Recipient,
    pub notice_id: String,
}

/// A `Subscribe`: whose inbox, after which cursor (0: from the start).
#[derive(Clone, Debug)]
pub struct SubscribeQuery {
    pub recipient: Recipient,
    pub after: u64,
}

/// A `ListNotices`: unset filters match every notice.
#[derive(Clone, Debug)]
pub struct NoticesQuery {
    /// Only notices to this recipient, walked in its inbox's cursor order.
    pub recipient: Option<Recipient>,
    pub treaty: Option<TreatyId>,
    pub state: Option<StateCode>,
    /// The page; its position is an inbox cursor or a publication number.
    pub page: Paged<u64>,
}

fn recipient(v: &mut Violations, field: &str, name: &str) -> Option<Recipient> {
    Recipient::parse(name)
        .map_err(|e| v.add(field, e.to_string()))
        .ok()
}

fn kind(v: &mut Violations, raw: i32) -> Option<NoticeKind> {
    let kind: pb::NoticeKind = fields::required_enum(
        v,
        "notice.kind",
        raw,
        "NOTICE_KIND_DEPOSIT, _EFFECT, _DEFERRAL or _REVOCATION",
    )?;
    match kind {
        pb::NoticeKind::Deposit => Some(NoticeKind::Deposit),
        pb::NoticeKind::Effect => Some(NoticeKind::Effect),
        pb::NoticeKind::Deferral => Some(NoticeKind::Deferral),
        pb::NoticeKind::Revocation => Some(NoticeKind::Revocation),
        pb::NoticeKind::Unspecified => None,
    }
}

/// A `PublishNotice` request; `today` is the circulation of a notice that asks for none.
pub fn publish_notice(
    req: &pb::PublishNoticeRequest,
    today: Date,
) -> Result<PublishNotice, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let Some(n) = &req.notice else {
        v.add("notice", "required: the notice to publish");
        return Err(v);
    };
    let notice_id = fields::notice_id(&mut v, "notice.notice_id", &n.notice_id);
    let kind = kind(&mut v, n.kind);
    let treaty = fields::treaty(&mut v, "notice.treaty", &n.treaty);
    let state = fields::state(&mut v, "notice.state", &n.state);
    let case = fields::case_of(&mut v, "notice.case_id", &n.case_id, treaty.as_ref(), state);
    let received_on = fields::optional_date(&mut v, "notice.received_on", n.received_on.as_ref());
    let asked_circulation =
        fields::optional_date(&mut v, "notice.circulated_on", n.circulated_on.as_ref());
    let effective_on =
        fields::optional_date(&mut v, "notice.effective_on", n.effective_on.as_ref());
    // A date that was given but could not be read already has its violation.
    let dates_read = (n.received_on.is_some() == received_on.is_some())
        && (n.effective_on.is_some() == effective_on.is_some());
    if let (Some(kind), true) = (kind, dates_read)
        && let Err(e) = kind.check_dates(received_on, effective_on)
    {
        let field = match e {
            NoticeDatesError::MissingReceipt => "notice.received_on",
            NoticeDatesError::MissingEffect | NoticeDatesError::EffectBeforeReceipt { .. } => {
                "notice.effective_on"
            }
        };
        v.add(field, e.to_string());
    }
    let circulated_on = treaty_domain::circulation_date(asked_circulation, received_on, today)
        .map_err(|e| v.add("notice.circulated_on", e.to_string()))
        .ok();
    let reasons = if kind == Some(NoticeKind::Deposit) {
        fields::required_long_text(&mut v, "notice.reasons", &n.reasons)
    } else {
        fields::long_text(&mut v, "notice.reasons", &n.reasons)
    };
    let text = fields::long_text(&mut v, "notice.text", &n.text);
    let sources = fields::sources(&mut v, "notice.sources", &n.sources);
    let proof = match (&n.proof, kind, &treaty, state, &case) {
        (Some(p), Some(kind), Some(treaty), Some(state), Some(case)) => {
            notice_proof(&mut v, p, kind, treaty, state, case)
        }
        _ => None,
    };
    let command = (|| {
        let kind = kind?;
        let circulated_on = circulated_on?;
        Some(PublishNotice {
            request_id,
            notice_id: notice_id?,
            kind,
            treaty: treaty?,
            state: state?,
            case: case?,
            received_on,
            asked_circulation,
            circulated_on,
            effective_on,
            recipients_as_of: kind.recipients_as_of(received_on, effective_on, circulated_on),
            reasons,
            text,
            sources,
            proof,
        })
    })();
    v.finish(command)
}

/// The most a signed receipt may take.
const MAX_RECEIPT_BYTES: usize = 4096;

/// A `RegisterRecipientKey` request: the key must be a signed-note Ed25519 verifier key
/// named for the recipient.
pub fn register_key(req: &pb::RegisterRecipientKeyRequest) -> Result<RegisterKey, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let recipient = recipient(&mut v, "recipient", &req.recipient);
    let key = req.verifier_key.trim();
    if key.is_empty() {
        v.add(
            "verifier_key",
            "required: the recipient's public key (`treaty receipt keygen` makes one)",
        );
    } else if key.len() > 512 {
        v.add("verifier_key", "at most 512 bytes");
    } else if let Some(r) = &recipient
        && let Err(e) = treaty_transparency::receipt::check_key(key, &r.name())
    {
        v.add("verifier_key", e.to_string());
    }
    let command = (|| {
        Some(RegisterKey {
            request_id,
            recipient: recipient?,
            verifier_key: key.to_owned(),
        })
    })();
    v.finish(command)
}

/// The most a notice's proof may take: a log entry, a proof of up to 64 hashes and a signed
/// checkpoint with its cosignatures.
const MAX_PROOF_BYTES: usize = 64 * 1024;

/// A notice's proof, its shape checked against the notice (`treaty_transparency::notice`):
/// the leaf is in the tree of the checkpoint it names, and records the step the notice
/// announces. The log's signature is the recipient's to check: this service holds no key.
fn notice_proof(
    v: &mut Violations,
    p: &pb::NoticeProof,
    kind: NoticeKind,
    treaty: &TreatyId,
    state: StateCode,
    case: &CaseId,
) -> Option<StoredNoticeProof> {
    use base64::Engine as _;
    use treaty_transparency::notice::{Announced, NoticeProof, check_shape};
    if p.leaf.len() + p.proof.len() > MAX_PROOF_BYTES {
        v.add("notice.proof", format!("at most {MAX_PROOF_BYTES} bytes"));
        return None;
    }
    let case = case.to_string();
    let announced = Announced {
        step: kind.step(),
        case: &case,
        state: state.as_str(),
        treaty: treaty.as_str(),
    };
    let given = NoticeProof {
        leaf_index: p.leaf_index,
        leaf: &p.leaf,
        proof: &p.proof,
    };
    match check_shape(&given, &announced) {
        Ok(_) => Some(StoredNoticeProof {
            leaf_index: p.leaf_index,
            leaf: base64::engine::general_purpose::STANDARD.encode(&p.leaf),
            proof: p.proof.clone(),
        }),
        Err(e) => {
            v.add("notice.proof", e.to_string());
            None
        }
    }
}

/// An `Acknowledge` request.
pub fn acknowledge(req: &pb::AcknowledgeRequest) -> Result<Acknowledge, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let recipient = recipient(&mut v, "recipient", &req.recipient);
    let notice_id = fields::notice_id(&mut v, "notice_id", &req.notice_id);
    let receipt = match req.receipt.trim() {
        "" => None,
        r if r.len() > MAX_RECEIPT_BYTES => {
            v.add("receipt", format!("at most {MAX_RECEIPT_BYTES} bytes"));
            None
        }
        _ => Some(format!("{}\n", req.receipt.trim_end())),
    };
    let command = (|| {
        Some(Acknowledge {
            receipt,
            request_id,
            recipient: recipient?,
            notice_id: notice_id?,
        })
    })();
    v.finish(command)
}

/// A `Subscribe` request.
pub fn subscribe(req: &pb::SubscribeRequest) -> Result<SubscribeQuery, Violations> {
    let mut v = Violations::new();
    let recipient = recipient(&mut v, "recipient", &req.recipient);
    let query = recipient.map(|recipient| SubscribeQuery {
        recipient,
        after: req.after_cursor,
    });
    v.finish(query)
}

/// A `ListNotices` request. With a recipient the listing is that inbox (positions are its
/// cursors), otherwise the publication order (positions are publication numbers), so a token
/// of one is refused for the other.
pub fn notices(req: &pb::ListNoticesRequest) -> Result<NoticesQuery, Violations> {
    let mut v = Violations::new();
    let to = (!req.recipient.trim().is_empty())
        .then(|| recipient(&mut v, "recipient", &req.recipient))
        .flatten();
    let treaty = fields::optional_treaty(&mut v, "treaty", &req.treaty);
    let state = fields::optional_state(&mut v, "state", &req.state);
    let treaty_filter = treaty.as_ref().map_or("", TreatyId::as_str);
    let state_filter = state.map_or("", |s| s.as_str());
    let listing = if req.recipient.trim().is_empty() {
        Listing::new("ListNotices", &[treaty_filter, state_filter])
    } else {
        let name = to.map(|r| r.name()).unwrap_or_default();
        Listing::new("ListNotices/inbox", &[&name, treaty_filter, state_filter])
    };
    let query = NoticesQuery {
        recipient: to,
        treaty,
        state,
        page: listing.paged(&mut v, req.page_size, &req.page_token),
    };
    v.into_result(query)
}
