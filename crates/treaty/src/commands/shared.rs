//! What the subcommands share: reaching the suite, their one error type, and
//! printing dates, enum names, tables and JSON.

use std::fmt::Write as _;
use std::time::Duration;

use std::path::Path;

use serde_json::{Value, json};
use tonic::transport::Channel;
use treaty_auth::token::SigningKey;
use treaty_bundle::Minted;
use treaty_proto::google::r#type::Date as WireDate;
use treaty_proto::notification as nt;
use treaty_proto::registry as reg;
use treaty_runtime::Bearer;
use treaty_runtime::tls::ClientTls;

use crate::cli::Endpoint;

/// What a client subcommand can fail with; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The suite could not be reached.
    #[error(
        "cannot reach the suite at {endpoint}: {reason} (start it with `treaty serve`, or pass --endpoint)"
    )]
    Unreachable { endpoint: String, reason: String },
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

/// Connects to the suite at `endpoint` and checks that it answers.
pub(crate) async fn connect(endpoint: &Endpoint) -> Result<Channel, CliError> {
    connect_as(endpoint, &endpoint.endpoint).await
}

/// Connects to `url` with `endpoint`'s TLS settings and checks that it answers.
pub(crate) async fn connect_as(endpoint: &Endpoint, url: &str) -> Result<Channel, CliError> {
    connect_tls(
        url,
        endpoint.ca.as_deref(),
        endpoint.tls_server_name.as_deref(),
    )
    .await
}

/// The bearer token `endpoint` names (`--token`, or the contents of `--token-file`), if any.
pub(crate) fn bearer(endpoint: &Endpoint) -> Result<Bearer, CliError> {
    if let Some(token) = &endpoint.token {
        return Ok(Bearer::new(token.trim()));
    }
    match &endpoint.token_file {
        None => Ok(Bearer::none()),
        Some(path) => std::fs::read_to_string(path)
            .map(|t| Bearer::new(t.trim()))
            .map_err(|e| {
                CliError::Refused(format!(
                    "cannot read the token file {}: {e}",
                    path.display()
                ))
            }),
    }
}

/// The issuer key at `explicit`, else the development issuer under the data directory
/// (`TREATY_DATA_DIR`, default `./data`) if `treaty serve` made one there.
pub(crate) fn issuer_key(explicit: Option<&Path>) -> Result<Option<SigningKey>, CliError> {
    let data_dir = std::env::var_os("TREATY_DATA_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| std::path::PathBuf::from("./data"), Into::into);
    let default = treaty_node::DevCredentials::issuer_key_path(&data_dir);
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if default.exists() => default,
        None => return Ok(None),
    };
    let pem = std::fs::read_to_string(&path).map_err(|e| {
        CliError::Refused(format!(
            "cannot read the issuer key {}: {e}",
            path.display()
        ))
    })?;
    SigningKey::from_pem(&pem)
        .map(Some)
        .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))
}

/// Mints one token per actor with `key`, naming the issuer and audience the servers expect
/// (`TREATY_AUTH_ISSUER`, `TREATY_AUTH_AUDIENCE`).
pub(crate) fn minted(key: SigningKey) -> Result<Minted, CliError> {
    let auth = treaty_runtime::Config::from_env()
        .map_err(|e| CliError::Refused(e.to_string()))?
        .auth;
    Ok(Minted::new(key, &auth.issuer, &auth.audience))
}

/// Connects to `url` (https:// trusting `ca`) and checks that it answers.
pub(crate) async fn connect_url(url: &str, ca: Option<&Path>) -> Result<Channel, CliError> {
    connect_tls(url, ca, None).await
}

/// Connects to `url` (https:// trusting `ca`, checking `server_name` if given).
async fn connect_tls(
    url: &str,
    ca: Option<&Path>,
    server_name: Option<&str>,
) -> Result<Channel, CliError> {
    let unreachable = |reason: String| CliError::Unreachable {
        endpoint: url.to_owned(),
        reason,
    };
    let tls = ca
        .map(ClientTls::load)
        .transpose()
        .map_err(|e| unreachable(e.to_string()))?
        .map(|t| match server_name {
            Some(name) => t.with_server_name(name),
            None => t,
        });
    let channel =
        treaty_runtime::connect_with(url, &treaty_runtime::ClientConfig::default(), tls.as_ref())
            .await
            .map_err(|e| unreachable(e.to_string()))?;
    treaty_runtime::wait_until_serving(&channel, Duration::from_secs(5))
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    Ok(channel)
}

/// A wire date as `YYYY-MM-DD`, or `—` when unset.
pub(crate) fn show_date(d: Option<&WireDate>) -> String {
    d.map_or_else(
        || "—".to_owned(),
        |d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day),
    )
}

pub(crate) fn json_date(d: Option<&WireDate>) -> Value {
    d.map_or(Value::Null, |d| {
        json!(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
    })
}

/// An enum value's name without its `<ENUM>_` prefix, in lower case: `withdrawal_notified`.
pub(crate) fn short_name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix)
        .unwrap_or(full)
        .to_ascii_lowercase()
}

/// Renders rows as a left-aligned text table with a header.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
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

pub(crate) fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

pub(crate) fn membership_json(m: &reg::Membership) -> Value {
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

pub(crate) fn notice_json(n: &nt::Notice) -> Value {
    json!({
        "notice_id": n.notice_id, "kind": short_name(n.kind().as_str_name(), "NOTICE_KIND_"), "treaty": n.treaty, "state": n.state,
        "case_id": n.case_id, "received_on": json_date(n.received_on.as_ref()), "circulated_on": json_date(n.circulated_on.as_ref()),
        "effective_on": json_date(n.effective_on.as_ref()), "recipient_count": n.recipient_count, "text": n.text,
    })
}
