//! `treaty status`: a state's standing towards a treaty as of a date.

use treaty_proto::registry::{self as reg, registry_service_client::RegistryServiceClient};
use treaty_proto::wire::date_to_wire;

use super::shared::{CliError, connect, membership_json, print_json, short_name, show_date};
use crate::cli::StatusArgs;

/// `treaty status`.
pub async fn run(args: StatusArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint).await?;
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
