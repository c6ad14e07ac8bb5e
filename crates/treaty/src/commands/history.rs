//! `treaty history`: a state's recorded steps, from the audit log, and with `--verify` the
//! proof that none is left out, checked against the log's key alone.

use serde_json::{Value, json};
use treaty_bundle::all_pages;
use treaty_domain::{HistoryKey, StateCode, TreatyId};
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};
use treaty_transparency::checkpoint::Checkpoint;

use super::keys::Keys;
use super::shared::{CliError, connect, json_date, print_json, show_date, table};
use crate::cli::{Endpoint, HistoryArgs};

/// `treaty history`.
pub async fn run(args: HistoryArgs) -> Result<(), CliError> {
    // Read the keys first: a missing one is said before anything is fetched.
    let keys = if args.verify {
        Some(Keys::new(
            args.log_key.as_deref(),
            &args.witnesses,
            args.need_witnesses,
        )?)
    } else {
        None
    };
    let (entries, complete) = fetch(
        &args.endpoint,
        args.state,
        args.treaty.as_ref(),
        keys.as_ref(),
    )
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
        let mut out = json!({ "state": args.state.as_str(), "entries": list });
        if let Some(c) = &complete {
            out["complete_as_of"] = json!({
                "origin": c.origin, "size": c.size, "root": root_line(c),
                "cosigned_by": c.cosigned_by.iter().map(|(name, time)| json!({"witness": name, "time": time})).collect::<Vec<_>>(),
            });
        }
        print_json(&out);
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
    if let Some(c) = &complete {
        println!("{}", complete_line(c));
    }
    Ok(())
}

/// A state's history (one treaty's, if given), every page; with `keys`, proved complete
/// against them: the checkpoint it is complete as of, or exactly what is wrong.
pub(crate) async fn fetch(
    endpoint: &Endpoint,
    state: StateCode,
    treaty: Option<&TreatyId>,
    keys: Option<&Keys>,
) -> Result<(Vec<au::Entry>, Option<Checkpoint>), CliError> {
    let channel = connect(endpoint).await?;
    let client = AuditServiceClient::new(channel);
    let treaty_name = treaty.map(|t| t.as_str().to_owned()).unwrap_or_default();
    let pages = all_pages(|page_token| {
        let mut client = client.clone();
        let request = au::GetHistoryRequest {
            state: state.as_str().to_owned(),
            treaty: treaty_name.clone(),
            page_size: 1000,
            page_token,
            with_proof: keys.is_some(),
        };
        async move {
            let page = client.get_history(request).await?.into_inner();
            Ok((vec![(page.entries, page.proof)], page.next_page_token))
        }
    })
    .await?;
    let (entries, proofs): (Vec<Vec<au::Entry>>, Vec<Option<au::HistoryProof>>) =
        pages.into_iter().unzip();
    let entries: Vec<au::Entry> = entries.into_iter().flatten().collect();
    let complete = match keys {
        None => None,
        Some(keys) => {
            let key = HistoryKey::of_state(state.as_str(), treaty.map(|t| t.as_str())).key();
            Some(verify(&key, keys, &proofs, &entries).map_err(|reason| {
                CliError::Refused(format!(
                    "the history of {} is NOT proved complete: {reason}",
                    state.as_str()
                ))
            })?)
        }
    };
    Ok((entries, complete))
}

/// `complete as of checkpoint N of <origin> (root …, cosigned by …)`.
pub(crate) fn complete_line(c: &Checkpoint) -> String {
    let cosigned = if c.cosigned_by.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = c.cosigned_by.iter().map(|(n, _)| n.as_str()).collect();
        format!(", cosigned by {}", names.join(", "))
    };
    format!(
        "complete as of checkpoint {} of {} (root {}{cosigned})",
        c.size,
        c.origin,
        root_line(c)
    )
}

/// Checks the proofs of every page against the keys, and that the entries listed are the
/// proved ones; `Err` says exactly what is wrong or missing.
fn verify(
    key: &str,
    keys: &Keys,
    proofs: &[Option<au::HistoryProof>],
    entries: &[au::Entry],
) -> Result<Checkpoint, String> {
    let pages: Vec<au::HistoryProof> = proofs
        .iter()
        .enumerate()
        .map(|(n, p)| {
            p.clone()
                .ok_or_else(|| format!("page {} of the answer carries no proof", n + 1))
        })
        .collect::<Result<_, _>>()?;
    let proof = treaty_audit::wire::read_history_proof(&pages)?;
    if proof.key != key {
        return Err(format!(
            "the proof is of history {}, not of {key} that was asked for",
            proof.key
        ));
    }
    let complete =
        treaty_transparency::history::verify(&proof, &keys.log, &keys.witnesses, keys.needed)
            .map_err(|e| e.to_string())?;
    if complete.records.len() != entries.len() {
        return Err(format!(
            "the answer lists {} entries but proves {}",
            entries.len(),
            complete.records.len()
        ));
    }
    for (listed, record) in entries.iter().zip(&complete.records) {
        if *listed != treaty_audit::wire::entry(record) {
            return Err(format!(
                "log entry {} as listed is not the entry its proved leaf holds",
                record.sequence
            ));
        }
    }
    Ok(complete.checkpoint)
}

/// The root hash as the checkpoint's third line writes it (base64).
fn root_line(c: &Checkpoint) -> String {
    String::from_utf8_lossy(&c.text)
        .lines()
        .nth(2)
        .unwrap_or_default()
        .to_owned()
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
