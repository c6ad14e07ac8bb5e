//! `treaty withdrawals`: withdrawal cases and where they stand.

use serde_json::{Value, json};
use treaty_bundle::all_pages;
use treaty_proto::approvals::{self as ap, approvals_service_client::ApprovalsServiceClient};

use super::shared::{CliError, connect, json_date, print_json, short_name, show_date, table};
use crate::cli::WithdrawalsArgs;

/// `treaty withdrawals`.
pub async fn run(args: WithdrawalsArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint).await?;
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
