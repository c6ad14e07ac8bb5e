use super::*;
use std::cell::RefCell;
use std::collections::BTreeSet;

fn invalid(var: &'static str, value: &str) -> ConfigError {
    let mut map = HashMap::new();
    map.insert(var.to_owned(), value.to_owned());
    Config::from_lookup(&map).expect_err("the value should be refused")
}

/// A lookup that answers from an inner map and remembers every key it was asked for.
struct Recording {
    inner: BTreeMap<String, String>,
    asked: RefCell<Vec<String>>,
}

impl Lookup for Recording {
    fn get(&self, key: &str) -> Option<String> {
        self.asked.borrow_mut().push(key.to_owned());
        self.inner.get(key).cloned()
    }
}

#[test]
fn an_empty_environment_gives_the_documented_defaults() {
    let config = Config::from_lookup(&HashMap::new()).unwrap();
    assert_eq!(config.listen_addr, "127.0.0.1:50051".parse().unwrap());
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.log, "info");
    assert_eq!(config.log_format, LogFormat::Plain);
    assert_eq!(config.durability, Durability::Fsync);
    assert_eq!(config.registry_addr, None);
    assert_eq!(config.approvals_addr, None);
    assert_eq!(config.notification_addr, None);
    assert_eq!(config.audit_addr, None);
    assert_eq!(config.drain, Duration::from_secs(10));
    assert_eq!(config.request_timeout, Duration::from_millis(5000));
    // --- Bounded server streams. ---
    assert_eq!(config.streams.buffer_bytes, 256 * 1024);
    assert_eq!(config.streams.stall_timeout, Duration::from_secs(30));
    // --- End of bounded server streams. ---
    assert_eq!(config, Config::default());
}

#[test]
fn every_variable_is_read_when_set() {
    let config = Config::from_lookup(&[
        (LISTEN_ADDR, "0.0.0.0:0"),
        (DATA_DIR, "/var/lib/treaty"),
        (LOG, "treaty=debug,h2=warn"),
        (LOG_FORMAT, "json"),
        (DURABILITY, "flush"),
        (REGISTRY_ADDR, "http://registry:50051"),
        (APPROVALS_ADDR, "http://approvals:50051"),
        (NOTIFICATION_ADDR, "http://notification:50051"),
        (AUDIT_ADDR, "http://10.0.0.7:50051"),
        (DRAIN_SECONDS, "0"),
        (REQUEST_TIMEOUT_MS, "250"),
        (TLS_CERT, "/tls/tls.crt"),
        (TLS_KEY, "/tls/tls.key"),
        (TLS_CLIENT_CA, "/tls/ca.crt"),
        (TLS_CA, "/tls/peers-ca.crt"),
        (TLS_IDENTITY_DIR, "/identities"),
        (AUTH_ISSUER_KEYS, "/keys/current.pub, /keys/next.pub"),
        (AUTH_ISSUER, "https://issuer.example"),
        (AUTH_AUDIENCE, "treaty-prod"),
        (HEALTH_ADDR, "0.0.0.0:8081"),
        (MAX_MESSAGE_BYTES, "65536"),
        (MAX_STREAMS_PER_CONNECTION, "8"),
        (HANDSHAKE_TIMEOUT_MS, "2000"),
        (IDLE_TIMEOUT_MS, "60000"),
        (KEEPALIVE_INTERVAL_MS, "20000"),
        (KEEPALIVE_TIMEOUT_MS, "5000"),
    ])
    .unwrap();
    assert_eq!(
        config.limits,
        crate::Limits {
            max_message_bytes: 65536,
            max_streams_per_connection: 8,
            handshake_timeout: Duration::from_millis(2000),
            idle_timeout: Duration::from_secs(60),
            keepalive_interval: Duration::from_secs(20),
            keepalive_timeout: Duration::from_secs(5),
        }
    );
    assert_eq!(config.tls.cert, Some(PathBuf::from("/tls/tls.crt")));
    assert_eq!(config.tls.key, Some(PathBuf::from("/tls/tls.key")));
    assert_eq!(config.tls.client_ca, Some(PathBuf::from("/tls/ca.crt")));
    assert_eq!(config.tls_ca, Some(PathBuf::from("/tls/peers-ca.crt")));
    assert_eq!(config.tls_identity_dir, Some(PathBuf::from("/identities")));
    assert_eq!(
        config.auth.issuer_keys,
        [
            PathBuf::from("/keys/current.pub"),
            PathBuf::from("/keys/next.pub")
        ]
    );
    assert_eq!(config.auth.issuer, "https://issuer.example");
    assert_eq!(config.auth.audience, "treaty-prod");
    assert_eq!(config.health_addr, Some("0.0.0.0:8081".parse().unwrap()));
    assert_eq!(config.listen_addr, "0.0.0.0:0".parse().unwrap());
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/treaty"));
    assert_eq!(config.log, "treaty=debug,h2=warn");
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.durability, Durability::Flush);
    assert_eq!(
        config.registry_addr.as_deref(),
        Some("http://registry:50051")
    );
    assert_eq!(
        config.approvals_addr.as_deref(),
        Some("http://approvals:50051")
    );
    assert_eq!(
        config.notification_addr.as_deref(),
        Some("http://notification:50051")
    );
    assert_eq!(config.audit_addr.as_deref(), Some("http://10.0.0.7:50051"));
    assert_eq!(config.drain, Duration::ZERO);
    assert_eq!(config.request_timeout, Duration::from_millis(250));
}

