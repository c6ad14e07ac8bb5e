//! `treaty watch`: a recipient's notices, streamed live.

use serde_json::json;
use treaty_proto::notification::{
    self as nt, notification_service_client::NotificationServiceClient,
};

use super::shared::{CliError, bearer, connect, notice_json, short_name, show_date};
use crate::cli::WatchArgs;

/// `treaty watch`: streams until interrupted (or `--count` notices).
pub async fn run(args: WatchArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint).await?;
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
