//! The command line: `treaty serve [SERVICE]`, `treaty demo`, `treaty import`,
//! and the client subcommands over the gRPC API (human tables by default,
//! `--json` for scripts).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use jiff::civil::Date;
use treaty_domain::{StateCode, TreatyId};

use treaty_node::Role;

/// `treaty`: the system of record for states leaving multilateral treaties.
#[derive(Debug, Parser)]
#[command(name = "treaty", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every service in one process (or one service, by name), with embedded storage.
    Serve(ServeArgs),
    /// Replay the 2025 withdrawals from the Ottawa Convention through the public API.
    Demo(DemoArgs),
    /// Load CSV files (parties, signatories or withdrawal steps) into a running suite.
    Import(ImportArgs),
    /// The parties of a treaty, as of a date.
    Parties(PartiesArgs),
    /// A state's standing towards a treaty, as of a date.
    Status(StatusArgs),
    /// A state's recorded history, from the audit log.
    History(HistoryArgs),
    /// Withdrawal cases and where they stand.
    Withdrawals(WithdrawalsArgs),
    /// The notices in a recipient's inbox.
    Notices(NoticesArgs),
    /// Stream a recipient's notices live (resuming after a cursor).
    Watch(WatchArgs),
    /// Verify the audit log and every service's chain in it.
    Verify(VerifyArgs),
    /// Measure every target of DESIGN.md §6 against its baseline, in one run (release build).
    Bench(treaty_bench::BenchArgs),
    /// Sign bearer tokens, or make an issuer key pair.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Make a CA and certificates for the suite's listeners and services (development and tests).
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Make the audit log's checkpoint signing key.
    #[command(subcommand)]
    Log(LogCommand),
    /// A recipient's signed receipts: make its key, register it.
    #[command(subcommand)]
    Receipt(ReceiptCommand),
    /// Witness the audit log: make a cosigning key, or follow the log and cosign what extends
    /// what it accepted.
    #[command(subcommand)]
    Witness(WitnessCommand),
}

/// `treaty log …`.
#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Make the audit log's Ed25519 signing key (signed-note form) for TREATY_AUDIT_LOG_KEY.
    Keygen(LogKeygenArgs),
    /// Export the log as C2SP tlog-tiles: static files (the checkpoint, hash tiles, entry
    /// bundles, and every earlier checkpoint under treaty/checkpoints/) any web server serves.
    Export(LogExportArgs),
    /// Verify a tlog-tiles export offline, trusting only the log's key: every leaf rehashed,
    /// the tree and every tile rebuilt, every checkpoint, chain, link and commitment checked.
    Verify(LogVerifyArgs),
}

