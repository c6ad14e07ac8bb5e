//! The four services as separate `treaty serve <name>` processes replay the
//! 2025 withdrawals of Estonia, Latvia, Lithuania and Poland from the Ottawa
//! Convention with their real dates, while three other parties listen. The
//! notification and audit processes are SIGKILLed and restarted mid-way. Then:
//! each listener got every notice exactly once, every step is in the audit
//! history in order, the log verifies, and the effective dates are the real ones.
//!
//! Everything runs behind the trust boundary as in production: one CA, each service with
//! its own certificate (URI SAN `spiffe://treaty/<service>`) for its listener and its mTLS
//! calls to its peers, every client over TLS, and every change made with a token of one
//! trusted issuer — one per actor — while the listeners stream with their inbox tokens.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tonic::transport::Channel;
use treaty_bundle::{Facts, Loader, Minted, Quiet, StepKind};
use treaty_proto::approvals::{self as ap, approvals_service_client::ApprovalsServiceClient};
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};
use treaty_proto::notification::{
    self as nt, notification_service_client::NotificationServiceClient,
};
use treaty_runtime::tls::{ClientTls, DevPki};
use treaty_testkit::{
    TEST_AUDIENCE, TEST_ISSUER, TreatyProcess, as_user, eventually, test_issuer,
    test_issuer_public_key,
};

const SERVICES: [&str; 4] = ["audit", "registry", "notification", "approvals"];
const LISTENERS: [&str; 3] = ["states/FR", "states/DE", "states/NO"];
const WITHDRAWING: [&str; 4] = ["EE", "LV", "LT", "PL"];

/// What one listener received: (inbox cursor, notice id), in arrival order.
type Inbox = Arc<Mutex<Vec<(u64, String)>>>;

fn free_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("its address")
}

struct Cluster {
    addrs: BTreeMap<&'static str, SocketAddr>,
    children: BTreeMap<&'static str, TreatyProcess>,
    data: tempfile::TempDir,
    pki: DevPki,
}

impl Cluster {
    fn start() -> Cluster {
        let addrs = SERVICES.iter().map(|s| (*s, free_port())).collect();
        let data = tempfile::tempdir().expect("a data directory");
        let pki = DevPki::write(&data.path().join("pki"), &["localhost"], &["127.0.0.1"])
            .expect("the cluster's PKI");
        let mut cluster = Cluster {
            addrs,
            children: BTreeMap::new(),
            data,
            pki,
        };
        for s in SERVICES {
            cluster.spawn(s);
        }
        cluster
    }

    fn url(&self, service: &str) -> String {
        format!("https://{}", self.addrs[service])
    }

    /// TLS trusting the cluster's CA, presenting no certificate (a person's client).
    fn tls(&self) -> ClientTls {
        ClientTls::load(&self.pki.ca()).expect("the cluster's CA")
    }

    fn spawn(&mut self, service: &'static str) {
        let dir = self.data.path().join(service);
        let addr = self.addrs[service].to_string();
        let args = [
            "serve",
            service,
            "--listen",
            &addr,
            "--data-dir",
            dir.to_str().expect("a UTF-8 path"),
        ];
        let mut env: Vec<(String, String)> = SERVICES
            .iter()
            .map(|peer| {
                let variable = format!("TREATY_{}_ADDR", peer.to_ascii_uppercase());
                (variable, self.url(peer))
            })
            .collect();
        let (cert, key) = self.pki.identity(service.parse().expect("a service name"));
        let path = |p: &std::path::Path| p.to_str().expect("a UTF-8 path").to_owned();
        env.push(("TREATY_TLS_CERT".into(), path(&cert)));
        env.push(("TREATY_TLS_KEY".into(), path(&key)));
        env.push(("TREATY_TLS_CLIENT_CA".into(), path(&self.pki.ca())));
        env.push(("TREATY_TLS_CA".into(), path(&self.pki.ca())));
        env.push((
            "TREATY_AUTH_ISSUER_KEYS".into(),
            path(&test_issuer_public_key()),
        ));
        env.push(("TREATY_DURABILITY".into(), "flush".into()));
        env.push(("TREATY_SCHEDULER_TICK_MS".into(), "50".into()));
        let process = TreatyProcess::spawn(env!("CARGO_BIN_EXE_treaty"), args, env);
        assert_eq!(
            process.addr(),
            self.addrs[service],
            "{service} announces its address"
        );
        self.children.insert(service, process);
    }

