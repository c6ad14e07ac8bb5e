//! Bearer tokens: JWTs signed with Ed25519 (`EdDSA`) by a trusted issuer key, carrying the
//! principal's permissions. `jsonwebtoken` checks the signature, `exp`, `nbf`, `iss` and `aud`
//! (with a small leeway); keys are PEM files (PKCS#8 private, SPKI public), and a key's id (`kid`)
//! is derived from the public key, so a verifier holding two keys during a rotation picks the
//! right one.

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lru::LruCache;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::permission::Permission;
use crate::principal::User;

/// How far a clock may be off when `exp` and `nbf` are checked.
pub const LEEWAY: Duration = Duration::from_secs(30);

/// The issuer tokens for this suite name, unless configured otherwise.
pub const DEFAULT_ISSUER: &str = "treaty";

/// The audience tokens for this suite name, unless configured otherwise.
pub const DEFAULT_AUDIENCE: &str = "treaty";

/// What a token says.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    permissions: Vec<String>,
}

/// A key that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("not an Ed25519 {what} in PEM: {detail}")]
pub struct KeyError {
    what: &'static str,
    detail: String,
}

/// Why a bearer token is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the bearer token has expired; ask its issuer for a new one")]
    Expired,
    #[error("the bearer token is not valid yet (nbf is in the future)")]
    NotYetValid,
    #[error("the bearer token was not signed by a trusted issuer key")]
    UntrustedKey,
    #[error("the bearer token's issuer is not the one this suite trusts")]
    WrongIssuer,
    #[error("the bearer token is for another audience than this suite")]
    WrongAudience,
    #[error("the bearer token is malformed: {0}")]
    Malformed(String),
    #[error("the bearer token carries {0}")]
    UnknownPermission(String),
}