/// Arguments of `treaty log export`.
#[derive(Debug, Args)]
pub struct LogExportArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The directory to write the export to (created; must be empty).
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `treaty log verify`.
#[derive(Debug, Args)]
pub struct LogVerifyArgs {
    /// The export's directory (or a copy of what a web server serves of it).
    pub dir: PathBuf,
    /// The log's verifier key (`name+hash+base64`, as `treaty serve` prints it at start), or
    /// a file holding it. Without it, the development key `treaty serve` made in
    /// TREATY_DATA_DIR (default ./data) is used.
    #[arg(long, env = "TREATY_LOG_KEY")]
    pub log_key: Option<String>,
    /// A witness's verifier key (or a file holding it); repeat for each witness.
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned the export's checkpoint.
    #[arg(long, default_value_t = 0)]
    pub need_witnesses: usize,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `treaty log keygen`.
#[derive(Debug, Args)]
pub struct LogKeygenArgs {
    /// The log's origin, the first line of every checkpoint, e.g. treaty.example/audit.
    #[arg(long)]
    pub origin: String,
    /// Where to write the private key (owner-only); the verifier key goes beside it as `.vkey`.
    #[arg(long)]
    pub out: PathBuf,
}

/// `treaty witness …`.
#[derive(Debug, Subcommand)]
pub enum WitnessCommand {
    /// Make a witness's cosigning key (C2SP tlog-cosignature); its `.vkey` goes to the log's
    /// TREATY_AUDIT_WITNESSES and to clients that require its cosignature.
    Keygen(WitnessKeygenArgs),
    /// Follow the log's checkpoints: demand a consistency proof from the last one accepted
    /// (kept in --state), cosign those that extend it and submit them with AddCosignature;
    /// refuse a fork or rollback, write both signed checkpoints as evidence, and stop (exit 1).
    Run(WitnessRunArgs),
}

/// Arguments of `treaty witness run`.
#[derive(Debug, Args)]
pub struct WitnessRunArgs {
    /// Where the log is (the audit service, or the suite).
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The witness's private key (`treaty witness keygen`).
    #[arg(long, env = "TREATY_WITNESS_KEY")]
    pub key: PathBuf,
    /// Where the witness keeps the last checkpoint it accepted, and evidence of refusals.
    #[arg(long, env = "TREATY_WITNESS_STATE")]
    pub state: PathBuf,
    /// The log's verifier key (or a file holding it). Without it, the development key
    /// `treaty serve` made in TREATY_DATA_DIR (default ./data) is used.
    #[arg(long, env = "TREATY_LOG_KEY")]
    pub log_key: Option<String>,
    /// How long to wait between looks at the log.
    #[arg(long, default_value = "1s", value_parser = crate::commands::witness::parse_every)]
    pub every: std::time::Duration,
    /// Look once and exit (for a timer), instead of following.
    #[arg(long)]
    pub once: bool,
}

/// Arguments of `treaty witness keygen`.
#[derive(Debug, Args)]
pub struct WitnessKeygenArgs {
    /// The witness's name, e.g. witness.lt.
    #[arg(long)]
    pub name: String,
    /// Where to write the private key (owner-only); the verifier key goes beside it as `.vkey`.
    #[arg(long)]
    pub out: PathBuf,
}

/// `treaty token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Sign a token with an issuer key and print it.
    Issue(TokenIssueArgs),
    /// Make an Ed25519 issuer key pair: the private key signs, servers trust the public one.
    Keygen(TokenKeygenArgs),
}

/// Arguments of `treaty token issue`.
#[derive(Debug, Args)]
pub struct TokenIssueArgs {
    /// Who the token names (recorded on every step made with it), e.g. lt-mfa-treaty-section.
    #[arg(long)]
    pub subject: String,
    /// A permission it carries, repeatable: state:LT:record, state:FR:inbox, depositary:record,
    /// depositary:inbox, un-security-council:inbox, registry:admin.
    #[arg(long = "permission", value_parser = parse_permission)]
    pub permissions: Vec<treaty_auth::Permission>,
    /// How long it is valid, e.g. 30m, 8h, 7d.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    pub ttl: std::time::Duration,
    /// The issuer's private key (PEM); by default the development issuer `treaty serve`
    /// created under its data directory.
    #[arg(long, env = "TREATY_ISSUER_KEY")]
    pub key: Option<PathBuf>,
    /// The data directory whose development issuer signs, when --key is not given.
    #[arg(long, env = "TREATY_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// The `iss` claim (the servers' TREATY_AUTH_ISSUER).
    #[arg(long, env = "TREATY_AUTH_ISSUER", default_value = treaty_auth::token::DEFAULT_ISSUER)]
    pub issuer: String,
    /// The `aud` claim (the servers' TREATY_AUTH_AUDIENCE).
    #[arg(long, env = "TREATY_AUTH_AUDIENCE", default_value = treaty_auth::token::DEFAULT_AUDIENCE)]
    pub audience: String,
}

/// Arguments of `treaty token keygen`.
#[derive(Debug, Args)]
pub struct TokenKeygenArgs {
    /// Where to write the private key (owner-only); the public key goes beside it as `.pub`.
    #[arg(long)]
    pub out: PathBuf,
}

