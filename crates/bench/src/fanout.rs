//! A notice fanned out to every other party's live `Subscribe` stream: the time
//! from the deposit being answered until the last recipient has the notice.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use treaty_auth::Permission;
use treaty_auth::token::{DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use treaty_bundle::{Facts, Loader, Minted, Quiet};
use treaty_domain::{Recipient, StateCode};
use treaty_node::LocalNode;
use treaty_proto::approvals::{self as ap, approvals_service_client::ApprovalsServiceClient};
use treaty_proto::notification::{
    self as nt, notification_service_client::NotificationServiceClient,
};
use treaty_proto::registry::{self as reg, registry_service_client::RegistryServiceClient};
use treaty_proto::wire::date_to_wire;

use super::{BenchError, Figure, Scale, fig, percentile, target};

const WITHDRAWING: &str = "EE";

/// Loads the Ottawa parties, subscribes every recipient, then deposits and
/// revokes a withdrawal `scale.repeats` times, timing each deposit notice.
/// Waits until the audit log has stopped growing for half a second: what the measurements
/// before left to ship (a burst of durable steps) is in the log, so the notices' wait for
/// their proofs is measured on a log at rest, not behind a backlog.
async fn at_rest(suite: &LocalNode) -> Result<(), BenchError> {
    use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};
    let mut audit = AuditServiceClient::new(suite.channel());
    let deadline = Instant::now() + std::time::Duration::from_secs(300);
    let (mut last, mut still) = (u64::MAX, 0);
    while still < 5 {
        let size = audit
            .get_entries(au::GetEntriesRequest { start: 0, count: 1 })
            .await?
            .into_inner()
            .tree_size;
        if size == last {
            still += 1;
        } else {
            (last, still) = (size, 0);
        }
        if Instant::now() > deadline {
            return Err("the audit log did not come to rest within 300 s".into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}

pub(super) async fn measure(
    suite: &LocalNode,
    scale: Scale,
    ping_p50_ms: f64,
) -> Result<Vec<Figure>, BenchError> {
    // Every actor with its own token of the suite's development issuer, as in the demo.
    let dev = suite.dev()?;
    let key = dev.issuer().cloned().ok_or("the suite made no issuer")?;
    let loader = Loader::new(suite.channel()).with_credentials(Minted::new(
        key,
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
    ));
    loader.create_treaties(&mut Quiet).await?;
    let all = Facts::bundled();
    let parties = Facts {
        consents: all
            .consents
            .into_iter()
            .filter(|c| c.treaty == "apmbc")
            .collect(),
        steps: Vec::new(),
    };
    loader.load_facts(&parties, &mut Quiet).await?;
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::UTC)
        .date();
    let members = treaty_bundle::parties_as_of(suite.channel(), "apmbc", Some(today)).await?;
    let mut recipients: BTreeSet<String> = members
        .iter()
        .filter(|m| m.state != WITHDRAWING)
        .map(|m| format!("states/{}", m.state))
        .collect();
    recipients.insert("depositary".into());
    recipients.insert("un-security-council".into());

    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let mut ready = Vec::new();
    for r in &recipients {
        // Each party is its own client, on its own connection (one connection carries at most
        // TREATY_MAX_STREAMS_PER_CONNECTION streams).
        let own =
            treaty_runtime::connect(&suite.url(), &treaty_runtime::ClientConfig::default()).await?;
        let (tx, mut client) = (tx.clone(), NotificationServiceClient::new(own));
        // The recipient's own stream, which records its deliveries.
        let inbox = Recipient::parse(r).map_err(|e| e.to_string())?;
        let bearer = dev.bearer(&format!("{r} inbox"), &[Permission::inbox_of(inbox)])?;
        let r = r.clone();
        let (ok_tx, ok_rx) = tokio::sync::oneshot::channel();
        ready.push(ok_rx);
        tokio::spawn(async move {
            let stream = client
                .subscribe(bearer.request(nt::SubscribeRequest {
                    recipient: r,
                    after_cursor: 0,
                }))
                .await;
            let _ = ok_tx.send(());
            let Ok(stream) = stream else { return };
            let mut stream = stream.into_inner();
            while let Ok(Some(msg)) = stream.message().await {
                if let Some(n) = msg.notice {
                    let _ = tx.send((n.notice_id, Instant::now()));
                }
            }
        });
    }
    for r in ready {
        let _ = r.await;
    }

    at_rest(suite).await?;
    let state = StateCode::parse(WITHDRAWING).map_err(|e| e.to_string())?;
    let ministry = dev.bearer("ee-foreign-ministry", &[Permission::StateRecord(state)])?;
    let depositary = dev.bearer("depositary", &[Permission::DepositaryRecord])?;
    let mut approvals = ApprovalsServiceClient::new(suite.channel());
    let mut registry = RegistryServiceClient::new(suite.channel());
    let on = Some(date_to_wire(today));
    let mut latencies = Vec::new();
    let mut arrivals: HashMap<String, Vec<Instant>> = HashMap::new();
    for i in 0..scale.repeats {
        let id = format!("bench-fanout-{i}");
        let case = approvals
            .open_withdrawal(ministry.request(ap::OpenWithdrawalRequest {
                request_id: format!("{id}-open"),
                treaty: "apmbc".into(),
                state: WITHDRAWING.into(),
                recommended_on: on,
                detail: "benchmark".into(),
                ..Default::default()
            }))
            .await?
            .into_inner()
            .withdrawal
            .ok_or("no case")?
            .case_id;
        approvals
            .record_chamber_vote(ministry.request(ap::RecordChamberVoteRequest {
                request_id: format!("{id}-vote"),
                case_id: case.clone(),
                vote: Some(ap::ChamberVote {
                    chamber: "parliament".into(),
                    yes: Some(2),
                    no: Some(1),
                    abstain: Some(0),
                    final_reading: true,
                    ..Default::default()
                }),
                voted_on: on,
                ..Default::default()
            }))
            .await?;
        approvals
            .deposit_instrument(depositary.request(ap::DepositInstrumentRequest {
                request_id: format!("{id}-deposit"),
                case_id: case.clone(),
                received_on: on,
                reasons: "benchmark".into(),
                sources: Vec::new(),
            }))
            .await?;
        let answered = Instant::now();
        let notice = format!("{case}-deposit");
        let deadline = answered + Duration::from_secs(30);
        while arrivals.get(&notice).map_or(0, Vec::len) < recipients.len() {
            let wait = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(wait, rx.recv()).await {
                Ok(Some((n, at))) => arrivals.entry(n).or_default().push(at),
                _ => {
                    return Err(format!(
                        "notice {notice} reached {} of {} recipients in 30 s",
                        arrivals.get(&notice).map_or(0, Vec::len),
                        recipients.len()
                    )
                    .into());
                }
            }
        }
        let last = arrivals[&notice].iter().max().copied().unwrap_or(answered);
        latencies.push(last.saturating_duration_since(answered));
        approvals
            .revoke_withdrawal(ministry.request(ap::RevokeWithdrawalRequest {
                request_id: format!("{id}-revoke"),
                case_id: case,
                revoked_on: on,
                detail: "benchmark".into(),
                sources: Vec::new(),
            }))
            .await?;
        // The relay tells the registry of the revocation asynchronously; the next
        // case can open once the registry has the state as a party again.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let m = registry
                .get_membership(reg::GetMembershipRequest {
                    treaty: "apmbc".into(),
                    state: WITHDRAWING.into(),
                    as_of: on,
                })
                .await?
                .into_inner()
                .membership;
            if m.is_some_and(|m| m.status() == reg::MembershipStatus::Party) {
                break;
            }
            if Instant::now() > deadline {
                return Err("the registry did not record the revocation within 30 s".into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    latencies.sort_unstable();
    let ms = |p| percentile(&latencies, p).as_secs_f64() * 1e3;
    let n = recipients.len();
    Ok(vec![
        fig(
            format!("notice to {n} live streams, last delivery p50"),
            ms(50),
            "ms",
            "bare ping c=1 p50",
            ping_p50_ms,
        ),
        target(
            fig(
                format!("notice to {n} live streams, last delivery p99"),
                ms(99),
                "ms",
                "bare ping c=1 p50",
                ping_p50_ms,
            ),
            "all delivered, p99 ≤ 50 ms",
            ms(99) <= 50.0,
        ),
    ])
}
