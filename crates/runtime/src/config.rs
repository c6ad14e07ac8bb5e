//! Configuration read from `TREATY_*` variables through a [`Lookup`] seam.
//!
//! Every variable has a default in code, so an empty environment is a valid local setup. A variable
//! that is set to the empty string counts as unset, which lets a manifest blank out a value without
//! deleting the line. A value that is set but malformed is an error that names the variable and says
//! what it accepts; nothing falls back to a default silently.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::stream::StreamLimits;

/// Where the server listens (`IP:PORT`; port 0 picks a free port).
pub const LISTEN_ADDR: &str = "TREATY_LISTEN_ADDR";
/// The directory that holds this process's sled databases.
pub const DATA_DIR: &str = "TREATY_DATA_DIR";
/// The `tracing` filter, such as `info` or `treaty=debug,h2=warn`.
pub const LOG: &str = "TREATY_LOG";
/// The log line format: `plain` or `json`.
pub const LOG_FORMAT: &str = "TREATY_LOG_FORMAT";
/// How far a commit goes before it is acknowledged: `flush` or `fsync`.
pub const DURABILITY: &str = "TREATY_DURABILITY";
/// The URL of the registry service, for the services that call it.
pub const REGISTRY_ADDR: &str = "TREATY_REGISTRY_ADDR";
/// The URL of the approvals service, for the services that call it.
pub const APPROVALS_ADDR: &str = "TREATY_APPROVALS_ADDR";
/// The URL of the notification service, for the services that call it.
pub const NOTIFICATION_ADDR: &str = "TREATY_NOTIFICATION_ADDR";
/// The URL of the audit service, for the journal shippers.
pub const AUDIT_ADDR: &str = "TREATY_AUDIT_ADDR";
/// How many whole seconds in-flight requests get to finish after shutdown starts.
pub const DRAIN_SECONDS: &str = "TREATY_DRAIN_SECONDS";
/// The deadline of each outgoing call to a peer, in milliseconds.
pub const REQUEST_TIMEOUT_MS: &str = "TREATY_REQUEST_TIMEOUT_MS";
/// How often the approvals scheduler checks for withdrawals that fall due, in milliseconds.
pub const SCHEDULER_TICK_MS: &str = "TREATY_SCHEDULER_TICK_MS";
/// The listener's certificate chain (PEM). With [`TLS_KEY`], every listener speaks TLS.
pub const TLS_CERT: &str = "TREATY_TLS_CERT";
/// The private key (PEM) of [`TLS_CERT`].
pub const TLS_KEY: &str = "TREATY_TLS_KEY";
/// The CA bundle (PEM) that services' client certificates must chain to: the mTLS trust root.
pub const TLS_CLIENT_CA: &str = "TREATY_TLS_CLIENT_CA";
/// The CA bundle (PEM) that peers' server certificates must chain to; peers are then `https://`.
pub const TLS_CA: &str = "TREATY_TLS_CA";
/// The directory holding `<service>.crt` and `<service>.key`: the identity each service this
/// process runs presents to its peers.
pub const TLS_IDENTITY_DIR: &str = "TREATY_TLS_IDENTITY_DIR";
/// The trusted token issuers' Ed25519 public keys (PEM files), comma-separated: two during a rotation.
pub const AUTH_ISSUER_KEYS: &str = "TREATY_AUTH_ISSUER_KEYS";
/// The `iss` a bearer token must carry.
pub const AUTH_ISSUER: &str = "TREATY_AUTH_ISSUER";
/// The `aud` a bearer token must carry.
pub const AUTH_AUDIENCE: &str = "TREATY_AUTH_AUDIENCE";
/// A second, plaintext listener that serves `grpc.health.v1` and nothing else (for probes).
pub const HEALTH_ADDR: &str = "TREATY_HEALTH_ADDR";
/// The largest request message a service decodes, in bytes.
pub const MAX_MESSAGE_BYTES: &str = "TREATY_MAX_MESSAGE_BYTES";
/// The most streams one connection may have open at once.
pub const MAX_STREAMS_PER_CONNECTION: &str = "TREATY_MAX_STREAMS_PER_CONNECTION";
/// How long a new connection has to show whether it speaks TLS and finish its handshake, in ms.
pub const HANDSHAKE_TIMEOUT_MS: &str = "TREATY_HANDSHAKE_TIMEOUT_MS";
/// How long a connection may stay without an open stream before it is closed, in ms.
pub const IDLE_TIMEOUT_MS: &str = "TREATY_IDLE_TIMEOUT_MS";
/// How often an HTTP/2 PING checks that a connection's peer is alive, in ms.
pub const KEEPALIVE_INTERVAL_MS: &str = "TREATY_KEEPALIVE_INTERVAL_MS";
/// How long a PING may go unanswered before the connection is closed, in ms.
pub const KEEPALIVE_TIMEOUT_MS: &str = "TREATY_KEEPALIVE_TIMEOUT_MS";