#[test]
fn an_empty_value_counts_as_unset() {
    let config = Config::from_lookup(&[(LISTEN_ADDR, ""), (AUDIT_ADDR, "  ")]).unwrap();
    assert_eq!(config, Config::default());
}

#[test]
fn each_malformed_value_is_refused_with_its_variable_and_what_it_accepts() {
    let cases = [
        (LISTEN_ADDR, "localhost:50051", "IP:PORT"),
        (LISTEN_ADDR, "127.0.0.1", "IP:PORT"),
        (LOG, "treaty=loud", "tracing filter"),
        (LOG_FORMAT, "yaml", "plain or json"),
        (DURABILITY, "sometimes", "flush or fsync"),
        (REGISTRY_ADDR, "registry:50051", "https:// URL"),
        (APPROVALS_ADDR, "grpc://approvals:50051", "https:// URL"),
        (AUTH_ISSUER_KEYS, "a.pub,,b.pub", "comma-separated"),
        (HEALTH_ADDR, "health:8081", "IP:PORT"),
        (MAX_MESSAGE_BYTES, "100", "from 1024"),
        (MAX_STREAMS_PER_CONNECTION, "0", "above 0"),
        (IDLE_TIMEOUT_MS, "0", "milliseconds above 0"),
        (KEEPALIVE_INTERVAL_MS, "30s", "milliseconds"),
        (NOTIFICATION_ADDR, "http://", "https:// URL"),
        (AUDIT_ADDR, "not a url", "https:// URL"),
        (DRAIN_SECONDS, "-1", "whole number of seconds"),
        (DRAIN_SECONDS, "1.5", "whole number of seconds"),
        (REQUEST_TIMEOUT_MS, "0", "above 0"),
        (REQUEST_TIMEOUT_MS, "5s", "milliseconds"),
    ];
    for (var, value, accepted) in cases {
        let err = invalid(var, value);
        assert_eq!(err.var, var, "{var}={value}");
        assert_eq!(err.value, value);
        let message = err.to_string();
        assert!(message.starts_with(var), "{message}");
        assert!(message.contains(accepted), "{var}={value}: {message}");
    }
}

#[test]
fn every_listed_variable_is_read_and_nothing_else() {
    let recording = Recording {
        inner: BTreeMap::new(),
        asked: RefCell::new(Vec::new()),
    };
    Config::from_lookup(&recording).unwrap();
    let asked: BTreeSet<String> = recording.asked.into_inner().into_iter().collect();
    let listed: BTreeSet<String> = VARIABLES.iter().map(|v| (*v).to_owned()).collect();
    assert_eq!(asked, listed);
    assert_eq!(listed.len(), VARIABLES.len(), "VARIABLES has a duplicate");
    assert!(VARIABLES.iter().all(|v| v.starts_with("TREATY_")));
}

#[test]
fn the_description_names_every_variable_once() {
    let described: Vec<&str> = Config::default()
        .describe()
        .into_iter()
        .map(|(var, _)| var)
        .collect();
    assert_eq!(described, VARIABLES);
    let line = Config::default().to_string();
    assert!(
        line.starts_with("TREATY_LISTEN_ADDR=127.0.0.1:50051 "),
        "{line}"
    );
    assert!(line.contains("TREATY_AUDIT_ADDR=(unset)"), "{line}");
}

#[test]
fn secrets_and_url_passwords_are_redacted() {
    assert_eq!(redact("TREATY_AUTH_TOKEN", "abc"), "<redacted>");
    assert_eq!(redact("TREATY_CLIENT_SECRET", "abc"), "<redacted>");
    assert_eq!(
        redact(AUDIT_ADDR, "http://user:pw@audit:50051/x@y"),
        "http://<redacted>@audit:50051/x@y"
    );
    assert_eq!(
        redact(AUDIT_ADDR, "http://audit:50051"),
        "http://audit:50051"
    );
    let config = Config {
        audit_addr: Some("http://user:pw@audit:50051".to_owned()),
        ..Config::default()
    };
    assert!(!config.to_string().contains("pw"));
}

#[test]
fn the_process_environment_is_a_lookup() {
    assert_eq!(Env.get("TREATY_SURELY_NOT_SET_ANYWHERE"), None);
    assert!(Env.get("PATH").is_some());
}

// --- Bounded server streams. ---
#[test]
fn the_stream_limits_are_read_and_zero_is_refused() {
    let config =
        Config::from_lookup(&[(STREAM_BUFFER_BYTES, "65536"), (STREAM_STALL_MS, "250")]).unwrap();
    assert_eq!(
        config.streams,
        StreamLimits {
            buffer_bytes: 65536,
            stall_timeout: Duration::from_millis(250),
        }
    );
    for (var, value, accepted) in [
        (STREAM_BUFFER_BYTES, "0", "above 0"),
        (STREAM_BUFFER_BYTES, "1MiB", "whole number of bytes"),
        (STREAM_STALL_MS, "0", "above 0"),
        (STREAM_STALL_MS, "30s", "milliseconds"),
    ] {
        let message = invalid(var, value).to_string();
        assert!(message.starts_with(var), "{message}");
        assert!(message.contains(accepted), "{var}={value}: {message}");
    }
}
// --- End of bounded server streams. ---
