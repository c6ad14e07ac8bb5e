//! Signed checkpoints (C2SP `tlog-checkpoint` in a `signed-note`, Ed25519) and witness
//! cosignatures (C2SP `tlog-cosignature`, `cosignature/v1`).
//!
//! A checkpoint's text is three lines: the log's origin, the tree size, the base64 root. The
//! log signs it with its Ed25519 key, whose key name is the origin; witnesses add signature
//! lines of their own over `cosignature/v1\ntime <unix seconds>\n` and the same text, each
//! carrying its 8-byte timestamp before the signature. Notes and keys are read and written by
//! `signed_note` (a port of Go's `golang.org/x/mod/sumdb/note`); the cosignature algorithm
//! (signature type `0x04`) is written here on its `Signer` and `Verifier` traits.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use signed_note::{Note, Signer, StandardSigner, StandardVerifier, Verifier, VerifierList};
use treaty_ledger::Hash;

/// The signature type of a `cosignature/v1` (C2SP tlog-cosignature).
const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Why a key, a checkpoint or a cosignature is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A key is not in the signed-note key format this needs.
    #[error("{0}")]
    Key(String),
    /// The note is not a well-formed signed note holding a checkpoint.
    #[error("not a checkpoint: {0}")]
    Malformed(String),
    /// The log's signature is missing or does not verify.
    #[error("the checkpoint is not signed by the log's key {0}")]
    NotSigned(String),
    /// A signature that names a known key does not verify.
    #[error("a signature by {0} does not verify")]
    BadSignature(String),
    /// Fewer known witnesses cosigned than required.
    #[error("{got} of the required {needed} known witnesses cosigned this checkpoint")]
    TooFewWitnesses {
        /// How many known witnesses cosigned.
        got: usize,
        /// How many were required.
        needed: usize,
    },
}

fn key_id(name: &str, alg_and_key: &[u8]) -> u32 {
    signed_note::key_id(name, alg_and_key)
}

/// The log's signing key: an Ed25519 key in signed-note form whose name is the log's origin.
#[derive(Clone)]
pub struct LogKey {
    signer: StandardSigner,
    verifier_key: String,
    origin: String,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

impl LogKey {
    /// A new key for the log `origin`, and its private key text to keep in a file.
    pub fn generate(origin: &str) -> Result<(LogKey, String), CheckpointError> {
        if !signed_note::is_key_name_valid(origin) {
            return Err(CheckpointError::Key(format!(
                "{origin:?} cannot be a log origin: it must be non-empty, without spaces or '+'"
            )));
        }
        let (skey, _) = signed_note::generate_key(&mut rand_core::OsRng, origin);
        Ok((LogKey::from_private(&skey)?, skey))
    }

    /// The key from its private key text (`PRIVATE+KEY+<origin>+<id>+<base64>`).
    pub fn from_private(text: &str) -> Result<LogKey, CheckpointError> {
        let text = text.trim();
        let signer = StandardSigner::new(text).map_err(|e| {
            CheckpointError::Key(format!(
                "not a signed-note Ed25519 private key ({e}); `treaty log keygen` makes one"
            ))
        })?;
        let seed = private_seed(text)?;
        let verifying = SigningKey::from_bytes(&seed).verifying_key();
        let origin = signer.name().to_owned();
        let verifier_key = signed_note::new_ed25519_verifier_key(&origin, &verifying);
        Ok(LogKey {
            signer,
            verifier_key,
            origin,
        })
    }

    /// The log's origin (the key's name, the checkpoint's first line).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The public key as a signed-note verifier key (`<origin>+<id>+<base64>`): what a
    /// client pins to check the log.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The signed checkpoint of the tree of `size` leaves with `root`.
    pub fn sign(&self, size: u64, root: &Hash) -> Vec<u8> {
        let mut note = Note::new(&checkpoint_text(&self.origin, size, root), &[])
            .expect("a checkpoint's text is a valid note");
        note.add_sigs(&[&self.signer])
            .expect("an Ed25519 signature cannot fail");
        note.to_bytes()
    }
}

fn private_seed(text: &str) -> Result<[u8; 32], CheckpointError> {
    let key = text
        .splitn(5, '+')
        .nth(4)
        .and_then(|b| STANDARD.decode(b).ok())
        .ok_or_else(|| CheckpointError::Key("the private key is not base64".into()))?;
    key.get(1..)
        .and_then(|k| k.try_into().ok())
        .ok_or_else(|| CheckpointError::Key("the private key is not 32 bytes".into()))
}

/// The text of a checkpoint: origin, size and base64 root, one per line.
pub fn checkpoint_text(origin: &str, size: u64, root: &Hash) -> Vec<u8> {
    tlog_tiles::Checkpoint::new(origin, size, tlog_tiles::Hash(*root), "")
        .expect("a valid origin")
        .to_bytes()
}

/// A checkpoint whose log signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The tree's root hash.
    pub root: Hash,
    /// The signed text (without signatures).
    pub text: Vec<u8>,
    /// The known witnesses whose cosignatures verified, with the time each gave.
    pub cosigned_by: Vec<(String, u64)>,
}