/// The audit log's checkpoint signing key: a signed-note Ed25519 private key file, whose key
/// name is the log's origin (`treaty log keygen` makes one).
pub const AUDIT_LOG_KEY: &str = "TREATY_AUDIT_LOG_KEY";
/// The audit log's origin, the first line of its checkpoints (default: the key's name).
pub const AUDIT_LOG_ORIGIN: &str = "TREATY_AUDIT_LOG_ORIGIN";
/// The witnesses whose cosignatures the audit log accepts: files each holding one verifier key
/// (`treaty witness keygen` prints one), comma-separated.
pub const AUDIT_WITNESSES: &str = "TREATY_AUDIT_WITNESSES";
/// Where the audit log keeps its last signed checkpoint outside its database, so a restore of
/// the database alone cannot roll the log back unnoticed (default `<data dir>/audit.checkpoint`).
pub const AUDIT_CHECKPOINT_FILE: &str = "TREATY_AUDIT_CHECKPOINT_FILE";
/// How long the audit log waits after the tree grows before it commits and signs, in ms.
pub const CHECKPOINT_INTERVAL_MS: &str = "TREATY_CHECKPOINT_INTERVAL_MS";

// --- Bounded server streams (`crate::stream`). ---
/// The bytes of messages one server stream (`Tail`, `Subscribe`) may buffer for a client that
/// reads slower than the server produces.
pub const STREAM_BUFFER_BYTES: &str = "TREATY_STREAM_BUFFER_BYTES";
/// How long a server stream's full buffer waits for its client to read before the stream is
/// cut off with RESOURCE_EXHAUSTED, in milliseconds.
pub const STREAM_STALL_MS: &str = "TREATY_STREAM_STALL_MS";
// --- End of bounded server streams. ---

/// Every `TREATY_*` variable that [`Config::from_lookup`] reads, for deploy checks against manifests.
pub const VARIABLES: &[&str] = &[
    LISTEN_ADDR,
    DATA_DIR,
    LOG,
    LOG_FORMAT,
    DURABILITY,
    REGISTRY_ADDR,
    APPROVALS_ADDR,
    NOTIFICATION_ADDR,
    AUDIT_ADDR,
    DRAIN_SECONDS,
    REQUEST_TIMEOUT_MS,
    SCHEDULER_TICK_MS,
    TLS_CERT,
    TLS_KEY,
    TLS_CLIENT_CA,
    TLS_CA,
    TLS_IDENTITY_DIR,
    AUTH_ISSUER_KEYS,
    AUTH_ISSUER,
    AUTH_AUDIENCE,
    HEALTH_ADDR,
    MAX_MESSAGE_BYTES,
    MAX_STREAMS_PER_CONNECTION,
    HANDSHAKE_TIMEOUT_MS,
    IDLE_TIMEOUT_MS,
    KEEPALIVE_INTERVAL_MS,
    KEEPALIVE_TIMEOUT_MS,
    AUDIT_LOG_KEY,
    AUDIT_LOG_ORIGIN,
    AUDIT_WITNESSES,
    AUDIT_CHECKPOINT_FILE,
    CHECKPOINT_INTERVAL_MS,
    // --- Bounded server streams. ---
    STREAM_BUFFER_BYTES,
    STREAM_STALL_MS,
    // --- End of bounded server streams. ---
];

