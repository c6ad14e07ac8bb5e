//! `treaty notices`: the notices in a recipient's inbox.

use serde_json::json;
use treaty_bundle::all_pages;
use treaty_proto::notification::{
    self as nt, notification_service_client::NotificationServiceClient,
};

use super::shared::{CliError, connect, notice_json, print_json, short_name, show_date, table};
use crate::cli::NoticesArgs;

/// `treaty notices`.
pub async fn run(args: NoticesArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint).await?;
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