/// Opens a signed checkpoint: its log signature must verify under `log_key` (a verifier
/// key), and every signature by a key in `witnesses` (verifier keys of cosigners) must
/// verify; signatures by other keys are ignored.
pub fn open(
    note: &[u8],
    log_key: &str,
    witnesses: &[String],
) -> Result<Checkpoint, CheckpointError> {
    let log = StandardVerifier::new(log_key.trim())
        .map_err(|e| CheckpointError::Key(format!("the log's verifier key is not usable: {e}")))?;
    let log_name = log.name().to_owned();
    let log_id = log.key_id();
    let mut verifiers: Vec<Box<dyn Verifier>> = vec![Box::new(log)];
    for w in witnesses {
        verifiers.push(Box::new(CosignatureVerifier::new(w)?));
    }
    let parsed = Note::from_bytes(note).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    let (verified, _) = parsed
        .verify(&VerifierList::new(verifiers))
        .map_err(|e| match e {
            signed_note::NoteError::InvalidSignature { name, id } => {
                CheckpointError::BadSignature(format!("{name}+{id:08x}"))
            }
            signed_note::NoteError::UnverifiedNote => {
                CheckpointError::NotSigned(log_key.to_owned())
            }
            other => CheckpointError::Malformed(other.to_string()),
        })?;
    if !verified
        .iter()
        .any(|s| s.name() == log_name && s.id() == log_id)
    {
        return Err(CheckpointError::NotSigned(log_key.to_owned()));
    }
    let text = parsed.text().to_vec();
    let body = tlog_tiles::Checkpoint::from_bytes(&text)
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    if body.origin() != log_name {
        return Err(CheckpointError::Malformed(format!(
            "the origin line {:?} is not the log key's name {log_name:?}",
            body.origin()
        )));
    }
    let cosigned_by = verified
        .iter()
        .filter(|s| !(s.name() == log_name && s.id() == log_id))
        .filter_map(|s| {
            Some((
                s.name().to_owned(),
                u64::from_be_bytes(s.signature().get(..8)?.try_into().ok()?),
            ))
        })
        .collect();
    Ok(Checkpoint {
        origin: body.origin().to_owned(),
        size: body.size(),
        root: body.hash().0,
        text,
        cosigned_by,
    })
}

/// [`open`], then requires at least `needed` of `witnesses` to have cosigned.
pub fn open_witnessed(
    note: &[u8],
    log_key: &str,
    witnesses: &[String],
    needed: usize,
) -> Result<Checkpoint, CheckpointError> {
    let checkpoint = open(note, log_key, witnesses)?;
    if checkpoint.cosigned_by.len() < needed {
        return Err(CheckpointError::TooFewWitnesses {
            got: checkpoint.cosigned_by.len(),
            needed,
        });
    }
    Ok(checkpoint)
}

/// A witness's signing key (C2SP tlog-cosignature): Ed25519, key type `0x04`.
#[derive(Clone)]
pub struct WitnessKey {
    name: String,
    id: u32,
    key: SigningKey,
}

impl std::fmt::Debug for WitnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl WitnessKey {
    /// A new witness key named `name`, and its private key text to keep in a file.
    pub fn generate(name: &str) -> Result<(WitnessKey, String), CheckpointError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(CheckpointError::Key(format!(
                "{name:?} cannot be a witness name: it must be non-empty, without spaces or '+'"
            )));
        }
        let key = SigningKey::generate(&mut rand_core::OsRng);
        let public = [&[ALG_COSIGNATURE_V1][..], key.verifying_key().as_bytes()].concat();
        let id = key_id(name, &public);
        let private = [&[ALG_COSIGNATURE_V1][..], key.as_bytes()].concat();
        let text = format!("PRIVATE+KEY+{name}+{id:08x}+{}", STANDARD.encode(private));
        Ok((WitnessKey::from_private(&text)?, text))
    }

    /// The key from its private key text (`PRIVATE+KEY+<name>+<id>+<base64(0x04 ‖ seed)>`).
    pub fn from_private(text: &str) -> Result<WitnessKey, CheckpointError> {
        let bad = |why: &str| {
            CheckpointError::Key(format!(
                "not a witness private key ({why}); `treaty witness keygen` makes one"
            ))
        };
        // Base64 has '+' in it: only the first four separate parts.
        let parts: Vec<&str> = text.trim().splitn(5, '+').collect();
        let [p1, p2, name, id, key] = parts[..] else {
            return Err(bad("it has not five '+'-separated parts"));
        };
        if p1 != "PRIVATE" || p2 != "KEY" || !signed_note::is_key_name_valid(name) {
            return Err(bad("it does not start PRIVATE+KEY+<name>"));
        }
        let raw = STANDARD
            .decode(key)
            .map_err(|_| bad("the key is not base64"))?;
        let (&[alg], seed) = raw.split_at(1.min(raw.len())) else {
            return Err(bad("the key is empty"));
        };
        if alg != ALG_COSIGNATURE_V1 {
            return Err(bad("its key type is not 0x04 (cosignature/v1)"));
        }
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| bad("the key is not 32 bytes"))?;
        let key = SigningKey::from_bytes(&seed);
        let public = [&[ALG_COSIGNATURE_V1][..], key.verifying_key().as_bytes()].concat();
        let expected = key_id(name, &public);
        if u32::from_str_radix(id, 16).ok() != Some(expected) || id.len() != 8 {
            return Err(bad("its key id does not match the key"));
        }
        Ok(WitnessKey {
            name: name.to_owned(),
            id: expected,
            key,
        })
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public key as a verifier key (`<name>+<id>+<base64(0x04 ‖ key)>`), what a log
    /// and its clients are configured with.
    pub fn verifier_key(&self) -> String {
        let public = [
            &[ALG_COSIGNATURE_V1][..],
            self.key.verifying_key().as_bytes(),
        ]
        .concat();
        format!("{}+{:08x}+{}", self.name, self.id, STANDARD.encode(public))
    }

    /// The cosignature of the checkpoint `text` at `time` (Unix seconds), as a note
    /// signature line (`— <name> <base64>\n`).
    pub fn cosign(&self, text: &[u8], time: u64) -> Vec<u8> {
        let sig = self.key.sign(&cosigned_message(text, time));
        let mut bytes = time.to_be_bytes().to_vec();
        bytes.extend_from_slice(&sig.to_bytes());
        signed_note::Signature::new(self.name.clone(), self.id, bytes)
            .expect("a valid name")
            .to_bytes()
    }
}