/// `treaty pki …`.
#[derive(Debug, Subcommand)]
pub enum PkiCommand {
    /// Write a CA, a server certificate and one client identity per service into a directory.
    Create(PkiCreateArgs),
}

/// Arguments of `treaty pki create`.
#[derive(Debug, Args)]
pub struct PkiCreateArgs {
    /// The directory to write `ca.crt`, `server.crt`/`.key` and `<service>.crt`/`.key` into.
    #[arg(long)]
    pub dir: PathBuf,
    /// A DNS name the certificates are valid for, repeatable (e.g. registry, registry.treaty.svc).
    #[arg(long = "dns", default_value = "localhost")]
    pub dns: Vec<String>,
    /// An IP address the certificates are valid for, repeatable.
    #[arg(long = "ip", default_values = ["127.0.0.1", "::1"])]
    pub ips: Vec<String>,
}

/// Arguments of `treaty serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Run only this service (registry, approvals, notification, audit); all when omitted.
    pub service: Option<Role>,
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, env = "TREATY_LISTEN_ADDR")]
    pub listen: Option<SocketAddr>,
    /// Where the services keep their sled databases.
    #[arg(long, env = "TREATY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Do not load the bundled treaties into an empty registry.
    #[arg(long)]
    pub no_bundle: bool,
    /// The listener's certificate chain (PEM).
    #[arg(long, env = "TREATY_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// The listener's private key (PEM).
    #[arg(long, env = "TREATY_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// The CA bundle services' client certificates chain to (mTLS).
    #[arg(long, env = "TREATY_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// The CA bundle peers' certificates chain to (peer URLs are then https://).
    #[arg(long, env = "TREATY_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Serve grpc.health.v1, and nothing else, in plaintext here too (for probes).
    #[arg(long, env = "TREATY_HEALTH_ADDR")]
    pub health_addr: Option<SocketAddr>,
}

/// Where a client subcommand finds the suite.
#[derive(Debug, Args, Clone)]
pub struct Endpoint {
    /// The suite's URL: http:// (plaintext, loopback only) or https:// with --ca.
    #[arg(
        long,
        env = "TREATY_ENDPOINT",
        default_value = "http://127.0.0.1:50051"
    )]
    pub endpoint: String,
    /// The CA bundle (PEM) the suite's certificate chains to, for an https:// endpoint.
    #[arg(long, env = "TREATY_CA")]
    pub ca: Option<PathBuf>,
    /// The name the suite's certificate must carry, when it is not the endpoint's host (a
    /// port-forward to localhost reaching `registry`).
    #[arg(long, env = "TREATY_TLS_SERVER_NAME")]
    pub tls_server_name: Option<String>,
    /// A bearer token to call with (see `treaty token issue`); reads need none.
    #[arg(
        long,
        env = "TREATY_TOKEN",
        hide_env_values = true,
        conflicts_with = "token_file"
    )]
    pub token: Option<String>,
    /// A file holding the bearer token (a mounted Secret), instead of --token.
    #[arg(long, env = "TREATY_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `treaty demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Use a running suite instead of starting one in this process.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The CA bundle of a running suite's certificate (an https:// --endpoint).
    #[arg(long, env = "TREATY_CA")]
    pub ca: Option<PathBuf>,
    /// The running suite's issuer private key, to mint one token per actor.
    #[arg(long, env = "TREATY_ISSUER_KEY")]
    pub issuer_key: Option<PathBuf>,
    /// The running suite's log verifier key (or its file), to verify its log at the end;
    /// without it, the development key in TREATY_DATA_DIR (default ./data) is used.
    #[arg(long, env = "TREATY_LOG_KEY", requires = "endpoint")]
    pub log_key: Option<String>,
}

