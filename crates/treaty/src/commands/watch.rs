//! `treaty watch`: a recipient's notices, streamed live; with `--verify`, each checked
//! against the log's key by the proof it carries.

use serde_json::json;
use treaty_proto::notification::{
    self as nt, notification_service_client::NotificationServiceClient,
};

use treaty_transparency::Checkpoint;
use treaty_transparency::receipt::{Receipt, RecipientKey};

use super::keys::Keys;
use super::shared::{CliError, bearer, connect, notice_json, short_name, show_date};
use crate::cli::WatchArgs;

/// `treaty watch`: streams until interrupted (or `--count` notices).
pub async fn run(args: WatchArgs) -> Result<(), CliError> {
    let keys = args
        .verify
        .then(|| {
            Keys::new(
                args.log_key.as_deref(),
                &args.witnesses,
                args.need_witnesses,
            )
        })
        .transpose()?;
    let receipt_key = args
        .receipt_key
        .as_ref()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Refused(format!(
                    "cannot read the receipt key {}: {e}",
                    path.display()
                ))
            })?;
            let key = RecipientKey::from_private(&text).map_err(|e| {
                CliError::Refused(format!("the receipt key {}: {e}", path.display()))
            })?;
            if key.recipient() != args.recipient {
                return Err(CliError::Refused(format!(
                    "the receipt key {} is {}'s, not {}'s",
                    path.display(),
                    key.recipient(),
                    args.recipient
                )));
            }
            Ok(key)
        })
        .transpose()?;
    let channel = connect(&args.endpoint).await?;
    let mut inbox = NotificationServiceClient::new(channel.clone());
    // With the recipient's own token (its inbox permission) the stream records deliveries;
    // without one it only reads.
    let mut stream = NotificationServiceClient::new(channel)
        .subscribe(bearer(&args.endpoint)?.request(nt::SubscribeRequest {
            recipient: args.recipient.clone(),
            after_cursor: args.after,
        }))
        .await?
        .into_inner();
    let mut seen = 0;
    let mut unverified = 0;
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
        let verdict = keys.as_ref().map(|k| check(&n, k));
        if verdict.as_ref().is_some_and(Result::is_err) {
            unverified += 1;
        }
        if args.endpoint.json {
            let mut line = json!({ "cursor": msg.cursor, "notice": notice_json(&n) });
            if let Some(v) = &verdict {
                line["verified"] = match v {
                    Ok(how) => json!({ "ok": true, "leaf_index": how.0, "checkpoint": how.1.size }),
                    Err(why) => json!({ "ok": false, "reason": why }),
                };
            }
            println!("{line}");
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
            match &verdict {
                Some(Ok((leaf, c))) => println!(
                    "  verified: its step is log entry {} in the signed checkpoint of {}",
                    leaf + 1,
                    c.size
                ),
                Some(Err(why)) => println!("  does NOT verify: {why}"),
                None => {}
            }
        }
        if args.acknowledge {
            // A receipt only of what verified: it names the leaf and checkpoint checked.
            let receipt = match (&receipt_key, &verdict) {
                (Some(key), Some(Ok((leaf, c)))) => Some(key.sign(&Receipt {
                    recipient: args.recipient.clone(),
                    notice_id: n.notice_id.clone(),
                    leaf_index: *leaf,
                    tree_size: c.size,
                    root: c.root,
                })),
                _ => None,
            };
            let signed = receipt.is_some();
            let request = nt::AcknowledgeRequest {
                request_id: String::new(),
                recipient: args.recipient.clone(),
                notice_id: n.notice_id.clone(),
                receipt: receipt.unwrap_or_default(),
            };
            acknowledge(&mut inbox, &args, request).await?;
            if !args.endpoint.json {
                println!(
                    "  acknowledged{}",
                    if signed {
                        ", with a signed receipt"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    if unverified > 0 {
        return Err(CliError::Refused(format!(
            "{unverified} of {seen} notices do not verify against the log's key"
        )));
    }
    Ok(())
}

/// Acknowledges a notice just streamed. Its delivery is recorded as the stream hands it
/// over, so an acknowledgement that overtakes that record is asked again, for a few seconds.
async fn acknowledge(
    inbox: &mut NotificationServiceClient<tonic::transport::Channel>,
    args: &WatchArgs,
    request: nt::AcknowledgeRequest,
) -> Result<(), CliError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = inbox
            .acknowledge(bearer(&args.endpoint)?.request(request.clone()))
            .await;
        match answer {
            Err(s)
                if s.code() == tonic::Code::FailedPrecondition
                    && s.message().contains("has not been delivered")
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other.map(|_| ()).map_err(CliError::from),
        }
    }
}

/// Checks `n`'s proof with `keys`: its leaf index and the checkpoint it is in.
fn check(n: &nt::Notice, keys: &Keys) -> Result<(u64, Checkpoint), String> {
    use treaty_transparency::notice::{Announced, NoticeProof, verify};
    let p = n
        .proof
        .as_ref()
        .ok_or("the notice carries no proof that its step is in the log")?;
    let kind = match n.kind() {
        nt::NoticeKind::Deposit => treaty_domain::NoticeKind::Deposit,
        nt::NoticeKind::Effect => treaty_domain::NoticeKind::Effect,
        nt::NoticeKind::Deferral => treaty_domain::NoticeKind::Deferral,
        nt::NoticeKind::Revocation => treaty_domain::NoticeKind::Revocation,
        nt::NoticeKind::Unspecified => return Err("the notice names no kind".into()),
    };
    let announced = Announced {
        step: kind.step(),
        case: &n.case_id,
        state: &n.state,
        treaty: &n.treaty,
    };
    let proof = NoticeProof {
        leaf_index: p.leaf_index,
        leaf: &p.leaf,
        proof: &p.proof,
    };
    verify(&proof, &announced, &keys.log, &keys.witnesses, keys.needed)
        .map(|(_, checkpoint)| (p.leaf_index, checkpoint))
        .map_err(|e| e.to_string())
}
