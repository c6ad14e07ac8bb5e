//! Principals for tests: bearer tokens from one test issuer that every [`crate::TestNode`]
//! trusts, and requests carrying them.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use treaty_auth::Permission;
use treaty_auth::token::SigningKey;

/// The issuer every test token names (the suite's default).
pub const TEST_ISSUER: &str = treaty_auth::token::DEFAULT_ISSUER;
/// The audience every test token names (the suite's default).
pub const TEST_AUDIENCE: &str = treaty_auth::token::DEFAULT_AUDIENCE;

struct Issuer {
    key: SigningKey,
    public: PathBuf,
    _dir: tempfile::TempDir,
}

fn issuer() -> &'static Issuer {
    static ISSUER: OnceLock<Issuer> = OnceLock::new();
    ISSUER.get_or_init(|| {
        let key = SigningKey::generate();
        let dir = tempfile::tempdir().expect("a temporary directory for the test issuer");
        let public = dir.path().join("test-issuer.pub");
        std::fs::write(&public, key.public_pem()).expect("the test issuer's public key is written");
        Issuer {
            key,
            public,
            _dir: dir,
        }
    })
}

/// The test issuer's signing key.
pub fn test_issuer() -> &'static SigningKey {
    &issuer().key
}

/// The file holding the test issuer's public key, for `TREATY_AUTH_ISSUER_KEYS`.
pub fn test_issuer_public_key() -> PathBuf {
    issuer().public.clone()
}

/// Reads permissions written as in tokens (`state:LT:record`).
pub fn permissions(names: &[&str]) -> Vec<Permission> {
    names
        .iter()
        .map(|n| {
            n.parse()
                .unwrap_or_else(|e| panic!("a test permission: {e}"))
        })
        .collect()
}

/// A token of the test issuer for `subject` holding `permissions`, valid for an hour.
pub fn token(subject: &str, permissions: &[&str]) -> String {
    token_valid(subject, permissions, 0, Duration::from_secs(3600))
}

/// A token of the test issuer for `subject`, valid for `ttl` from `offset` seconds from now
/// (negative: in the past, for an expired token).
pub fn token_valid(subject: &str, names: &[&str], offset: i64, ttl: Duration) -> String {
    let now = jiff::Timestamp::now().as_second() + offset;
    test_issuer().issue(
        TEST_ISSUER,
        TEST_AUDIENCE,
        subject,
        &permissions(names),
        now,
        ttl,
    )
}

/// `message` as a request carrying `token`.
pub fn with_token<T>(token: &str, message: T) -> tonic::Request<T> {
    treaty_runtime::Bearer::new(token).request(message)
}

/// `message` as a request from `subject` holding `permissions` (a token of the test issuer).
pub fn as_user<T>(subject: &str, permissions: &[&str], message: T) -> tonic::Request<T> {
    with_token(&token(subject, permissions), message)
}

/// The `actor` a step records for a token of the test issuer naming `subject`, taken by the
/// service `via`.
pub fn recorded(subject: &str, via: &str) -> String {
    treaty_auth::Recorded {
        subject: Some(subject.to_owned()),
        issuer: Some(TEST_ISSUER.to_owned()),
        key_id: Some(test_issuer().kid().to_owned()),
        via: via.to_owned(),
        ..treaty_auth::Recorded::default()
    }
    .to_json()
}

/// The `actor` a step records when the service `service` makes it (its certificate), taken
/// by `via`.
pub fn recorded_service(service: &str, via: &str) -> String {
    treaty_auth::Recorded {
        service: Some(service.to_owned()),
        via: via.to_owned(),
        ..treaty_auth::Recorded::default()
    }
    .to_json()
}

/// The development CA, identities and issuer a `treaty serve` on loopback made under
/// `data_dir` (for tests of the real binary).
pub fn dev_credentials(data_dir: &std::path::Path) -> treaty_node::DevCredentials {
    treaty_node::DevCredentials::read(data_dir, TEST_ISSUER, TEST_AUDIENCE).unwrap_or_else(|e| {
        panic!(
            "the development credentials under {}: {e}",
            data_dir.display()
        )
    })
}
