//! `treaty parties`: the parties of a treaty as of a date.

use serde_json::{Value, json};

use super::shared::{CliError, connect, membership_json, print_json, short_name, show_date, table};
use crate::cli::PartiesArgs;

/// `treaty parties`.
pub async fn run(args: PartiesArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint).await?;
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