/// Arguments of `treaty import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The treaty a parties file is for (parties files have no treaty column).
    #[arg(long, value_parser = parse_treaty)]
    pub treaty: Option<TreatyId>,
    /// Load the bundled treaties and data (the same load `treaty serve` does on an empty data directory).
    #[arg(long)]
    pub bundled: bool,
    /// The approvals service's URL when it is not at `--endpoint` (microservices mode,
    /// where `--endpoint` names the registry).
    #[arg(long, env = "TREATY_APPROVALS_ENDPOINT")]
    pub approvals_endpoint: Option<String>,
    /// An issuer's private key to mint one token per actor with (the registry's
    /// administrator, the depositary, each state); by default the development issuer under
    /// ./data, if there is one. Without it, --token must hold every permission the files need.
    #[arg(long, env = "TREATY_ISSUER_KEY")]
    pub issuer_key: Option<PathBuf>,
    /// CSV files to load; any bad row means nothing from that file is loaded.
    pub files: Vec<PathBuf>,
}

/// Arguments of `treaty parties`.
#[derive(Debug, Args)]
pub struct PartiesArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The treaty: apmbc or ccm.
    #[arg(value_parser = parse_treaty)]
    pub treaty: TreatyId,
    /// The date to answer for (YYYY-MM-DD); today when omitted.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<Date>,
}

/// Arguments of `treaty status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The treaty: apmbc or ccm.
    #[arg(value_parser = parse_treaty)]
    pub treaty: TreatyId,
    /// ISO 3166-1 alpha-2 code, e.g. LT.
    #[arg(value_parser = parse_state)]
    pub state: StateCode,
    /// The date to answer for (YYYY-MM-DD); today when omitted.
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<Date>,
}

/// Arguments of `treaty history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// ISO 3166-1 alpha-2 code, e.g. PL.
    #[arg(value_parser = parse_state)]
    pub state: StateCode,
    /// Only this treaty's steps.
    #[arg(long, value_parser = parse_treaty)]
    pub treaty: Option<TreatyId>,
    /// Check that the history is complete, trusting only the log's key: every entry is in the
    /// signed tree, none is left out in the middle, and none is withheld at the end.
    #[arg(long)]
    pub verify: bool,
    /// The log's verifier key (`name+hash+base64`, as `treaty serve` prints it at start), or
    /// a file holding it (the `.vkey` beside the key `treaty log keygen` made). Without it,
    /// the development key `treaty serve` made in TREATY_DATA_DIR (default ./data) is used.
    #[arg(long, env = "TREATY_LOG_KEY", requires = "verify")]
    pub log_key: Option<String>,
    /// A witness's verifier key (or a file holding it) whose cosignature the checkpoint
    /// may carry; repeat for each witness.
    #[arg(long = "witness", requires = "verify")]
    pub witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned the checkpoint.
    #[arg(long, default_value_t = 0, requires = "verify")]
    pub need_witnesses: usize,
}

/// Arguments of `treaty withdrawals`.
#[derive(Debug, Args)]
pub struct WithdrawalsArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// Only this treaty's cases.
    #[arg(long, value_parser = parse_treaty)]
    pub treaty: Option<TreatyId>,
    /// Only this state's cases.
    #[arg(long, value_parser = parse_state)]
    pub state: Option<StateCode>,
}

/// Arguments of `treaty notices`.
#[derive(Debug, Args)]
pub struct NoticesArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The recipient: a state code (FR), `depositary` or `un-security-council`.
    #[arg(value_parser = parse_recipient)]
    pub recipient: String,
}

