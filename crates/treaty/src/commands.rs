//! The client subcommands: each is a few gRPC calls and a table (or JSON).

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};
use tonic::transport::Channel;
use treaty_bundle::all_pages;
use treaty_proto::approvals::{self as ap, approvals_service_client::ApprovalsServiceClient};
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};
use treaty_proto::google::r#type::Date as WireDate;
use treaty_proto::notification::{
    self as nt, notification_service_client::NotificationServiceClient,
};
use treaty_proto::registry::{self as reg, registry_service_client::RegistryServiceClient};
use treaty_proto::wire::date_to_wire;

use crate::cli::{
    HistoryArgs, NoticesArgs, PartiesArgs, StatusArgs, VerifyArgs, WatchArgs, WithdrawalsArgs,
};

/// What a client subcommand can fail with; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The suite could not be reached.
    #[error(
        "cannot reach the suite at {endpoint}: {reason} (start it with `treaty serve`, or pass --endpoint)"
    )]
    Unreachable {
        /// The endpoint tried.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// The suite answered with an error.
    #[error("{0}")]
    Refused(String),
    /// The audit log did not verify.
    #[error("the audit log does not verify")]
    NotVerified,
}

impl From<tonic::Status> for CliError {
    fn from(s: tonic::Status) -> Self {
        if s.code() == tonic::Code::Unavailable {
            return CliError::Refused(format!("the suite is unavailable: {}", s.message()));
        }
        CliError::Refused(format!("{:?}: {}", s.code(), s.message()))
    }
}

/// Connects to `endpoint` and checks that it answers.
pub async fn connect(endpoint: &str) -> Result<Channel, CliError> {
    let unreachable = |reason: String| CliError::Unreachable {
        endpoint: endpoint.to_owned(),
        reason,
    };
    let channel = treaty_runtime::connect(endpoint, &treaty_runtime::ClientConfig::default())
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    treaty_runtime::wait_until_serving(&channel, Duration::from_secs(5))
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    Ok(channel)
}

/// A wire date as `YYYY-MM-DD`, or `—` when unset.
pub fn show_date(d: Option<&WireDate>) -> String {
    d.map_or_else(
        || "—".to_owned(),
        |d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
    )
}

fn json_date(d: Option<&WireDate>) -> Value {
    d.map_or(Value::Null, |d| {
        json!(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
    })
}

/// An enum value's name without its `<ENUM>_` prefix, in lower case: `withdrawal_notified`.
pub fn short_name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix)
        .unwrap_or(full)
        .to_ascii_lowercase()
}

/// Renders rows as a left-aligned text table with a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<String>| {
        let last = cells.len() - 1;
        for (i, cell) in cells.into_iter().enumerate() {
            if i == last {
                out.push_str(&cell);
            } else {
                let _ = write!(out, "{cell:<w$}  ", w = widths[i]);
            }
        }
        out.push('\n');
    };
    line(header.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        line(row.clone());
    }
    out
}

fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// `treaty parties`.
pub async fn parties(args: PartiesArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint.endpoint).await?;
    let members = treaty_bundle::parties_as_of(channel, args.treaty.as_str(), args.as_of).await?;
    let as_of = members
        .first()
        .and_then(|m| m.as_of.as_ref())
        .map_or_else(|| "today".to_owned(), |d| show_date(Some(d)));
    if args.endpoint.json {
        let list: Vec<Value> = members.iter().map(membership_json).collect();
        print_json(
            &json!({ "treaty": args.treaty.as_str(), "as_of": as_of, "count": members.len(), "parties": list }),
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = members
        .iter()
        .map(|m| {
            let p = m.current_period.as_ref();
            vec![
                m.state.clone(),
                m.state_name.clone(),
                short_name(m.status().as_str_name(), "MEMBERSHIP_STATUS_"),
                show_date(p.and_then(|p| p.in_force_on.as_ref())),
                show_date(p.and_then(|p| p.withdrawal_effective_on.as_ref())),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "STATE",
                "NAME",
                "STATUS",
                "IN FORCE",
                "WITHDRAWAL EFFECTIVE"
            ],
            &rows
        )
    );
    println!(
        "{} parties to {} as of {as_of}",
        members.len(),
        args.treaty.as_str()
    );
    Ok(())
}

fn membership_json(m: &reg::Membership) -> Value {
    let p = m.current_period.as_ref();
    json!({
        "state": m.state,
        "name": m.state_name,
        "as_of": json_date(m.as_of.as_ref()),
        "status": short_name(m.status().as_str_name(), "MEMBERSHIP_STATUS_"),
        "is_party": m.is_party,
        "consent_kind": p.map(|p| short_name(p.consent_kind().as_str_name(), "CONSENT_KIND_")),
        "consented_on": json_date(p.and_then(|p| p.consented_on.as_ref())),
        "in_force_on": json_date(p.and_then(|p| p.in_force_on.as_ref())),
        "withdrawal_received_on": json_date(p.and_then(|p| p.withdrawal_received_on.as_ref())),
        "withdrawal_effective_on": json_date(p.and_then(|p| p.withdrawal_effective_on.as_ref())),
        "withdrawal_case": p.map(|p| p.withdrawal_case.clone()).filter(|c| !c.is_empty()),
        "suspensions": m.suspensions.iter().map(|s| json!({"claimed_on": json_date(s.claimed_on.as_ref()), "detail": s.detail})).collect::<Vec<_>>(),
    })
}

/// `treaty status`.
pub async fn status(args: StatusArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint.endpoint).await?;
    let m = RegistryServiceClient::new(channel)
        .get_membership(reg::GetMembershipRequest {
            treaty: args.treaty.as_str().to_owned(),
            state: args.state.as_str().to_owned(),
            as_of: args.as_of.map(date_to_wire),
        })
        .await?
        .into_inner()
        .membership
        .ok_or_else(|| CliError::Refused("the registry answered without a membership".into()))?;
    if args.endpoint.json {
        print_json(&membership_json(&m));
        return Ok(());
    }
    let p = m.current_period.as_ref();
    println!(
        "{} ({}) and {} as of {}:",
        m.state_name,
        m.state,
        m.treaty,
        show_date(m.as_of.as_ref())
    );
    println!(
        "  status:      {}",
        short_name(m.status().as_str_name(), "MEMBERSHIP_STATUS_")
    );
    if let Some(p) = p {
        println!(
            "  consent:     {} deposited {}",
            short_name(p.consent_kind().as_str_name(), "CONSENT_KIND_"),
            show_date(p.consented_on.as_ref())
        );
        println!("  in force:    {}", show_date(p.in_force_on.as_ref()));
        if p.withdrawal_received_on.is_some() {
            println!(
                "  withdrawal:  notice received {}, effective {}",
                show_date(p.withdrawal_received_on.as_ref()),
                show_date(p.withdrawal_effective_on.as_ref())
            );
        }
        if !p.withdrawal_deferred_by.is_empty() {
            println!("  deferred by: {}", p.withdrawal_deferred_by);
        }
    }
    for s in &m.suspensions {
        println!(
            "  suspension claimed {} (the state remains a party): {}",
            show_date(s.claimed_on.as_ref()),
            s.detail
        );
    }
    Ok(())
}