    fn kill(&mut self, service: &'static str) {
        self.children.remove(service).expect("running").kill();
    }
}

async fn channel(url: String, tls: &ClientTls) -> Channel {
    treaty_runtime::connect_with(&url, &treaty_runtime::ClientConfig::default(), Some(tls))
        .await
        .expect("a channel")
}

/// Listens to one recipient's inbox, reconnecting from its last cursor
/// whenever the stream breaks (the notification process gets killed).
async fn listen(url: String, tls: ClientTls, recipient: &'static str, got: Inbox) {
    let mut after = 0;
    let code = recipient
        .strip_prefix("states/")
        .expect("a state recipient");
    let inbox = format!("state:{code}:inbox");
    loop {
        let mut client = NotificationServiceClient::new(channel(url.clone(), &tls).await);
        if let Ok(stream) = client
            .subscribe(as_user(
                &format!("{code} treaty office"),
                &[&inbox],
                nt::SubscribeRequest {
                    recipient: recipient.to_owned(),
                    after_cursor: after,
                },
            ))
            .await
        {
            let mut stream = stream.into_inner();
            while let Ok(Some(msg)) = stream.message().await {
                after = msg.cursor;
                if let (Some(n), Ok(mut got)) = (msg.notice, got.lock()) {
                    got.push((msg.cursor, n.notice_id));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn baltic_and_polish_facts() -> (Facts, Facts) {
    let all = Facts::bundled();
    let consents = Facts {
        consents: all
            .consents
            .iter()
            .filter(|c| c.treaty == "apmbc")
            .cloned()
            .collect(),
        steps: Vec::new(),
    };
    let steps = Facts {
        consents: Vec::new(),
        steps: all
            .steps
            .iter()
            .filter(|s| s.treaty == "apmbc" && WITHDRAWING.contains(&s.state.as_str()))
            .cloned()
            .collect(),
    };
    (consents, steps)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_2025_withdrawals_survive_killed_processes_and_every_party_is_notified_exactly_once() {
    let mut cluster = Cluster::start();
    let (parties, withdrawals) = baltic_and_polish_facts();
    for s in SERVICES {
        cluster.children[s].serving().await;
    }
    let tls = cluster.tls();
    let loader = Loader::with_channels(
        channel(cluster.url("registry"), &tls).await,
        channel(cluster.url("approvals"), &tls).await,
    )
    .with_credentials(Minted::new(
        test_issuer().clone(),
        TEST_ISSUER,
        TEST_AUDIENCE,
    ));
    loader.create_treaties(&mut Quiet).await.expect("treaties");
    loader
        .load_facts(&parties, &mut Quiet)
        .await
        .expect("parties");

    let received: BTreeMap<&str, Inbox> = LISTENERS.iter().map(|r| (*r, Arc::default())).collect();
    for (r, got) in &received {
        tokio::spawn(listen(
            cluster.url("notification"),
            tls.clone(),
            r,
            got.clone(),
        ));
    }

    // Kill the notification service before the steps, and the audit service in
    // the middle of them; both come back while the workflow goes on.
    cluster.kill("notification");
    let half = Facts {
        consents: Vec::new(),
        steps: withdrawals
            .steps
            .iter()
            .filter(|s| s.kind < StepKind::HeadOfStateSigned)
            .cloned()
            .collect(),
    };
    loader
        .load_facts(&half, &mut Quiet)
        .await
        .expect("the first half of the steps");
    cluster.spawn("notification");
    cluster.kill("audit");
    loader
        .load_facts(&withdrawals, &mut Quiet)
        .await
        .expect("all the steps (the first half again, idempotently)");
    cluster.spawn("audit");

    let mut approvals = ApprovalsServiceClient::new(channel(cluster.url("approvals"), &tls).await);
    let cases = eventually("every withdrawal to take effect", async || {
        let list = approvals
            .list_withdrawals(ap::ListWithdrawalsRequest {
                treaty: "apmbc".into(),
                page_size: 10,
                ..Default::default()
            })
            .await
            .ok()?
            .into_inner();
        let effective = list
            .withdrawals
            .iter()
            .filter(|w| w.status() == ap::WithdrawalStatus::Effective)
            .count();
        (effective == WITHDRAWING.len()).then_some(list.withdrawals)
    })
    .await;
    let effective: BTreeMap<String, String> = cases
        .iter()
        .map(|w| {
            (
                w.state.clone(),
                w.effective_on
                    .as_ref()
                    .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(effective["EE"], "2025-12-27");
    assert_eq!(effective["LV"], "2025-12-27");
    assert_eq!(effective["LT"], "2025-12-27");
    assert_eq!(effective["PL"], "2026-02-20");

    // Each listener gets the deposit and the effect notice of each case, exactly once.
    let expected: Vec<String> = {
        let mut ids: Vec<String> = cases
            .iter()
            .flat_map(|w| {
                [
                    format!("{}-deposit", w.case_id),
                    format!("{}-effect", w.case_id),
                ]
            })
            .collect();
        ids.sort();
        ids
    };
    for (recipient, got) in &received {
        let ids = eventually("every notice at every listener", async || {
            let got = got.lock().ok()?.clone();
            let mut ids: Vec<String> = got.iter().map(|(_, id)| id.clone()).collect();
            ids.sort();
            (ids.len() >= expected.len()).then_some(ids)
        })
        .await;
        assert_eq!(ids, expected, "{recipient} got every notice exactly once");
    }

    // Every step is in the audit history, in the order the approvals service recorded it.
    let mut audit = AuditServiceClient::new(channel(cluster.url("audit"), &tls).await);
    for w in &cases {
        let state = w.state.clone();
        let steps = w.steps.len();
        let history = eventually("the audit log to catch up", async || {
            let h = audit
                .get_history(au::GetHistoryRequest {
                    state: state.clone(),
                    treaty: "apmbc".into(),
                    page_size: 1000,
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner();
            let of_case: Vec<au::Entry> = h
                .entries
                .into_iter()
                .filter(|e| e.source == "approvals")
                .collect();
            (of_case.iter().filter(|e| e.case_id == w.case_id).count() >= steps).then_some(of_case)
        })
        .await;
        let sequences: Vec<u64> = history.iter().map(|e| e.source_sequence).collect();
        assert!(
            sequences.windows(2).all(|p| p[0] < p[1]),
            "{state}: the history is in recorded order"
        );
        let dated: Vec<String> = history
            .iter()
            .filter(|e| e.case_id == w.case_id)
            .filter_map(|e| {
                e.occurred_on
                    .as_ref()
                    .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
            })
            .collect();
        assert!(
            dated.windows(2).all(|p| p[0] <= p[1]),
            "{state}: dates never go backwards: {dated:?}"
        );
        assert!(
            history.iter().all(|e| e.recorded_at.is_some()),
            "{state}: every step has its instant"
        );
        // Every step names the principal approvals authenticated: the state's own ministry
        // (or all four, for the joint statement), the depositary for the receipt, the
        // approvals scheduler for the effect — each with the issuer and key of its token.
        for e in &history {
            let p = e.principal.as_ref().expect("a recorded principal");
            assert_eq!(p.via, "approvals", "{e:?}");
            let own = format!("{}-foreign-ministry", state.to_ascii_lowercase());
            let joint = p.subject.ends_with("-foreign-ministries")
                && p.subject.contains(&state.to_ascii_lowercase());
            let expected = match e.kind.as_str() {
                "approvals.instrument_deposited" => "depositary".to_owned(),
                "approvals.withdrawal_took_effect" | "approvals.withdrawal_deferred" => {
                    String::new()
                }
                _ if joint => p.subject.clone(),
                _ => own,
            };
            assert_eq!(p.subject, expected, "{e:?}");
            if p.subject.is_empty() {
                assert_eq!(
                    (p.service.as_str(), p.task.as_str()),
                    ("approvals", "scheduler")
                );
            } else {
                assert_eq!(p.issuer, TEST_ISSUER);
                assert_eq!(p.key_id, test_issuer().kid());
            }
        }
    }
    // Every source ships (the notification service's shipper resumes after its restart).
    let report = eventually("every source to ship its journal", async || {
        let report = audit.verify(au::VerifyRequest {}).await.ok()?.into_inner();
        ["registry", "approvals", "notification"]
            .iter()
            .all(|source| {
                report
                    .sources
                    .iter()
                    .any(|s| s.source == *source && s.head_sequence > 0)
            })
            .then_some(report)
    })
    .await;
    assert!(report.ok, "{report:?}");
}