/// Arguments of `treaty watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The recipient: a state code (FR), `depositary` or `un-security-council`.
    #[arg(value_parser = parse_recipient)]
    pub recipient: String,
    /// Resume after this inbox cursor (0 = from the beginning).
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    /// Stop after this many notices (for scripts); stream until interrupted when omitted.
    #[arg(long)]
    pub count: Option<u64>,
    /// Check each notice's proof against the log's key, without calling back: its step is in
    /// the signed log and is the step the notice announces. Exit 1 if any does not verify.
    #[arg(long)]
    pub verify: bool,
    /// The log's verifier key (or a file holding it); without it, the development key
    /// `treaty serve` made in TREATY_DATA_DIR (default ./data) is used.
    #[arg(long, env = "TREATY_LOG_KEY", requires = "verify")]
    pub log_key: Option<String>,
    /// A witness's verifier key (or a file holding it); repeat for each witness.
    #[arg(long = "witness", requires = "verify")]
    pub witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned each notice's checkpoint.
    #[arg(long, default_value_t = 0, requires = "verify")]
    pub need_witnesses: usize,
    /// Acknowledge each notice as it arrives (needs the recipient's inbox token); with
    /// --receipt-key, each one that verified with a signed receipt.
    #[arg(long)]
    pub acknowledge: bool,
    /// The recipient's receipt key (`treaty receipt keygen`; its public key registered with
    /// `treaty receipt register`): sign a receipt of each verified notice.
    #[arg(long, env = "TREATY_RECEIPT_KEY", requires_all = ["verify", "acknowledge"])]
    pub receipt_key: Option<PathBuf>,
}

/// `treaty receipt …`.
#[derive(Debug, Subcommand)]
pub enum ReceiptCommand {
    /// Make a recipient's receipt key (Ed25519, signed-note form, named for the recipient).
    Keygen(ReceiptKeygenArgs),
    /// Register a recipient's receipt key (its `.vkey`) with the notification service.
    Register(ReceiptRegisterArgs),
}

/// Arguments of `treaty receipt keygen`.
#[derive(Debug, Args)]
pub struct ReceiptKeygenArgs {
    /// The recipient: a state code (FR), `depositary` or `un-security-council`.
    #[arg(long, value_parser = parse_recipient)]
    pub recipient: String,
    /// Where to write the private key (owner-only); the verifier key goes beside it as `.vkey`.
    #[arg(long)]
    pub out: PathBuf,
}

/// Arguments of `treaty receipt register`.
#[derive(Debug, Args)]
pub struct ReceiptRegisterArgs {
    /// Where the suite is (with the recipient's inbox token).
    #[command(flatten)]
    pub endpoint: Endpoint,
    /// The recipient: a state code (FR), `depositary` or `un-security-council`.
    #[arg(value_parser = parse_recipient)]
    pub recipient: String,
    /// The recipient's verifier key, or the `.vkey` file holding it.
    #[arg(long)]
    pub key: String,
}

/// Arguments of `treaty verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Where the suite is.
    #[command(flatten)]
    pub endpoint: Endpoint,
}

/// Parses a permission as tokens carry it.
pub fn parse_permission(s: &str) -> Result<treaty_auth::Permission, String> {
    s.parse::<treaty_auth::Permission>()
        .map_err(|e| e.to_string())
}

/// Parses a token lifetime such as `30m`, `8h` or `7d`.
pub fn parse_ttl(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{s:?} is not a lifetime; write e.g. 30m, 8h or 7d");
    let (number, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(bad()),
    };
    if seconds == 0 || seconds > 366 * 86_400 {
        return Err(format!("{s:?}: a lifetime is between 1s and 366d"));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// Parses a civil date, saying what is accepted.
pub fn parse_date(s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|_| format!("{s:?} is not a date; write YYYY-MM-DD, e.g. 2025-06-27"))
}

/// Parses a state code; an unknown one gets the closest known codes.
pub fn parse_state(s: &str) -> Result<StateCode, String> {
    StateCode::parse(s).map_err(|e| e.to_string())
}

/// Parses a treaty id.
pub fn parse_treaty(s: &str) -> Result<TreatyId, String> {
    TreatyId::parse(s).map_err(|e| e.to_string())
}

/// Parses a recipient: `FR` or `states/FR`, `depositary`, `un-security-council`.
pub fn parse_recipient(s: &str) -> Result<String, String> {
    match s {
        "depositary" | "un-security-council" => Ok(s.to_owned()),
        _ => {
            let code = s.strip_prefix("states/").unwrap_or(s);
            StateCode::parse(code)
                .map(|c| format!("states/{}", c.as_str()))
                .map_err(|e| format!("{e}; a recipient is a state code (e.g. FR), depositary or un-security-council"))
        }
    }
}