/// A source of configuration values, so tests pass a map instead of setting process variables.
pub trait Lookup {
    /// Returns the value of `key`, or `None` when it is not set.
    fn get(&self, key: &str) -> Option<String>;
}

/// The process environment as a [`Lookup`].
///
/// A value that is not valid UTF-8 is returned lossily converted, so that it fails validation with
/// a visible message instead of being silently treated as unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct Env;

impl Lookup for Env {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var_os(key).map(|v| v.to_string_lossy().into_owned())
    }
}

impl Lookup for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key).cloned()
    }
}

impl Lookup for BTreeMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        BTreeMap::get(self, key).cloned()
    }
}

impl<const N: usize> Lookup for [(&str, &str); N] {
    fn get(&self, key: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    }
}

impl<T: Lookup + ?Sized> Lookup for &T {
    fn get(&self, key: &str) -> Option<String> {
        (**self).get(key)
    }
}

/// A configuration variable that is set to a value the code does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?} is invalid ({reason}); expected {expected}")]
pub struct ConfigError {
    /// The variable, such as `TREATY_DRAIN_SECONDS`.
    pub var: &'static str,
    /// The value it was set to.
    pub value: String,
    /// What the variable accepts, in words.
    pub expected: &'static str,
    /// Why the value was refused.
    pub reason: String,
}

/// The format of log lines on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines, for a terminal.
    #[default]
    Plain,
    /// One JSON object per line, for Kubernetes log collectors.
    Json,
}

impl LogFormat {
    /// Returns the spelling used in `TREATY_LOG_FORMAT`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Plain => "plain",
            LogFormat::Json => "json",
        }
    }
}

/// How far a commit goes before it is acknowledged (`TREATY_DURABILITY`): the ledger's own setting.
pub use treaty_ledger::Durability;

