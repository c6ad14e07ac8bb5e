//! `treaty demo`: the 2025 withdrawals from the Ottawa Convention (and
//! Lithuania's 2024 withdrawal from the Convention on Cluster Munitions),
//! replayed with their real dates through the public API of a suite started in
//! this process (or a running one, with `--endpoint`), while every party
//! listens for the notices.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tonic::transport::Channel;
use treaty_auth::Permission;
use treaty_bundle::{Facts, Loader, Minted};
use treaty_domain::Recipient;
use treaty_node::LocalNode;
use treaty_proto::approvals::{self as ap, approvals_service_client::ApprovalsServiceClient};
use treaty_proto::notification::{
    self as nt, notification_service_client::NotificationServiceClient,
};
use treaty_runtime::Bearer;

use super::import::Printed;
use super::keys::Keys;
use super::shared::{connect_url, issuer_key, minted, short_name, show_date, table};
use super::{history, log, verify};
use crate::cli::{DemoArgs, Endpoint, LogCommand, LogExportArgs, LogVerifyArgs, VerifyArgs};

/// Notices received, per recipient: the set of notice ids (exactly-once from the
/// recipient's view means each id once).
type Inboxes = Arc<Mutex<BTreeMap<String, BTreeMap<String, u32>>>>;

/// The dates at which the demo counts the Ottawa parties.
const COUNT_DATES: [(i16, i8, i8, &str); 6] = [
    (2025, 3, 17, "the day before the joint statement"),
    (2025, 6, 26, "the day before the Baltic deposits"),
    (
        2025,
        12,
        26,
        "the day before the Baltic withdrawals take effect",
    ),
    (2025, 12, 27, "Estonia, Latvia and Lithuania have left"),
    (2026, 1, 10, "Finland has left"),
    (2026, 2, 20, "Poland has left"),
];