/// What a `cosignature/v1` signs: the header lines, then the checkpoint text.
fn cosigned_message(text: &[u8], time: u64) -> Vec<u8> {
    let mut msg = format!("cosignature/v1\ntime {time}\n").into_bytes();
    msg.extend_from_slice(text);
    msg
}

/// Checks `cosignature/v1` signatures of one witness.
struct CosignatureVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    fn new(verifier_key: &str) -> Result<Self, CheckpointError> {
        let bad = |why: &str| CheckpointError::Key(format!("a witness key is not usable: {why}"));
        // Base64 has '+' in it: only the first two separate parts.
        let parts: Vec<&str> = verifier_key.trim().splitn(3, '+').collect();
        let [name, id, key] = parts[..] else {
            return Err(bad("it has not three '+'-separated parts"));
        };
        let raw = STANDARD
            .decode(key)
            .map_err(|_| bad("the key is not base64"))?;
        if raw.first() != Some(&ALG_COSIGNATURE_V1) {
            return Err(bad("its key type is not 0x04 (cosignature/v1)"));
        }
        let public: [u8; 32] = raw[1..]
            .try_into()
            .map_err(|_| bad("the key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad("not an Ed25519 key"))?;
        let expected = key_id(name, &raw);
        if u32::from_str_radix(id, 16).ok() != Some(expected) || id.len() != 8 {
            return Err(bad("its key id does not match the key"));
        }
        Ok(Self {
            name: name.to_owned(),
            id: expected,
            key,
        })
    }
}

impl Verifier for CosignatureVerifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn key_id(&self) -> u32 {
        self.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((time, sig)) = sig.split_first_chunk::<8>() else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        self.key
            .verify(&cosigned_message(msg, u64::from_be_bytes(*time)), &sig)
            .is_ok()
    }
}

/// The name and key id of a note signature line, and whether it is a cosignature by one of
/// `witnesses` that verifies over `text`.
pub fn check_cosignature(
    text: &[u8],
    line: &[u8],
    witnesses: &[String],
) -> Result<(String, u64), CheckpointError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let sig = signed_note::Signature::from_bytes(line)
        .map_err(|e| CheckpointError::Malformed(format!("not a note signature line: {e}")))?;
    for w in witnesses {
        let v = CosignatureVerifier::new(w)?;
        if v.name == sig.name() && v.id == sig.id() {
            if !v.verify(text, sig.signature()) {
                return Err(CheckpointError::BadSignature(format!(
                    "{}+{:08x}",
                    sig.name(),
                    sig.id()
                )));
            }
            let time = u64::from_be_bytes(sig.signature()[..8].try_into().expect("verified"));
            return Ok((sig.name().to_owned(), time));
        }
    }
    Err(CheckpointError::Key(format!(
        "{}+{:08x} is not a witness this log knows",
        sig.name(),
        sig.id()
    )))
}

/// Checks that `verifier_key` is a witness's `cosignature/v1` verifier key; its name.
pub fn witness_name(verifier_key: &str) -> Result<String, CheckpointError> {
    CosignatureVerifier::new(verifier_key).map(|v| v.name)
}

/// A signed checkpoint's origin, size and root, read without checking any signature: what a
/// service that holds no key can check a proof's shape against. Never trust it on its own.
pub fn unverified(note: &[u8]) -> Result<(String, u64, Hash), CheckpointError> {
    let parsed = Note::from_bytes(note).map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    let body = tlog_tiles::Checkpoint::from_bytes(parsed.text())
        .map_err(|e| CheckpointError::Malformed(e.to_string()))?;
    Ok((body.origin().to_owned(), body.size(), body.hash().0))
}