fn kid_of(public: &ed25519_dalek::VerifyingKey) -> String {
    let digest = Sha256::digest(public.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("ed25519-{hex}")
}

/// An issuer's private key, which signs tokens.
#[derive(Clone)]
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> SigningKey {
        let key = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        let kid = kid_of(&key.verifying_key());
        SigningKey { key, kid }
    }

    /// The key in a PKCS#8 PEM file's text.
    pub fn from_pem(pem: &str) -> Result<SigningKey, KeyError> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem).map_err(|e| KeyError {
            what: "private key (PKCS#8)",
            detail: e.to_string(),
        })?;
        let kid = kid_of(&key.verifying_key());
        Ok(SigningKey { key, kid })
    }

    /// Its public half, for a verifier in the same process.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey::from_pem(&self.public_pem()).expect("our own SPKI PEM reads back")
    }

    /// The key as PKCS#8 PEM text (a secret: write it with owner-only permissions).
    pub fn to_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("an Ed25519 key always encodes")
            .to_string()
    }

    /// The public key as SPKI PEM text, for verifiers.
    pub fn public_pem(&self) -> String {
        self.key
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("an Ed25519 key always encodes")
    }

    /// The key's id, in every token it signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A token for `subject` with `permissions`, valid from `now` (seconds since the epoch) for
    /// `ttl`, issued by `issuer` for `audience`.
    pub fn issue(
        &self,
        issuer: &str,
        audience: &str,
        subject: &str,
        permissions: &[Permission],
        now: i64,
        ttl: Duration,
    ) -> String {
        let claims = Claims {
            iss: issuer.to_owned(),
            sub: subject.to_owned(),
            aud: audience.to_owned(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            permissions: permissions.iter().map(ToString::to_string).collect(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        let pem = self.to_pem();
        let key = EncodingKey::from_ed_pem(pem.as_bytes()).expect("our own PKCS#8 PEM reads back");
        jsonwebtoken::encode(&header, &claims, &key).expect("signing with Ed25519 cannot fail")
    }
}

/// A trusted issuer's public key.
#[derive(Clone)]
pub struct VerifyingKey {
    key: DecodingKey,
    kid: String,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl VerifyingKey {
    /// The key in an SPKI PEM file's text.
    pub fn from_pem(pem: &str) -> Result<VerifyingKey, KeyError> {
        let public =
            ed25519_dalek::VerifyingKey::from_public_key_pem(pem).map_err(|e| KeyError {
                what: "public key (SPKI)",
                detail: e.to_string(),
            })?;
        let key = DecodingKey::from_ed_pem(pem.as_bytes()).map_err(|e| KeyError {
            what: "public key (SPKI)",
            detail: e.to_string(),
        })?;
        Ok(VerifyingKey {
            key,
            kid: kid_of(&public),
        })
    }

    /// The key's id.
    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// Checks bearer tokens against the trusted issuer keys (usually one; two during a rotation).
///
/// A token whose signature and claims verified is remembered (up to [`Verifier::REMEMBERED`]
/// tokens, by their SHA-256): its next use checks only its validity window, not its
/// signature again. The keys are fixed for the verifier's life, so a remembered verdict
/// cannot go stale except by time, which is checked on every use.
#[derive(Clone)]
pub struct Verifier {
    keys: Vec<VerifyingKey>,
    issuer: String,
    audience: String,
    verified: Arc<Mutex<LruCache<[u8; 32], Verified>>>,
}

/// A token that verified: who it names and when it is valid.
#[derive(Clone, Debug)]
struct Verified {
    user: User,
    not_before: i64,
    expires: i64,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &self.kids())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// How many verified tokens are remembered.
    pub const REMEMBERED: usize = 10_000;

    /// A verifier trusting `keys` for tokens of `issuer` for `audience`.
    pub fn new(keys: Vec<VerifyingKey>, issuer: &str, audience: &str) -> Verifier {
        Verifier {
            keys,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            verified: Arc::new(Mutex::new(LruCache::new(
                NonZeroUsize::new(Self::REMEMBERED).expect("a positive capacity"),
            ))),
        }
    }

    /// The user a token names, if it is valid now.
    pub fn verify(&self, token: &str) -> Result<User, TokenError> {
        self.verify_at(token, jiff::Timestamp::now().as_second())
    }

    /// [`Verifier::verify`] with a remembered token's validity checked at `now` (seconds
    /// since the epoch); a token not remembered yet is checked against the system clock.
    pub fn verify_at(&self, token: &str, now: i64) -> Result<User, TokenError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let leeway = i64::try_from(LEEWAY.as_secs()).unwrap_or(0);
        let remembered = self
            .verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest)
            .cloned();
        if let Some(v) = remembered {
            return if v.expires < now - leeway {
                Err(TokenError::Expired)
            } else if v.not_before > now + leeway {
                Err(TokenError::NotYetValid)
            } else {
                Ok(v.user)
            };
        }
        let (user, not_before, expires) = self.verify_signed(token)?;
        self.verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .put(
                digest,
                Verified {
                    user: user.clone(),
                    not_before,
                    expires,
                },
            );
        Ok(user)
    }

    /// The key ids trusted.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(VerifyingKey::kid).collect()
    }

    /// Checks the token's signature and every claim: the user, `nbf` and `exp`.
    fn verify_signed(&self, token: &str) -> Result<(User, i64, i64), TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(TokenError::Malformed(format!(
                "it is signed with {:?}; this suite accepts EdDSA (Ed25519) only",
                header.alg
            )));
        }
        let key = match &header.kid {
            Some(kid) => self.keys.iter().find(|k| k.kid == *kid),
            None => None,
        }
        .ok_or(TokenError::UntrustedKey)?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = LEEWAY.as_secs();
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::ExpiredSignature => TokenError::Expired,
                K::ImmatureSignature => TokenError::NotYetValid,
                K::InvalidIssuer => TokenError::WrongIssuer,
                K::InvalidAudience => TokenError::WrongAudience,
                K::InvalidSignature => TokenError::UntrustedKey,
                _ => TokenError::Malformed(e.to_string()),
            }
        })?;
        let claims = data.claims;
        let permissions = claims
            .permissions
            .iter()
            .map(|p| p.parse::<Permission>())
            .collect::<Result<BTreeSet<_>, _>>()
            .map_err(|e| TokenError::UnknownPermission(e.to_string()))?;
        if claims.sub.trim().is_empty() || claims.sub.len() > 256 {
            return Err(TokenError::Malformed(
                "its subject is empty or longer than 256 bytes".to_owned(),
            ));
        }
        Ok((
            User {
                subject: claims.sub,
                issuer: claims.iss,
                key_id: key.kid.clone(),
                permissions,
            },
            claims.nbf,
            claims.exp,
        ))
    }
}
