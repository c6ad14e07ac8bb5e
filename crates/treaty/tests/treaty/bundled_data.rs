//! The real treaties as shipped: `treaty serve` loads them once into an empty
//! data directory, the registry answers as of any date as the data files say,
//! `treaty import` refuses a bad file whole, and `treaty demo` tells the story.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tonic::transport::Channel;
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};
use treaty_proto::registry::{self as reg, registry_service_client::RegistryServiceClient};
use treaty_proto::wire::date_to_wire;
use treaty_testkit::{TreatyProcess, eventually};

fn serve(dir: &Path) -> TreatyProcess {
    let dir = dir.to_str().expect("a UTF-8 path");
    TreatyProcess::spawn(
        env!("CARGO_BIN_EXE_treaty"),
        ["serve", "--listen", "127.0.0.1:0", "--data-dir", dir],
        [
            ("TREATY_DURABILITY", "flush"),
            ("TREATY_SCHEDULER_TICK_MS", "50"),
        ],
    )
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_treaty"))
        .args(args)
        .output()
        .expect("the binary runs")
}

async fn parties(
    r: &mut RegistryServiceClient<Channel>,
    treaty: &str,
    y: i16,
    m: i8,
    d: i8,
) -> usize {
    let mut n = 0;
    let mut token = String::new();
    loop {
        let page = r
            .list_members(reg::ListMembersRequest {
                treaty: treaty.into(),
                as_of: Some(date_to_wire(jiff::civil::date(y, m, d))),
                parties_only: true,
                page_size: 100,
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("list members")
            .into_inner();
        n += page.members.len();
        if page.next_page_token.is_empty() {
            return n;
        }
        token = page.next_page_token;
    }
}

async fn status(
    r: &mut RegistryServiceClient<Channel>,
    state: &str,
    y: i16,
    m: i8,
    d: i8,
) -> reg::Membership {
    r.get_membership(reg::GetMembershipRequest {
        treaty: "apmbc".into(),
        state: state.into(),
        as_of: Some(date_to_wire(jiff::civil::date(y, m, d))),
    })
    .await
    .expect("membership")
    .into_inner()
    .membership
    .expect("a membership")
}

async fn journal_heads(url: &str) -> Vec<(String, u64)> {
    let channel = treaty_runtime::connect(url, &treaty_runtime::ClientConfig::default())
        .await
        .expect("channel");
    let report = AuditServiceClient::new(channel)
        .verify(au::VerifyRequest {})
        .await
        .expect("verify")
        .into_inner();
    assert!(report.ok, "{report:?}");
    report
        .sources
        .into_iter()
        .map(|s| (s.source, s.head_sequence))
        .collect()
}

fn loaded(dir: &Path) -> bool {
    dir.join(treaty_bundle::BUNDLE_MARKER).exists()
}

/// Waits until the load and everything it set in motion has finished: every
/// bundled case took effect, its 12 notices are out, and the audit log has
/// stopped growing. Returns each source's journal head in the audit log.
async fn settled(dir: &Path, url: &str) -> Vec<(String, u64)> {
    use treaty_proto::approvals::{self as ap, approvals_service_client::ApprovalsServiceClient};
    use treaty_proto::notification::{
        self as nt, notification_service_client::NotificationServiceClient,
    };
    eventually("the bundled data to load", async || {
        loaded(dir).then_some(())
    })
    .await;
    let channel = treaty_runtime::connect(url, &treaty_runtime::ClientConfig::default())
        .await
        .expect("channel");
    let mut approvals = ApprovalsServiceClient::new(channel.clone());
    let mut notification = NotificationServiceClient::new(channel);
    eventually(
        "every case to take effect and its notices to go out",
        async || {
            let cases = approvals
                .list_withdrawals(ap::ListWithdrawalsRequest {
                    page_size: 100,
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner();
            let effective = cases
                .withdrawals
                .iter()
                .all(|w| w.status() == ap::WithdrawalStatus::Effective);
            let notices = notification
                .list_notices(nt::ListNoticesRequest {
                    page_size: 100,
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner();
            (cases.withdrawals.len() == 6 && effective && notices.notices.len() == 12).then_some(())
        },
    )
    .await;
    eventually("the audit log to stop growing", async || {
        let a = journal_heads(url).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let b = journal_heads(url).await;
        (a == b).then_some(b)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundled_treaties_answer_as_of_any_date_and_load_only_once() {
    let dir = tempfile::tempdir().expect("a data directory");
    let served = serve(dir.path());
    let mut r = RegistryServiceClient::new(served.serving().await);
    eventually("the bundled data to load", async || {
        loaded(dir.path()).then_some(())
    })
    .await;

    // Lithuania: a party before its notice, notified after it, withdrawn after the effect.
    let lt = eventually("the registry to record Lithuania's notice", async || {
        let m = status(&mut r, "LT", 2025, 7, 1).await;
        (m.status() == reg::MembershipStatus::WithdrawalNotified).then_some(m)
    })
    .await;
    let effective = lt
        .current_period
        .and_then(|p| p.withdrawal_effective_on)
        .expect("an effective date");
    assert_eq!(
        (effective.year, effective.month, effective.day),
        (2025, 12, 27)
    );
    assert_eq!(
        status(&mut r, "LT", 2025, 6, 1).await.status(),
        reg::MembershipStatus::Party
    );
    assert_eq!(
        status(&mut r, "LT", 2026, 1, 1).await.status(),
        reg::MembershipStatus::Withdrawn
    );
    let fi = eventually("Finland's withdrawal", async || {
        let m = status(&mut r, "FI", 2026, 2, 1).await;
        (m.status() == reg::MembershipStatus::Withdrawn).then_some(m)
    })
    .await;
    assert!(!fi.is_party);
    let ua = status(&mut r, "UA", 2026, 1, 1).await;
    assert_eq!(
        ua.status(),
        reg::MembershipStatus::Party,
        "a claimed suspension is not a withdrawal"
    );
    assert!(ua.is_party && ua.suspensions.len() == 1, "{ua:?}");
    assert!(
        !ua.suspensions[0].sources.is_empty(),
        "the claim carries its sources"
    );

    // Party counts, as the data files give them (in force: Art. 17(2)).
    // 166 states deposited consent to the Ottawa Convention; the Marshall
    // Islands (12 Mar 2025) and Tonga (25 Jun 2025) are bound from 1 Sep and
    // 1 Dec 2025; EE, LV, LT leave on 27 Dec 2025, FI on 10 Jan 2026, PL on
    // 20 Feb 2026, leaving 161 (SOURCES.md).
    eventually("Poland's notice", async || {
        (status(&mut r, "PL", 2025, 9, 1).await.status()
            == reg::MembershipStatus::WithdrawalNotified)
            .then_some(())
    })
    .await;
    assert_eq!(parties(&mut r, "apmbc", 2025, 3, 17).await, 164);
    assert_eq!(parties(&mut r, "apmbc", 2025, 9, 1).await, 165);
    assert_eq!(parties(&mut r, "apmbc", 2025, 12, 26).await, 166);
    assert_eq!(parties(&mut r, "apmbc", 2025, 12, 27).await, 163);
    assert_eq!(parties(&mut r, "apmbc", 2026, 1, 10).await, 162);
    assert_eq!(parties(&mut r, "apmbc", 2026, 2, 20).await, 161);
    // 113 states deposited consent to the CCM; Lithuania leaves on 6 Mar 2025;
    // Vanuatu (5 Sep 2025) is bound from 1 Mar 2026: 112 at the end (SOURCES.md).
    assert_eq!(parties(&mut r, "ccm", 2025, 3, 5).await, 112);
    assert_eq!(parties(&mut r, "ccm", 2025, 3, 6).await, 111);
    assert_eq!(parties(&mut r, "ccm", 2026, 3, 1).await, 112);

    // A restart loads nothing again, and neither does an explicit re-import.
    let before = settled(dir.path(), &served.url()).await;
    served.kill();
    let served = serve(dir.path());
    served.serving().await;
    // Over TLS, each actor with a token of the issuer `serve` created: the same principals
    // as the first load, so every request id is theirs and answers from memory.
    let ca = dir.path().join("tls/ca.crt");
    let key = dir.path().join("auth/issuer.key");
    let out = cli(&[
        "import",
        "--bundled",
        "--endpoint",
        &served.tls_url(),
        "--ca",
        ca.to_str().expect("a UTF-8 path"),
        "--issuer-key",
        key.to_str().expect("a UTF-8 path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = journal_heads(&served.url()).await;
    assert_eq!(
        after.iter().find(|s| s.0 == "registry"),
        before.iter().find(|s| s.0 == "registry"),
        "the registry recorded nothing twice"
    );
    assert_eq!(
        after.iter().find(|s| s.0 == "approvals"),
        before.iter().find(|s| s.0 == "approvals"),
        "approvals recorded nothing twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_with_a_bad_row_is_refused_whole_with_its_line_numbers() {
    let dir = tempfile::tempdir().expect("a data directory");
    let served = serve(dir.path());
    served.serving().await;
    let before = settled(dir.path(), &served.url()).await;

    let csv = dir.path().join("new_parties.csv");
    std::fs::write(
        &csv,
        "iso2,iso3,name,signed,consent_to_be_bound,consent_kind,source\n\
         SO,SOM,Somalia,1997-12-03,2012-04-16,ratification,a source\n\
         XX,XXX,Nowhere,,2025-01-01,accession,a source\n\
         SS,SSD,South Sudan,,2011-11-11,succession,a source\n\
         TV,TUV,Tuvalu,,2025-02-30,accession,a source\n",
    )
    .expect("write the CSV");
    let out = cli(&[
        "import",
        "--treaty",
        "apmbc",
        "--endpoint",
        &served.url(),
        csv.to_str().expect("utf-8 path"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("new_parties.csv:3: ") && err.contains("new_parties.csv:5: "),
        "{err}"
    );
    assert!(
        !err.contains("new_parties.csv:2: ") && !err.contains("new_parties.csv:4: "),
        "{err}"
    );
    assert!(err.contains("nothing from this file is loaded"), "{err}");
    assert_eq!(
        journal_heads(&served.url()).await,
        before,
        "nothing was recorded"
    );
}

#[test]
fn the_demo_replays_the_2025_withdrawals_with_real_dates_and_counts() {
    let out = Command::new(env!("CARGO_BIN_EXE_treaty"))
        .arg("demo")
        .env("TREATY_LOG", "error")
        .output()
        .expect("the demo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "Estonia (EE) leaves apmbc",
        "Poland (PL) leaves apmbc",
        "2025-03-18  recommended",
        "2025-05-08  chamber vote — Seimas: 107 for, 0 against, 3 abstaining",
        "2025-06-27  instrument deposited",
        "2025-12-27  took effect",
        "2026-02-20  took effect",
        "apmbc-PL-1-deposit  deposit  2025-08-20  2026-02-20  167/167",
        "duplicates seen by any recipient: 0",
        "2026-02-20  161",
        "intact",
        // It ends by checking its own log as anyone could: offline, from an export, and
        // Poland's history with its completeness proof, against the log's key alone.
        "verified offline: ",
        "Poland's history (",
        "complete as of checkpoint ",
    ] {
        assert!(
            stdout.contains(expected),
            "the demo prints {expected:?}:\n{stdout}"
        );
    }
}
