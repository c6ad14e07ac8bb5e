//! The authorization matrix: every RPC of the rule table, called over the real network by
//! every kind of caller — nobody, an expired token, a token of an untrusted issuer, a client
//! certificate of an untrusted CA, the right permission for another state, the right
//! permission, and each service's certificate — in both process modes. Each answer's code is
//! what the rule says, and no refused call changes any journal.
//!
//! The expectations below are written from the rules as DESIGN.md states them, not computed
//! by `treaty_auth::authorize`. A new RPC fails to compile here until it has a request, and
//! the auth crate's tests fail until it has a rule.

use std::collections::BTreeMap;
use std::time::Duration;

use prost::Message;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http;
use tonic::transport::Channel;
use tonic_types::StatusExt;
use treaty_auth::token::SigningKey;
use treaty_auth::{Rpc, Rule, ServiceName};
use treaty_node::Role;
use treaty_proto::approvals as ap;
use treaty_proto::audit as au;
use treaty_proto::google::r#type::Date;
use treaty_proto::notification as nt;
use treaty_proto::registry as reg;
use treaty_runtime::Bearer;
use treaty_runtime::tls::{ClientTls, DevPki};
use treaty_testkit::{TEST_AUDIENCE, TEST_ISSUER, token, token_valid};

use crate::suite::{Mode, Suite};

/// Who calls.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Caller {
    Nobody,
    ExpiredToken,
    UntrustedIssuer,
    UntrustedCertificate,
    OtherState,
    RightPermission,
    Service(ServiceName),
}

impl Caller {
    fn all() -> Vec<Caller> {
        let mut all = vec![
            Caller::Nobody,
            Caller::ExpiredToken,
            Caller::UntrustedIssuer,
            Caller::UntrustedCertificate,
            Caller::OtherState,
            Caller::RightPermission,
        ];
        all.extend(ServiceName::ALL.map(Caller::Service));
        all
    }
}

/// What a call must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Past the trust boundary: an answer, or the service's own refusal of the request.
    Allowed,
    Unauthenticated,
    PermissionDenied,
    /// The TLS handshake refuses the connection.
    NoConnection,
}

/// The rule, as DESIGN.md §3 states it, for `caller`.
fn expected(rpc: Rpc, caller: &Caller) -> Outcome {
    use Outcome::*;
    match (rpc.rule(), caller) {
        (_, Caller::UntrustedCertificate) => NoConnection,
        // A token that does not verify is refused at the edge, whatever the RPC.
        (_, Caller::ExpiredToken | Caller::UntrustedIssuer) => Unauthenticated,
        (Rule::Public, _) => Allowed,
        (_, Caller::Nobody) => Unauthenticated,
        (Rule::Service(only), Caller::Service(s)) if *s == only => Allowed,
        // Append names the registry's journal in every request below.
        (Rule::OwnJournal, Caller::Service(ServiceName::Registry)) => Allowed,
        (Rule::Service(_) | Rule::OwnJournal, _) => PermissionDenied,
        (_, Caller::Service(_) | Caller::OtherState) => PermissionDenied,
        (_, Caller::RightPermission) => Allowed,
    }
}

/// The permissions "the right permission" holds for `rpc`, and those of "another state".
fn permissions(rpc: Rpc) -> (Vec<&'static str>, Vec<&'static str>) {
    match rpc.rule() {
        Rule::Public => (vec![], vec!["state:EE:record"]),
        Rule::Registrar => (vec!["registry:admin"], vec!["state:LT:record"]),
        // The joint statement is Lithuania's and Latvia's: one of them is not enough.
        Rule::StateActor if rpc == Rpc::IssueJointStatement => (
            vec!["state:LT:record", "state:LV:record"],
            vec!["state:LT:record"],
        ),
        Rule::StateActor | Rule::StateActorOrDepositary => {
            (vec!["state:LT:record"], vec!["state:EE:record"])
        }
        Rule::Recipient => (vec!["state:FR:inbox"], vec!["state:LV:inbox"]),
        // No person may call these, whatever they hold.
        Rule::Service(_) | Rule::OwnJournal => (
            vec!["registry:admin", "depositary:record", "state:LT:record"],
            vec!["state:EE:record"],
        ),
    }
}

