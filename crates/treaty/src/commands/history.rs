//! `treaty history`: a state's recorded steps, from the audit log.

use serde_json::{Value, json};
use treaty_bundle::all_pages;
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};

use super::shared::{CliError, connect, json_date, print_json, show_date, table};
use crate::cli::HistoryArgs;

/// `treaty history`.
pub async fn run(args: HistoryArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint).await?;
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
                    "actor": e.actor, "principal": e.principal.as_ref().map(principal_json), "sources": e.sources, "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::String(e.details.clone())),
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
                e.principal.as_ref().map_or_else(|| e.actor.clone(), who),
                e.sources.first().cloned().unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &[
                "#",
                "OCCURRED ON",
                "TREATY",
                "STEP",
                "RECORDED BY",
                "SOURCE"
            ],
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

/// Who recorded a step, in a few words: `lt-mfa (token of treaty, key ed25519-…) via approvals`,
/// `the approvals service via registry`, `the approvals scheduler`.
fn who(p: &au::Principal) -> String {
    match (p.subject.as_str(), p.service.as_str(), p.task.as_str()) {
        ("", service, "") => format!("the {service} service via {}", p.via),
        ("", service, task) => format!("the {service} {task}"),
        ("anonymous", ..) => format!("anonymous via {}", p.via),
        (subject, ..) => format!(
            "{subject} (token of {}, key {}) via {}",
            p.issuer, p.key_id, p.via
        ),
    }
}

fn principal_json(p: &au::Principal) -> Value {
    json!({
        "subject": p.subject, "issuer": p.issuer, "key_id": p.key_id,
        "service": p.service, "task": p.task, "via": p.via,
    })
}