/// The effective configuration of one `treaty` process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where the server listens (`TREATY_LISTEN_ADDR`, default `127.0.0.1:50051`).
    pub listen_addr: SocketAddr,
    /// The directory for sled databases (`TREATY_DATA_DIR`, default `./data`).
    pub data_dir: PathBuf,
    /// The `tracing` filter (`TREATY_LOG`, default `info`).
    pub log: String,
    /// The log line format (`TREATY_LOG_FORMAT`, default `plain`).
    pub log_format: LogFormat,
    /// The commit durability (`TREATY_DURABILITY`, default `fsync`).
    pub durability: Durability,
    /// The registry's URL (`TREATY_REGISTRY_ADDR`), if this process calls a remote registry.
    pub registry_addr: Option<String>,
    /// The approvals service's URL (`TREATY_APPROVALS_ADDR`), if it is remote.
    pub approvals_addr: Option<String>,
    /// The notification service's URL (`TREATY_NOTIFICATION_ADDR`), if it is remote.
    pub notification_addr: Option<String>,
    /// The audit service's URL (`TREATY_AUDIT_ADDR`), if it is remote.
    pub audit_addr: Option<String>,
    /// How long in-flight requests may drain after shutdown starts (`TREATY_DRAIN_SECONDS`, default 10).
    pub drain: Duration,
    /// The deadline of each call to a peer (`TREATY_REQUEST_TIMEOUT_MS`, default 5000).
    pub request_timeout: Duration,
    /// How often the approvals scheduler looks for due withdrawals (`TREATY_SCHEDULER_TICK_MS`, default 1000).
    pub scheduler_tick: Duration,
    /// The listener's TLS (`TREATY_TLS_CERT`, `TREATY_TLS_KEY`, `TREATY_TLS_CLIENT_CA`).
    pub tls: TlsFiles,
    /// The CA bundle peers' certificates chain to (`TREATY_TLS_CA`).
    pub tls_ca: Option<PathBuf>,
    /// Where the identities of this process's services are (`TREATY_TLS_IDENTITY_DIR`).
    pub tls_identity_dir: Option<PathBuf>,
    /// The trusted token issuers (`TREATY_AUTH_ISSUER_KEYS`, `_ISSUER`, `_AUDIENCE`).
    pub auth: AuthSettings,
    /// The plaintext health-only listener (`TREATY_HEALTH_ADDR`), if any.
    pub health_addr: Option<SocketAddr>,
    /// What each connection may take (`TREATY_MAX_MESSAGE_BYTES`, `TREATY_MAX_STREAMS_PER_CONNECTION`,
    /// `TREATY_HANDSHAKE_TIMEOUT_MS`, `TREATY_IDLE_TIMEOUT_MS`, `TREATY_KEEPALIVE_*_MS`).
    pub limits: crate::Limits,
    /// The audit log's checkpoints (`TREATY_AUDIT_LOG_KEY`, `_ORIGIN`, `TREATY_AUDIT_WITNESSES`,
    /// `TREATY_AUDIT_CHECKPOINT_FILE`, `TREATY_CHECKPOINT_INTERVAL_MS`).
    pub audit_log: AuditLogSettings,
    // --- Bounded server streams. ---
    /// What each server stream may buffer and for how long (`TREATY_STREAM_BUFFER_BYTES`,
    /// default 256 KiB; `TREATY_STREAM_STALL_MS`, default 30000).
    pub streams: StreamLimits,
    // --- End of bounded server streams. ---
}

/// The files of a listener's TLS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsFiles {
    /// The certificate chain (`TREATY_TLS_CERT`).
    pub cert: Option<PathBuf>,
    /// Its private key (`TREATY_TLS_KEY`).
    pub key: Option<PathBuf>,
    /// The CA bundle client certificates chain to (`TREATY_TLS_CLIENT_CA`).
    pub client_ca: Option<PathBuf>,
}

/// How the audit log signs and guards its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLogSettings {
    /// The signing key file (`TREATY_AUDIT_LOG_KEY`); none: a development key in the data
    /// directory, on loopback only.
    pub key: Option<PathBuf>,
    /// The origin line (`TREATY_AUDIT_LOG_ORIGIN`); none: the key's name.
    pub origin: Option<String>,
    /// Files of the witnesses' verifier keys (`TREATY_AUDIT_WITNESSES`).
    pub witnesses: Vec<PathBuf>,
    /// Where the last signed checkpoint is kept (`TREATY_AUDIT_CHECKPOINT_FILE`); none:
    /// `<data dir>/audit.checkpoint`.
    pub checkpoint_file: Option<PathBuf>,
    /// How long after the tree grows a checkpoint is made (`TREATY_CHECKPOINT_INTERVAL_MS`,
    /// default 500).
    pub interval: Duration,
}

impl Default for AuditLogSettings {
    fn default() -> Self {
        AuditLogSettings {
            key: None,
            origin: None,
            witnesses: Vec::new(),
            checkpoint_file: None,
            interval: Duration::from_millis(500),
        }
    }
}