fn day(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn sources() -> Vec<String> {
    vec!["https://treaties.un.org/".to_owned()]
}

/// A valid request for `rpc`, about Lithuania's case `apmbc-LT-1` (or France's inbox), so
/// that a caller the rules let through gets an answer or the service's own refusal.
fn request(rpc: Rpc, id: &str) -> Vec<u8> {
    let id = id.to_owned();
    let case = "apmbc-LT-1".to_owned();
    let procedure = || reg::ApprovalProcedure {
        chambers: vec![reg::Chamber {
            name: "Seimas".into(),
            threshold: Some(reg::Threshold {
                kind: reg::ThresholdKind::SimpleMajority.into(),
                ..Default::default()
            }),
        }],
        head_of_state_assent: true,
        sources: sources(),
    };
    match rpc {
        Rpc::CreateTreaty => reg::CreateTreatyRequest {
            request_id: id,
            treaty: Some(reg::Treaty {
                treaty_id: "ccm".into(),
                title: "Convention on Cluster Munitions".into(),
                short_title: "CCM".into(),
                depositary: "Secretary-General of the United Nations".into(),
                in_force_on: day(2010, 8, 1),
                entry_into_force_months: 6,
                withdrawal_clause: Some(reg::WithdrawalClause {
                    notice_months: 6,
                    runs_from: reg::RunsFrom::DepositaryReceipt.into(),
                    armed_conflict_defers: true,
                    article: "Article 20".into(),
                }),
                sources: sources(),
                ..Default::default()
            }),
        }
        .encode_to_vec(),
        Rpc::GetTreaty => reg::GetTreatyRequest {
            treaty: "apmbc".into(),
        }
        .encode_to_vec(),
        Rpc::ListTreaties => reg::ListTreatiesRequest::default().encode_to_vec(),
        Rpc::GetState => reg::GetStateRequest { state: "LT".into() }.encode_to_vec(),
        Rpc::ListStates => reg::ListStatesRequest::default().encode_to_vec(),
        Rpc::SetApprovalProcedure => reg::SetApprovalProcedureRequest {
            request_id: id,
            state: "LT".into(),
            procedure: Some(procedure()),
        }
        .encode_to_vec(),
        Rpc::RecordConsent => reg::RecordConsentRequest {
            request_id: id,
            treaty: "apmbc".into(),
            state: "FR".into(),
            kind: reg::ConsentKind::Ratification.into(),
            on: day(1998, 7, 23),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::GetMembership => reg::GetMembershipRequest {
            treaty: "apmbc".into(),
            state: "LT".into(),
            as_of: None,
        }
        .encode_to_vec(),
        Rpc::ListMembers => reg::ListMembersRequest {
            treaty: "apmbc".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        Rpc::RecordWithdrawalNotice => reg::RecordWithdrawalNoticeRequest {
            request_id: id,
            treaty: "apmbc".into(),
            state: "LT".into(),
            case_id: case,
            received_on: day(2025, 6, 27),
            approved_on: None,
            reasons: "The military threat in the region has fundamentally changed.".into(),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::RecordRevocation => reg::RecordRevocationRequest {
            request_id: id,
            treaty: "apmbc".into(),
            state: "LT".into(),
            case_id: case,
            revoked_on: day(2025, 9, 1),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::RecordSuspensionClaim => reg::RecordSuspensionClaimRequest {
            request_id: id,
            treaty: "apmbc".into(),
            state: "LT".into(),
            claim: Some(reg::SuspensionClaim {
                claimed_on: day(2025, 7, 1),
                detail: "A claimed suspension".into(),
                sources: sources(),
            }),
        }
        .encode_to_vec(),
        Rpc::RecordArmedConflict => reg::RecordArmedConflictRequest {
            request_id: id,
            state: "LT".into(),
            description: "An armed conflict".into(),
            began_on: day(2024, 1, 1),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::EndArmedConflict => reg::EndArmedConflictRequest {
            request_id: id,
            state: "LT".into(),
            conflict_id: "1".into(),
            ended_on: day(2024, 2, 1),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::ListArmedConflicts => reg::ListArmedConflictsRequest {
            state: "LT".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        Rpc::IssueJointStatement => ap::IssueJointStatementRequest {
            request_id: id,
            treaty: "apmbc".into(),
            states: vec!["LT".into(), "LV".into()],
            issued_on: day(2025, 3, 18),
            text: "A joint statement".into(),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::OpenWithdrawal => ap::OpenWithdrawalRequest {
            request_id: id,
            treaty: "apmbc".into(),
            state: "LT".into(),
            recommended_on: day(2025, 3, 18),
            detail: "Recommended".into(),
            sources: sources(),
            without_recommendation: false,
        }
        .encode_to_vec(),
        Rpc::RecordRecommendation => ap::RecordRecommendationRequest {
            request_id: id,
            case_id: case,
            recommended_on: day(2025, 3, 18),
            detail: "Recommended".into(),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::RecordGovernmentDecision => ap::RecordGovernmentDecisionRequest {
            request_id: id,
            case_id: case,
            decided_on: day(2025, 4, 2),
            undated: false,
            detail: "Decided".into(),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::RecordChamberVote => ap::RecordChamberVoteRequest {
            request_id: id,
            case_id: case,
            vote: Some(ap::ChamberVote {
                // The registry's default procedure: Lithuania's is not recorded here.
                chamber: "parliament".into(),
                yes: Some(107),
                no: Some(0),
                abstain: Some(3),
                final_reading: true,
                ..Default::default()
            }),
            voted_on: day(2025, 5, 8),
            undated: false,
            detail: "Voted".into(),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::RecordHeadOfStateAssent => ap::RecordHeadOfStateAssentRequest {
            request_id: id,
            case_id: case,
            assented_on: day(2025, 5, 12),
            undated: false,
            detail: "Signed".into(),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::DepositInstrument => ap::DepositInstrumentRequest {
            request_id: id,
            case_id: case,
            received_on: day(2025, 6, 27),
            reasons: "The military threat in the region has fundamentally changed.".into(),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::RevokeWithdrawal => ap::RevokeWithdrawalRequest {
            request_id: id,
            case_id: case,
            revoked_on: day(2025, 9, 1),
            detail: "Revoked".into(),
            sources: sources(),
        }
        .encode_to_vec(),
        Rpc::GetWithdrawal => ap::GetWithdrawalRequest { case_id: case }.encode_to_vec(),
        Rpc::ListWithdrawals => ap::ListWithdrawalsRequest::default().encode_to_vec(),
        Rpc::PublishNotice => nt::PublishNoticeRequest {
            request_id: id,
            notice: Some(nt::Notice {
                notice_id: format!("{case}-deposit"),
                kind: nt::NoticeKind::Deposit.into(),
                treaty: "apmbc".into(),
                state: "LT".into(),
                case_id: case,
                received_on: day(2025, 6, 27),
                effective_on: day(2025, 12, 27),
                reasons: "The military threat in the region has fundamentally changed.".into(),
                text: "Lithuania deposited its instrument of withdrawal.".into(),
                sources: sources(),
                ..Default::default()
            }),
        }
        .encode_to_vec(),
        Rpc::Subscribe => nt::SubscribeRequest {
            recipient: "states/FR".into(),
            after_cursor: 0,
        }
        .encode_to_vec(),
        Rpc::Acknowledge => nt::AcknowledgeRequest {
            request_id: id,
            recipient: "states/FR".into(),
            notice_id: format!("{case}-deposit"),
            receipt: String::new(),
        }
        .encode_to_vec(),
        Rpc::RegisterRecipientKey => nt::RegisterRecipientKeyRequest {
            request_id: id,
            recipient: "states/FR".into(),
            verifier_key: treaty_transparency::receipt::RecipientKey::generate("states/FR")
                .expect("a recipient key")
                .0
                .verifier_key()
                .to_owned(),
        }
        .encode_to_vec(),
        Rpc::GetNotice => nt::GetNoticeRequest {
            notice_id: format!("{case}-deposit"),
        }
        .encode_to_vec(),
        Rpc::ListNotices => nt::ListNoticesRequest {
            recipient: "states/FR".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        Rpc::Append => au::AppendRequest {
            request_id: id,
            source: "registry".into(),
            entries: Vec::new(),
        }
        .encode_to_vec(),
        Rpc::GetHistory => au::GetHistoryRequest {
            state: "LT".into(),
            ..Default::default()
        }
        .encode_to_vec(),
        Rpc::ListEntries => au::ListEntriesRequest::default().encode_to_vec(),
        Rpc::Tail => au::TailRequest { after_sequence: 0 }.encode_to_vec(),
        Rpc::Verify => au::VerifyRequest {}.encode_to_vec(),
        Rpc::GetCheckpoint => au::GetCheckpointRequest::default().encode_to_vec(),
        Rpc::GetEntries => au::GetEntriesRequest::default().encode_to_vec(),
        Rpc::GetInclusionProof => au::GetInclusionProofRequest {
            tree_size: 1,
            leaf: Some(au::get_inclusion_proof_request::Leaf::LeafIndex(0)),
        }
        .encode_to_vec(),
        Rpc::GetConsistencyProof => au::GetConsistencyProofRequest {
            first: 1,
            second: 0,
        }
        .encode_to_vec(),
        Rpc::AddCosignature => au::AddCosignatureRequest {
            request_id: id.to_owned(),
            tree_size: 1,
            cosignature: "— witness.lt AAAAAA==".into(),
        }
        .encode_to_vec(),
    }
}

/// The role that serves `rpc`.
fn role_of(rpc: Rpc) -> Role {
    match rpc.method().0 {
        "treaty.registry.v1.RegistryService" => Role::Registry,
        "treaty.approvals.v1.ApprovalsService" => Role::Approvals,
        "treaty.notification.v1.NotificationService" => Role::Notification,
        "treaty.audit.v1.AuditService" => Role::Audit,
        other => panic!("{other} is not a service of the suite"),
    }
}

/// Bytes in, bytes out: one client for every RPC.
#[derive(Clone, Copy, Debug, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        use prost::bytes::BufMut as _;
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        use prost::bytes::Buf as _;
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

/// Calls `rpc` with `body` on `channel`, carrying `bearer`.
async fn call(
    channel: Channel,
    rpc: Rpc,
    body: Vec<u8>,
    bearer: &Bearer,
) -> Result<(), tonic::Status> {
    let (service, method) = rpc.method();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path =
        http::uri::PathAndQuery::try_from(format!("/{service}/{method}")).expect("a gRPC path");
    let mut request = tonic::Request::new(body);
    request.set_timeout(Duration::from_secs(10));
    bearer.attach(&mut request);
    if matches!(rpc, Rpc::Subscribe | Rpc::Tail) {
        grpc.server_streaming(request, path, Raw).await.map(drop)
    } else {
        grpc.unary(request, path, Raw).await.map(drop)
    }
}

/// What a caller presents: its connection's TLS and its token.
struct Credentials {
    tls: ClientTls,
    bearer: Bearer,
}

fn credentials(suite: &Suite, caller: &Caller, rpc: Rpc, stranger: &Stranger) -> Credentials {
    let (right, other) = permissions(rpc);
    let anonymous = || suite.tls();
    match caller {
        Caller::Nobody => Credentials {
            tls: anonymous(),
            bearer: Bearer::none(),
        },
        Caller::ExpiredToken => Credentials {
            tls: anonymous(),
            // Expired an hour ago, well past the leeway.
            bearer: Bearer::new(token_valid(
                "expired",
                &right,
                -7200,
                Duration::from_secs(3600),
            )),
        },
        Caller::UntrustedIssuer => Credentials {
            tls: anonymous(),
            bearer: Bearer::new(stranger.key.issue(
                TEST_ISSUER,
                TEST_AUDIENCE,
                "impostor",
                &treaty_testkit::permissions(&right),
                jiff::Timestamp::now().as_second(),
                Duration::from_secs(3600),
            )),
        },
        Caller::UntrustedCertificate => {
            let (cert, key) = stranger.pki.identity(ServiceName::Registry);
            Credentials {
                tls: suite
                    .tls()
                    .with_identity(&cert, &key)
                    .expect("the stranger's identity"),
                bearer: Bearer::none(),
            }
        }
        Caller::OtherState => Credentials {
            tls: anonymous(),
            bearer: Bearer::new(token("another state's officer", &other)),
        },
        Caller::RightPermission => Credentials {
            tls: anonymous(),
            bearer: Bearer::new(token("the right officer", &right)),
        },
        Caller::Service(service) => Credentials {
            tls: suite.identity(*service),
            bearer: Bearer::none(),
        },
    }
}

/// A key and a CA the suite does not trust.
struct Stranger {
    key: SigningKey,
    pki: DevPki,
    _dir: tempfile::TempDir,
}

impl Stranger {
    fn new() -> Stranger {
        let dir = tempfile::tempdir().expect("a directory");
        let pki = DevPki::write(dir.path(), &["localhost"], &["127.0.0.1"]).expect("a foreign CA");
        Stranger {
            key: SigningKey::generate(),
            pki,
            _dir: dir,
        }
    }
}

/// Checks one answer against the expected outcome; `Err` says why not.
fn check(outcome: Outcome, answer: &Result<(), tonic::Status>) -> Result<(), String> {
    let code = answer.as_ref().err().map_or(Code::Ok, tonic::Status::code);
    let shown = match answer {
        Ok(()) => "OK".to_owned(),
        Err(s) => format!("{:?}: {}", s.code(), s.message()),
    };
    let fine = match outcome {
        Outcome::Allowed => !matches!(
            code,
            Code::Unauthenticated
                | Code::PermissionDenied
                | Code::Unavailable
                | Code::Unknown
                | Code::InvalidArgument
                | Code::Internal
        ),
        Outcome::Unauthenticated => code == Code::Unauthenticated,
        Outcome::PermissionDenied => {
            code == Code::PermissionDenied
                && answer.as_ref().err().is_some_and(|s| {
                    s.get_details_error_info()
                        .is_some_and(|i| i.metadata.get("needed").is_some_and(|n| !n.is_empty()))
                })
        }
        // The server's handshake alert reaches the client as a failed connection, or (TLS 1.3,
        // where the client sends its first request before it) as the request cancelled with
        // the connection — never as a timeout or an answer.
        Outcome::NoConnection => {
            matches!(code, Code::Unavailable | Code::Unknown | Code::Cancelled)
                && !shown.contains("Timeout")
        }
    };
    if fine {
        Ok(())
    } else {
        Err(format!("expected {outcome:?}, got {shown}"))
    }
}

/// Seeds what the allowed calls act on: the Ottawa Convention, Lithuania's and Latvia's
/// ratifications, and Lithuania's open case `apmbc-LT-1`.
async fn seed(suite: &Suite) {
    let tls = suite.tls();
    let admin = Bearer::new(token("registry administrator", &["registry:admin"]));
    let mut registry = treaty_proto::registry::registry_service_client::RegistryServiceClient::new(
        suite.channel(Role::Registry, &tls).await,
    );
    registry
        .create_treaty(admin.request(reg::CreateTreatyRequest {
            request_id: "seed-apmbc".into(),
            treaty: Some(reg::Treaty {
                treaty_id: "apmbc".into(),
                title: "Convention on the Prohibition of the Use, Stockpiling, Production and Transfer of Anti-Personnel Mines and on their Destruction".into(),
                short_title: "Ottawa Convention".into(),
                depositary: "Secretary-General of the United Nations".into(),
                in_force_on: day(1999, 3, 1),
                entry_into_force_months: 6,
                withdrawal_clause: Some(reg::WithdrawalClause {
                    notice_months: 6,
                    runs_from: reg::RunsFrom::DepositaryReceipt.into(),
                    armed_conflict_defers: true,
                    article: "Article 20".into(),
                }),
                sources: sources(),
                ..Default::default()
            }),
        }))
        .await
        .expect("the treaty");
    for (state, on) in [("LT", day(2003, 5, 12)), ("LV", day(2005, 7, 1))] {
        registry
            .record_consent(admin.request(reg::RecordConsentRequest {
                request_id: format!("seed-{state}"),
                treaty: "apmbc".into(),
                state: state.into(),
                kind: reg::ConsentKind::Ratification.into(),
                on,
                sources: sources(),
            }))
            .await
            .expect("a consent");
    }
    let lithuania = Bearer::new(token("lt-mfa", &["state:LT:record"]));
    treaty_proto::approvals::approvals_service_client::ApprovalsServiceClient::new(
        suite.channel(Role::Approvals, &tls).await,
    )
    .open_withdrawal(lithuania.request(ap::OpenWithdrawalRequest {
        request_id: "seed-case".into(),
        treaty: "apmbc".into(),
        state: "LT".into(),
        recommended_on: day(2025, 3, 18),
        detail: "Recommended".into(),
        sources: sources(),
        without_recommendation: false,
    }))
    .await
    .expect("Lithuania's case");
}

/// Calls every RPC as every caller whose expected outcome `wanted` selects; returns the
/// mismatches.
async fn sweep(
    suite: &Suite,
    stranger: &Stranger,
    wanted: impl Fn(Outcome) -> bool,
) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut n = 0;
    for rpc in Rpc::ALL {
        for caller in Caller::all() {
            let outcome = expected(rpc, &caller);
            if !wanted(outcome) {
                continue;
            }
            n += 1;
            let creds = credentials(suite, &caller, rpc, stranger);
            let channel = suite.channel(role_of(rpc), &creds.tls).await;
            let answer = call(
                channel,
                rpc,
                request(rpc, &format!("matrix-{n}")),
                &creds.bearer,
            )
            .await;
            if let Err(why) = check(outcome, &answer) {
                wrong.push(format!("{rpc} as {caller:?}: {why}"));
            }
        }
    }
    wrong
}

async fn the_matrix_holds(mode: Mode) {
    let suite = Suite::start(mode).await;
    seed(&suite).await;
    let stranger = Stranger::new();
    let (suite, before) = suite.journal_heads().await;

    let wrong = sweep(&suite, &stranger, |o| o != Outcome::Allowed).await;
    assert!(
        wrong.is_empty(),
        "{mode:?}: refusals:\n{}",
        wrong.join("\n")
    );
    let (suite, after) = suite.journal_heads().await;
    assert_eq!(before, after, "{mode:?}: a refused call changed a journal");

    let wrong = sweep(&suite, &stranger, |o| o == Outcome::Allowed).await;
    assert!(
        wrong.is_empty(),
        "{mode:?}: allowed calls:\n{}",
        wrong.join("\n")
    );
    let _: BTreeMap<Role, u64> = suite.journal_heads().await.1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_answers_every_caller_as_the_rule_table_says_with_all_services_in_one_process() {
    the_matrix_holds(Mode::AllInOne).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_answers_every_caller_as_the_rule_table_says_with_one_service_per_process() {
    the_matrix_holds(Mode::OnePerProcess).await;
}
