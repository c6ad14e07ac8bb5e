//! `treaty verify`: the audit log and every service's chain in it.

use serde_json::json;
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};

use super::shared::{CliError, connect, print_json, short_name};
use crate::cli::VerifyArgs;

/// `treaty verify`: fails when the log does not verify.
pub async fn run(args: VerifyArgs) -> Result<(), CliError> {
    let channel = connect(&args.endpoint).await?;
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