/// `treaty history`.
pub async fn history(args: HistoryArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint.endpoint).await?;
    let client = AuditServiceClient::new(channel);
    let treaty = args
        .treaty
        .as_ref()
        .map(|t| t.as_str().to_owned())
        .unwrap_or_default();
    let entries = all_pages(|page_token| {
        let mut client = client.clone();
        let request = au::GetHistoryRequest {
            state: args.state.as_str().to_owned(),
            treaty: treaty.clone(),
            page_size: 1000,
            page_token,
        };
        async move {
            let page = client.get_history(request).await?.into_inner();
            Ok((page.entries, page.next_page_token))
        }
    })
    .await?;
    if args.endpoint.json {
        let list: Vec<Value> = entries
            .iter()
            .map(|e| {
                json!({
                    "sequence": e.sequence, "source": e.source, "kind": e.kind, "treaty": e.treaty, "case_id": e.case_id,
                    "occurred_on": json_date(e.occurred_on.as_ref()), "recorded_at": e.recorded_at.as_ref().map(|t| t.to_string()),
                    "actor": e.actor, "sources": e.sources, "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::String(e.details.clone())),
                })
            })
            .collect();
        print_json(&json!({ "state": args.state.as_str(), "entries": list }));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.sequence.to_string(),
                show_date(e.occurred_on.as_ref()),
                e.treaty.clone(),
                e.kind.clone(),
                e.actor.clone(),
                e.sources.first().cloned().unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["#", "OCCURRED ON", "TREATY", "STEP", "ACTOR", "SOURCE"],
            &rows
        )
    );
    println!(
        "{} steps recorded for {} ({})",
        entries.len(),
        args.state.name(),
        args.state.as_str()
    );
    Ok(())
}

/// `treaty withdrawals`.
pub async fn withdrawals(args: WithdrawalsArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint.endpoint).await?;
    let client = ApprovalsServiceClient::new(channel);
    let treaty = args
        .treaty
        .as_ref()
        .map(|t| t.as_str().to_owned())
        .unwrap_or_default();
    let state = args
        .state
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let cases = all_pages(|page_token| {
        let mut client = client.clone();
        let request = ap::ListWithdrawalsRequest {
            treaty: treaty.clone(),
            state: state.clone(),
            page_size: 500,
            page_token,
            ..Default::default()
        };
        async move {
            let page = client.list_withdrawals(request).await?.into_inner();
            Ok((page.withdrawals, page.next_page_token))
        }
    })
    .await?;
    if args.endpoint.json {
        let list: Vec<Value> = cases
            .iter()
            .map(|w| {
                json!({
                    "case_id": w.case_id, "treaty": w.treaty, "state": w.state,
                    "status": short_name(w.status().as_str_name(), "WITHDRAWAL_STATUS_"),
                    "approved_on": json_date(w.approved_on.as_ref()), "received_on": json_date(w.received_on.as_ref()),
                    "expires_on": json_date(w.expires_on.as_ref()), "effective_on": json_date(w.effective_on.as_ref()),
                    "steps": w.steps.len(),
                })
            })
            .collect();
        print_json(&json!({ "withdrawals": list }));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = cases
        .iter()
        .map(|w| {
            vec![
                w.case_id.clone(),
                short_name(w.status().as_str_name(), "WITHDRAWAL_STATUS_"),
                show_date(w.approved_on.as_ref()),
                show_date(w.received_on.as_ref()),
                show_date(w.effective_on.as_ref()),
                w.steps.len().to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "CASE",
                "STATUS",
                "APPROVED",
                "RECEIVED",
                "EFFECTIVE",
                "STEPS"
            ],
            &rows
        )
    );
    Ok(())
}