/// Runs the demo.
pub async fn run(args: DemoArgs) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let (endpoint, ca, key, suite) = match args.endpoint {
        Some(e) => {
            let key = issuer_key(args.issuer_key.as_deref())?.ok_or(
                "the demo records steps as each actor: pass --issuer-key, the running suite's token issuer key",
            )?;
            (e, args.ca, key, None)
        }
        None => {
            let _ = treaty_runtime::init_tracing(
                &std::env::var("TREATY_LOG").unwrap_or_else(|_| "error".into()),
                treaty_runtime::LogFormat::Plain,
            );
            let suite = LocalNode::builder()
                .configure(|c| c.scheduler_tick = Duration::from_millis(50))
                .start()
                .await?;
            let dev = suite.dev()?;
            let key = dev
                .issuer()
                .cloned()
                .ok_or("the in-process suite made no development issuer")?;
            (suite.tls_url(), Some(dev.ca()), key, Some(suite))
        }
    };
    // The log's key the demo checks the log with at the end: given, or the in-process
    // suite's development key (never the server's word for it).
    let log_key = match (&args.log_key, &suite) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(suite)) => Some(
            treaty_transparency::LogKey::from_private(&std::fs::read_to_string(
                treaty_node::log::dev_key_path(suite.data_dir()),
            )?)?
            .verifier_key()
            .to_owned(),
        ),
        (None, None) => None,
    };
    println!("treaty demo: the suite is at {endpoint}, each actor with its own token");
    let channel = connect_url(&endpoint, ca.as_deref()).await?;
    let tls = ca
        .as_deref()
        .map(treaty_runtime::tls::ClientTls::load)
        .transpose()?;
    let facts = Facts::bundled();

    // Every state that appears in the bundled data listens, plus the depositary and the Security Council.
    let mut recipients: BTreeSet<String> = facts
        .consents
        .iter()
        .map(|c| format!("states/{}", c.state.as_str()))
        .collect();
    recipients.insert("depositary".to_owned());
    recipients.insert("un-security-council".to_owned());
    let inboxes: Inboxes = Arc::default();
    let auth = treaty_runtime::Config::from_env()?.auth;
    for r in &recipients {
        // Each recipient streams its own inbox with its own inbox permission, so its
        // deliveries are recorded.
        let permission = Recipient::parse(r).map(Permission::inbox_of)?;
        let token = key.issue(
            &auth.issuer,
            &auth.audience,
            &format!("{r} inbox"),
            &[permission],
            jiff::Timestamp::now().as_second(),
            Minted::TTL,
        );
        // Each party is its own client, on its own connection (one connection carries at most
        // TREATY_MAX_STREAMS_PER_CONNECTION streams).
        let own = treaty_runtime::connect_with(
            &endpoint,
            &treaty_runtime::ClientConfig::default(),
            tls.as_ref(),
        )
        .await?;
        tokio::spawn(listen(own, Bearer::new(token), r.clone(), inboxes.clone()));
    }
    println!(
        "{} recipients subscribed to their inboxes\n",
        recipients.len()
    );

    println!("Loading the treaties, their parties and the recorded steps through the public API:");
    let loader = Loader::new(channel.clone()).with_credentials(minted(key)?);
    loader.load_bundle(&mut Printed::default()).await?;

    let cases = wait_for_effects(channel.clone(), facts.withdrawal_cases().len()).await?;
    println!();
    for w in &cases {
        print_timeline(w);
    }

    let notices = wait_for_deliveries(channel.clone(), &inboxes, 2 * cases.len()).await?;
    println!("Notices (each counted once per recipient, by notice id):");
    let rows: Vec<Vec<String>> = notices
        .iter()
        .map(|(n, got)| {
            vec![
                n.notice_id.clone(),
                short_name(n.kind().as_str_name(), "NOTICE_KIND_"),
                show_date(n.received_on.as_ref()),
                show_date(n.effective_on.as_ref()),
                format!("{got}/{}", n.recipient_count),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["NOTICE", "KIND", "RECEIVED", "EFFECTIVE", "DELIVERED"],
            &rows
        )
    );
    let duplicates: u32 = inboxes
        .lock()
        .map(|i| {
            i.values()
                .flat_map(|m| m.values())
                .filter(|c| **c > 1)
                .count() as u32
        })
        .unwrap_or(0);
    println!("duplicates seen by any recipient: {duplicates}\n");

    println!("Parties to the Ottawa Convention (apmbc):");
    let mut rows = Vec::new();
    for (y, m, d, why) in COUNT_DATES {
        let date = jiff::civil::date(y, m, d);
        let parties = treaty_bundle::parties_as_of(channel.clone(), "apmbc", Some(date)).await?;
        rows.push(vec![
            date.to_string(),
            parties.len().to_string(),
            why.to_owned(),
        ]);
    }
    print!("{}", table(&["AS OF", "PARTIES", ""], &rows));

    println!();
    verify::run(VerifyArgs {
        endpoint: Endpoint {
            endpoint: endpoint.clone(),
            ca: ca.clone(),
            tls_server_name: None,
            token: None,
            token_file: None,
            json: false,
        },
    })
    .await?;
    println!();
    verify_offline(&endpoint, ca.as_deref(), log_key.as_deref()).await?;
    println!("\ndone in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// The demo's last word: the log exported as tlog-tiles and verified offline against the
/// log's key alone, then Poland's history proved complete against it.
async fn verify_offline(
    endpoint: &str,
    ca: Option<&std::path::Path>,
    log_key: Option<&str>,
) -> Result<(), Box<dyn Error>> {
    let at = Endpoint {
        endpoint: endpoint.to_owned(),
        ca: ca.map(std::path::Path::to_path_buf),
        tls_server_name: None,
        token: None,
        token_file: None,
        json: false,
    };
    let out = std::env::temp_dir().join(format!("treaty-demo-export-{}", std::process::id()));
    println!(
        "Anyone can check the record without us: the log, exported as static tiles, verified offline:"
    );
    log::run(LogCommand::Export(LogExportArgs {
        endpoint: at.clone(),
        out: out.clone(),
    }))
    .await?;
    log::run(LogCommand::Verify(LogVerifyArgs {
        dir: out.clone(),
        log_key: log_key.map(str::to_owned),
        witnesses: Vec::new(),
        need_witnesses: 0,
        json: false,
    }))
    .await?;
    let poland = treaty_domain::StateCode::parse("PL")?;
    let keys = Keys::new(log_key, &[], 0)?;
    let (entries, complete) = history::fetch(&at, poland, None, Some(&keys)).await?;
    println!(
        "\nPoland's history ({} steps, its notices' deliveries among them; `treaty history PL --verify` lists them): {}",
        entries.len(),
        complete
            .as_ref()
            .map_or_else(String::new, history::complete_line)
    );
    // The export was the check's input; it is left for a reader only when asked.
    if let Err(e) = std::fs::remove_dir_all(&out) {
        eprintln!("treaty demo: cannot remove {}: {e}", out.display());
    }
    Ok(())
}

async fn listen(channel: Channel, bearer: Bearer, recipient: String, inboxes: Inboxes) {
    let mut client = NotificationServiceClient::new(channel);
    let Ok(stream) = client
        .subscribe(bearer.request(nt::SubscribeRequest {
            recipient: recipient.clone(),
            after_cursor: 0,
        }))
        .await
    else {
        return;
    };
    let mut stream = stream.into_inner();
    while let Ok(Some(msg)) = stream.message().await {
        if let (Some(n), Ok(mut inboxes)) = (msg.notice, inboxes.lock()) {
            *inboxes
                .entry(recipient.clone())
                .or_default()
                .entry(n.notice_id)
                .or_default() += 1;
        }
    }
}

/// Waits (showing progress) until the scheduler has recorded every case's effect.
async fn wait_for_effects(
    channel: Channel,
    expected: usize,
) -> Result<Vec<ap::Withdrawal>, Box<dyn Error>> {
    let mut client = ApprovalsServiceClient::new(channel);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = client
            .list_withdrawals(ap::ListWithdrawalsRequest {
                page_size: 100,
                ..Default::default()
            })
            .await?
            .into_inner();
        let effective = list
            .withdrawals
            .iter()
            .filter(|w| w.status() == ap::WithdrawalStatus::Effective)
            .count();
        eprint!("\r  effects recorded by the scheduler: {effective}/{expected}");
        if effective >= expected {
            eprintln!();
            let mut cases = list.withdrawals;
            cases.sort_by_key(|w| {
                (
                    w.received_on.as_ref().map(|d| (d.year, d.month, d.day)),
                    w.state.clone(),
                )
            });
            return Ok(cases);
        }
        if Instant::now() > deadline {
            return Err("the scheduler did not record every effect within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn print_timeline(w: &ap::Withdrawal) {
    let name = treaty_domain::StateCode::parse(&w.state)
        .map(|s| s.name())
        .unwrap_or("");
    println!(
        "{name} ({}) leaves {}: case {}",
        w.state, w.treaty, w.case_id
    );
    for s in &w.steps {
        let what = short_name(s.kind().as_str_name(), "STEP_KIND_").replace('_', " ");
        let vote = s.vote.as_ref().map(|v| match (v.yes, v.no) {
            (Some(y), Some(n)) => format!(
                " — {}: {y} for, {n} against{}",
                v.chamber,
                v.abstain
                    .map(|a| format!(", {a} abstaining"))
                    .unwrap_or_default()
            ),
            _ => format!(
                " — {}: reported {}",
                v.chamber,
                if v.passed { "passed" } else { "failed" }
            ),
        });
        let on = s
            .occurred_on
            .as_ref()
            .map_or_else(|| "(undated)".to_owned(), |d| show_date(Some(d)));
        println!("  {on:<11} {what}{}", vote.unwrap_or_default());
    }
    println!();
}

/// Waits until the `expected` notices (a deposit and an effect per case) are
/// published and each reached all of its recipients' streams.
async fn wait_for_deliveries(
    channel: Channel,
    inboxes: &Inboxes,
    expected: usize,
) -> Result<Vec<(nt::Notice, usize)>, Box<dyn Error>> {
    let mut client = NotificationServiceClient::new(channel);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let notices = client
            .list_notices(nt::ListNoticesRequest {
                page_size: 1000,
                ..Default::default()
            })
            .await?
            .into_inner()
            .notices;
        let counted: Vec<(nt::Notice, usize)> = {
            let inboxes = inboxes.lock().map_err(|_| "a listener panicked")?;
            notices
                .into_iter()
                .map(|n| {
                    let got = inboxes
                        .values()
                        .filter(|m| m.contains_key(&n.notice_id))
                        .count();
                    (n, got)
                })
                .collect()
        };
        let complete = counted
            .iter()
            .filter(|(n, got)| *got as u32 >= n.recipient_count)
            .count();
        eprint!("\r  notices delivered to every recipient: {complete}/{expected}");
        if counted.len() >= expected && complete == counted.len() {
            eprintln!("\n");
            return Ok(counted);
        }
        if Instant::now() > deadline {
            eprintln!();
            return Ok(counted);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