/// Which bearer tokens are trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// The issuers' public keys (`TREATY_AUTH_ISSUER_KEYS`); none: only the development issuer
    /// on loopback, or no tokens at all.
    pub issuer_keys: Vec<PathBuf>,
    /// The `iss` claim (`TREATY_AUTH_ISSUER`, default `treaty`).
    pub issuer: String,
    /// The `aud` claim (`TREATY_AUTH_AUDIENCE`, default `treaty`).
    pub audience: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            issuer_keys: Vec::new(),
            issuer: treaty_auth::token::DEFAULT_ISSUER.to_owned(),
            audience: treaty_auth::token::DEFAULT_AUDIENCE.to_owned(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            data_dir: PathBuf::from("./data"),
            log: "info".to_owned(),
            log_format: LogFormat::Plain,
            durability: Durability::Fsync,
            registry_addr: None,
            approvals_addr: None,
            notification_addr: None,
            audit_addr: None,
            drain: Duration::from_secs(10),
            request_timeout: Duration::from_millis(5000),
            scheduler_tick: Duration::from_millis(1000),
            tls: TlsFiles::default(),
            tls_ca: None,
            tls_identity_dir: None,
            auth: AuthSettings::default(),
            health_addr: None,
            limits: crate::Limits::default(),
            audit_log: AuditLogSettings::default(),
            // --- Bounded server streams. ---
            streams: StreamLimits::default(),
            // --- End of bounded server streams. ---
        }
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(&Env)
    }

    /// Reads the configuration from `lookup`, using the default of every variable that is unset or empty.
    pub fn from_lookup(lookup: &impl Lookup) -> Result<Config, ConfigError> {
        let d = Config::default();
        let peer = |var| {
            read(
                lookup,
                var,
                "an http:// or https:// URL such as https://registry:50051",
                parse_peer_url,
            )
        };
        Ok(Config {
            listen_addr: read(lookup, LISTEN_ADDR, "IP:PORT such as 0.0.0.0:50051", |v| {
                v.parse::<SocketAddr>().map_err(|e| e.to_string())
            })?
            .unwrap_or(d.listen_addr),
            data_dir: read(lookup, DATA_DIR, "a directory path", |v| {
                Ok(PathBuf::from(v))
            })?
            .unwrap_or(d.data_dir),
            log: read(
                lookup,
                LOG,
                "a tracing filter such as info or treaty=debug,h2=warn",
                |v| crate::telemetry::parse_filter(v).map(|_| v.to_owned()),
            )?
            .unwrap_or(d.log),
            log_format: read(lookup, LOG_FORMAT, "plain or json", |v| match v {
                "plain" => Ok(LogFormat::Plain),
                "json" => Ok(LogFormat::Json),
                _ => Err("unknown format".to_owned()),
            })?
            .unwrap_or(d.log_format),
            durability: read(lookup, DURABILITY, "flush or fsync", |v| {
                v.parse::<Durability>().map_err(|e| e.to_string())
            })?
            .unwrap_or(d.durability),
            registry_addr: peer(REGISTRY_ADDR)?,
            approvals_addr: peer(APPROVALS_ADDR)?,
            notification_addr: peer(NOTIFICATION_ADDR)?,
            audit_addr: peer(AUDIT_ADDR)?,
            drain: read(
                lookup,
                DRAIN_SECONDS,
                "a whole number of seconds such as 10",
                |v| {
                    v.parse::<u64>()
                        .map(Duration::from_secs)
                        .map_err(|e| e.to_string())
                },
            )?
            .unwrap_or(d.drain),
            request_timeout: read(
                lookup,
                REQUEST_TIMEOUT_MS,
                "a whole number of milliseconds above 0 such as 5000",
                |v| match v.parse::<u64>() {
                    Ok(0) => Err("a zero deadline fails every call".to_owned()),
                    Ok(ms) => Ok(Duration::from_millis(ms)),
                    Err(e) => Err(e.to_string()),
                },
            )?
            .unwrap_or(d.request_timeout),
            scheduler_tick: read(
                lookup,
                SCHEDULER_TICK_MS,
                "a whole number of milliseconds above 0 such as 1000",
                |v| match v.parse::<u64>() {
                    Ok(0) => Err("the scheduler needs a tick above 0".to_owned()),
                    Ok(ms) => Ok(Duration::from_millis(ms)),
                    Err(e) => Err(e.to_string()),
                },
            )?
            .unwrap_or(d.scheduler_tick),
            tls: TlsFiles {
                cert: path(lookup, TLS_CERT)?,
                key: path(lookup, TLS_KEY)?,
                client_ca: path(lookup, TLS_CLIENT_CA)?,
            },
            tls_ca: path(lookup, TLS_CA)?,
            tls_identity_dir: path(lookup, TLS_IDENTITY_DIR)?,
            auth: AuthSettings {
                issuer_keys: paths(
                    lookup,
                    AUTH_ISSUER_KEYS,
                    "PEM files of Ed25519 public keys, comma-separated",
                )?,
                issuer: read(lookup, AUTH_ISSUER, "an issuer name such as treaty", |v| {
                    Ok(v.to_owned())
                })?
                .unwrap_or(d.auth.issuer),
                audience: read(lookup, AUTH_AUDIENCE, "an audience such as treaty", |v| {
                    Ok(v.to_owned())
                })?
                .unwrap_or(d.auth.audience),
            },
            health_addr: read(lookup, HEALTH_ADDR, "IP:PORT such as 0.0.0.0:8081", |v| {
                v.parse::<SocketAddr>().map_err(|e| e.to_string())
            })?,
            limits: crate::Limits {
                max_message_bytes: read(
                    lookup,
                    MAX_MESSAGE_BYTES,
                    "a whole number of bytes from 1024 such as 4194304",
                    |v| match v.parse::<usize>() {
                        Ok(n) if n >= 1024 => Ok(n),
                        Ok(_) => Err("below 1024 bytes no request fits".to_owned()),
                        Err(e) => Err(e.to_string()),
                    },
                )?
                .unwrap_or(d.limits.max_message_bytes),
                max_streams_per_connection: read(
                    lookup,
                    MAX_STREAMS_PER_CONNECTION,
                    "a whole number above 0 such as 100",
                    |v| match v.parse::<u32>() {
                        Ok(0) => Err("a connection needs at least one stream".to_owned()),
                        Ok(n) => Ok(n),
                        Err(e) => Err(e.to_string()),
                    },
                )?
                .unwrap_or(d.limits.max_streams_per_connection),
                handshake_timeout: millis(lookup, HANDSHAKE_TIMEOUT_MS)?
                    .unwrap_or(d.limits.handshake_timeout),
                idle_timeout: millis(lookup, IDLE_TIMEOUT_MS)?.unwrap_or(d.limits.idle_timeout),
                keepalive_interval: millis(lookup, KEEPALIVE_INTERVAL_MS)?
                    .unwrap_or(d.limits.keepalive_interval),
                keepalive_timeout: millis(lookup, KEEPALIVE_TIMEOUT_MS)?
                    .unwrap_or(d.limits.keepalive_timeout),
            },
            audit_log: AuditLogSettings {
                key: path(lookup, AUDIT_LOG_KEY)?,
                origin: read(
                    lookup,
                    AUDIT_LOG_ORIGIN,
                    "a log origin such as treaty.example/audit (no spaces or '+')",
                    |v| {
                        if v.chars().any(char::is_whitespace) || v.contains('+') {
                            Err("an origin has no spaces or '+'".to_owned())
                        } else {
                            Ok(v.to_owned())
                        }
                    },
                )?,
                witnesses: paths(
                    lookup,
                    AUDIT_WITNESSES,
                    "files of witness verifier keys, comma-separated",
                )?,
                checkpoint_file: path(lookup, AUDIT_CHECKPOINT_FILE)?,
                interval: millis(lookup, CHECKPOINT_INTERVAL_MS)?.unwrap_or(d.audit_log.interval),
            },
            // --- Bounded server streams. ---
            streams: StreamLimits {
                buffer_bytes: read(
                    lookup,
                    STREAM_BUFFER_BYTES,
                    "a whole number of bytes above 0 such as 262144",
                    |v| match v.parse::<usize>() {
                        Ok(0) => Err("a stream needs room for at least one byte".to_owned()),
                        Ok(bytes) => Ok(bytes),
                        Err(e) => Err(e.to_string()),
                    },
                )?
                .unwrap_or(d.streams.buffer_bytes),
                stall_timeout: read(
                    lookup,
                    STREAM_STALL_MS,
                    "a whole number of milliseconds above 0 such as 30000",
                    |v| match v.parse::<u64>() {
                        Ok(0) => Err("a zero timeout cuts off every client that pauses".to_owned()),
                        Ok(ms) => Ok(Duration::from_millis(ms)),
                        Err(e) => Err(e.to_string()),
                    },
                )?
                .unwrap_or(d.streams.stall_timeout),
            },
            // --- End of bounded server streams. ---
        })
    }

    /// Lists the effective configuration as `(variable, value)` pairs, with secrets redacted.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_owned());
        let path = |v: &Option<PathBuf>| {
            v.as_ref()
                .map_or_else(|| "(unset)".to_owned(), |p| p.display().to_string())
        };
        let paths = |v: &[PathBuf]| {
            if v.is_empty() {
                "(unset)".to_owned()
            } else {
                let v: Vec<String> = v.iter().map(|p| p.display().to_string()).collect();
                v.join(",")
            }
        };
        let entries = [
            (LISTEN_ADDR, self.listen_addr.to_string()),
            (DATA_DIR, self.data_dir.display().to_string()),
            (LOG, self.log.clone()),
            (LOG_FORMAT, self.log_format.as_str().to_owned()),
            (DURABILITY, self.durability.as_str().to_owned()),
            (REGISTRY_ADDR, opt(&self.registry_addr)),
            (APPROVALS_ADDR, opt(&self.approvals_addr)),
            (NOTIFICATION_ADDR, opt(&self.notification_addr)),
            (AUDIT_ADDR, opt(&self.audit_addr)),
            (DRAIN_SECONDS, self.drain.as_secs().to_string()),
            (
                REQUEST_TIMEOUT_MS,
                self.request_timeout.as_millis().to_string(),
            ),
            (
                SCHEDULER_TICK_MS,
                self.scheduler_tick.as_millis().to_string(),
            ),
            (TLS_CERT, path(&self.tls.cert)),
            (TLS_KEY, path(&self.tls.key)),
            (TLS_CLIENT_CA, path(&self.tls.client_ca)),
            (TLS_CA, path(&self.tls_ca)),
            (TLS_IDENTITY_DIR, path(&self.tls_identity_dir)),
            (AUTH_ISSUER_KEYS, paths(&self.auth.issuer_keys)),
            (AUTH_ISSUER, self.auth.issuer.clone()),
            (AUTH_AUDIENCE, self.auth.audience.clone()),
            (
                HEALTH_ADDR,
                self.health_addr
                    .map_or_else(|| "(unset)".to_owned(), |a| a.to_string()),
            ),
            (MAX_MESSAGE_BYTES, self.limits.max_message_bytes.to_string()),
            (
                MAX_STREAMS_PER_CONNECTION,
                self.limits.max_streams_per_connection.to_string(),
            ),
            (
                HANDSHAKE_TIMEOUT_MS,
                self.limits.handshake_timeout.as_millis().to_string(),
            ),
            (
                IDLE_TIMEOUT_MS,
                self.limits.idle_timeout.as_millis().to_string(),
            ),
            (
                KEEPALIVE_INTERVAL_MS,
                self.limits.keepalive_interval.as_millis().to_string(),
            ),
            (
                KEEPALIVE_TIMEOUT_MS,
                self.limits.keepalive_timeout.as_millis().to_string(),
            ),
            (AUDIT_LOG_KEY, path(&self.audit_log.key)),
            (AUDIT_LOG_ORIGIN, opt(&self.audit_log.origin)),
            (AUDIT_WITNESSES, paths(&self.audit_log.witnesses)),
            (AUDIT_CHECKPOINT_FILE, path(&self.audit_log.checkpoint_file)),
            (
                CHECKPOINT_INTERVAL_MS,
                self.audit_log.interval.as_millis().to_string(),
            ),
            // --- Bounded server streams. ---
            (STREAM_BUFFER_BYTES, self.streams.buffer_bytes.to_string()),
            (
                STREAM_STALL_MS,
                self.streams.stall_timeout.as_millis().to_string(),
            ),
            // --- End of bounded server streams. ---
        ];
        entries
            .into_iter()
            .map(|(var, value)| (var, redact(var, &value)))
            .collect()
    }
}