/// `treaty notices`.
pub async fn notices(args: NoticesArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint.endpoint).await?;
    let client = NotificationServiceClient::new(channel);
    let list = all_pages(|page_token| {
        let mut client = client.clone();
        let request = nt::ListNoticesRequest {
            recipient: args.recipient.clone(),
            page_size: 500,
            page_token,
            ..Default::default()
        };
        async move {
            let page = client.list_notices(request).await?.into_inner();
            Ok((page.notices, page.next_page_token))
        }
    })
    .await?;
    if args.endpoint.json {
        print_json(
            &json!({ "recipient": args.recipient, "notices": list.iter().map(notice_json).collect::<Vec<_>>() }),
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|n| {
            vec![
                n.notice_id.clone(),
                short_name(n.kind().as_str_name(), "NOTICE_KIND_"),
                n.state.clone(),
                n.treaty.clone(),
                show_date(n.received_on.as_ref()),
                show_date(n.effective_on.as_ref()),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["NOTICE", "KIND", "STATE", "TREATY", "RECEIVED", "EFFECTIVE"],
            &rows
        )
    );
    println!("{} notices to {}", list.len(), args.recipient);
    Ok(())
}

fn notice_json(n: &nt::Notice) -> Value {
    json!({
        "notice_id": n.notice_id, "kind": short_name(n.kind().as_str_name(), "NOTICE_KIND_"), "treaty": n.treaty, "state": n.state,
        "case_id": n.case_id, "received_on": json_date(n.received_on.as_ref()), "circulated_on": json_date(n.circulated_on.as_ref()),
        "effective_on": json_date(n.effective_on.as_ref()), "recipient_count": n.recipient_count, "text": n.text,
    })
}

/// `treaty watch`: streams until interrupted (or `--count` notices).
pub async fn watch(args: WatchArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint.endpoint).await?;
    let mut stream = NotificationServiceClient::new(channel)
        .subscribe(nt::SubscribeRequest {
            recipient: args.recipient.clone(),
            after_cursor: args.after,
        })
        .await?
        .into_inner();
    let mut seen = 0;
    if !args.endpoint.json {
        eprintln!(
            "watching {} after cursor {} (Ctrl-C to stop)",
            args.recipient, args.after
        );
    }
    while args.count.is_none_or(|c| seen < c) {
        let Some(msg) = stream.message().await? else {
            break;
        };
        seen += 1;
        let Some(n) = msg.notice else { continue };
        if args.endpoint.json {
            println!(
                "{}",
                json!({ "cursor": msg.cursor, "notice": notice_json(&n) })
            );
        } else {
            println!(
                "#{} {} {} {} {} (received {}, effective {})",
                msg.cursor,
                n.notice_id,
                short_name(n.kind().as_str_name(), "NOTICE_KIND_"),
                n.state,
                n.treaty,
                show_date(n.received_on.as_ref()),
                show_date(n.effective_on.as_ref())
            );
        }
    }
    Ok(())
}

/// `treaty verify`: fails when the log does not verify.
pub async fn verify(args: VerifyArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint.endpoint).await?;
    let r = AuditServiceClient::new(channel)
        .verify(au::VerifyRequest {})
        .await?
        .into_inner();
    let problem = |p: &au::Problem| {
        format!(
            "{} at {}: {}",
            short_name(p.kind().as_str_name(), "PROBLEM_KIND_"),
            p.sequence,
            p.detail
        )
    };
    if args.endpoint.json {
        print_json(&json!({
            "ok": r.ok, "checked": r.checked, "head_sequence": r.head_sequence,
            "problem": r.problem.as_ref().map(problem),
            "sources": r.sources.iter().map(|s| json!({"source": s.source, "head_sequence": s.head_sequence, "problem": s.problem.as_ref().map(problem)})).collect::<Vec<_>>(),
        }));
    } else {
        println!(
            "audit log: {} entries checked, head {}: {}",
            r.checked,
            r.head_sequence,
            r.problem
                .as_ref()
                .map_or_else(|| "intact".to_owned(), problem)
        );
        for s in &r.sources {
            println!(
                "  {:<13} {:>7} entries: {}",
                s.source,
                s.head_sequence,
                s.problem
                    .as_ref()
                    .map_or_else(|| "intact".to_owned(), problem)
            );
        }
    }
    if r.ok {
        Ok(())
    } else {
        Err(CliError::NotVerified)
    }
}