/// Formats the effective configuration as `VAR=value` pairs on one line, secrets redacted.
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (var, value)) in self.describe().into_iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{var}={value}")?;
        }
        Ok(())
    }
}

/// Returns `value` as it may be logged: hidden when `var` names a token, secret or password, and
/// with any password inside a URL's user-info masked.
pub fn redact(var: &str, value: &str) -> String {
    let upper = var.to_ascii_uppercase();
    if ["TOKEN", "SECRET", "PASSWORD"]
        .iter()
        .any(|s| upper.contains(s))
    {
        return "<redacted>".to_owned();
    }
    if let Some((scheme, rest)) = value.split_once("://") {
        let authority_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            return format!("{scheme}://<redacted>@{}", &rest[at + 1..]);
        }
    }
    value.to_owned()
}

/// Checks that `url` is a gRPC peer URL with a host, such as `https://registry:50051`
/// (`http://` for plaintext, on loopback).
pub(crate) fn parse_peer_url(url: &str) -> Result<String, String> {
    let uri: tonic::transport::Uri = url.parse().map_err(|e| format!("{e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        Some(other) => return Err(format!("scheme {other} is not supported")),
        None => return Err("the scheme is missing".to_owned()),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("the host is missing".to_owned());
    }
    Ok(url.to_owned())
}

/// Reads a duration in whole milliseconds above 0.
fn millis(lookup: &impl Lookup, var: &'static str) -> Result<Option<Duration>, ConfigError> {
    read(
        lookup,
        var,
        "a whole number of milliseconds above 0",
        |v| match v.parse::<u64>() {
            Ok(0) => Err("a zero timeout ends every connection at once".to_owned()),
            Ok(ms) => Ok(Duration::from_millis(ms)),
            Err(e) => Err(e.to_string()),
        },
    )
}

/// Reads a comma-separated list of file paths (none when unset).
fn paths(
    lookup: &impl Lookup,
    var: &'static str,
    expected: &'static str,
) -> Result<Vec<PathBuf>, ConfigError> {
    let list = read(lookup, var, expected, |v| {
        v.split(',')
            .map(str::trim)
            .map(|p| {
                if p.is_empty() {
                    Err("an empty path in the list".to_owned())
                } else {
                    Ok(PathBuf::from(p))
                }
            })
            .collect()
    })?;
    Ok(list.unwrap_or_default())
}

/// Reads a file path.
fn path(lookup: &impl Lookup, var: &'static str) -> Result<Option<PathBuf>, ConfigError> {
    read(lookup, var, "a file path", |v| Ok(PathBuf::from(v)))
}

/// Reads `var`, treating unset and empty alike, and parses a present value with `parse`.
fn read<T>(
    lookup: &impl Lookup,
    var: &'static str,
    expected: &'static str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, ConfigError> {
    let Some(raw) = lookup.get(var) else {
        return Ok(None);
    };
    let value = raw.trim();
    if value.is_empty() {
        return Ok(None);
    }
    parse(value).map(Some).map_err(|reason| ConfigError {
        var,
        value: raw.clone(),
        expected,
        reason,
    })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
