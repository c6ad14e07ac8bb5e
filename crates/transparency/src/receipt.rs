//! A recipient's signed receipt of a notice: proof that a party was notified, signed with the
//! party's own Ed25519 key (registered for it, through the log) over what it received — the
//! notice, the log leaf its proof named and the checkpoint that proof was in. A signed note
//! (`signed_note`), whose key name is the recipient's name (`states/FR`, `depositary`):
//!
//! ```text
//! treaty.receipt/v1
//! recipient states/FR
//! notice apmbc-LT-1-deposit
//! leaf 1234
//! checkpoint 1240 <base64 root>
//!
//! — states/FR <base64 signature>
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use signed_note::{Note, Signer, StandardSigner, StandardVerifier, Verifier, VerifierList};
use treaty_ledger::Hash;

/// The first line of a receipt.
pub const HEADER: &str = "treaty.receipt/v1";

/// What a receipt says was received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The recipient, e.g. `states/FR`.
    pub recipient: String,
    /// The notice, e.g. `apmbc-LT-1-deposit`.
    pub notice_id: String,
    /// The log leaf of the step the notice announced, as its proof named it.
    pub leaf_index: u64,
    /// The checkpoint that proof was in: its size and root.
    pub tree_size: u64,
    pub root: Hash,
}

/// Why a receipt or a recipient's key is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// A key is not a usable signed-note Ed25519 key, or not named for the recipient.
    #[error("{0}")]
    Key(String),
    /// The receipt is not a well-formed receipt note.
    #[error("not a receipt: {0}")]
    Malformed(String),
    /// The receipt is not signed by the recipient's key.
    #[error("the receipt is not signed by {0}'s registered key")]
    NotSigned(String),
}

impl Receipt {
    /// The receipt's text (the note's body).
    pub fn text(&self) -> String {
        format!(
            "{HEADER}\nrecipient {}\nnotice {}\nleaf {}\ncheckpoint {} {}\n",
            self.recipient,
            self.notice_id,
            self.leaf_index,
            self.tree_size,
            STANDARD.encode(self.root)
        )
    }

    /// Reads a receipt's text.
    pub fn read(text: &str) -> Result<Receipt, ReceiptError> {
        let bad = |why: &str| ReceiptError::Malformed(why.to_owned());
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(bad("its first line is not treaty.receipt/v1"));
        }
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .map(str::to_owned)
                .ok_or_else(|| bad(&format!("no `{name}` line where it belongs")))
        };
        let recipient = field("recipient")?;
        let notice_id = field("notice")?;
        let leaf_index = field("leaf")?
            .parse()
            .map_err(|_| bad("the leaf is not a number"))?;
        let checkpoint = field("checkpoint")?;
        let (size, root) = checkpoint
            .split_once(' ')
            .ok_or_else(|| bad("the checkpoint line is not `<size> <root>`"))?;
        let tree_size = size
            .parse()
            .map_err(|_| bad("the checkpoint size is not a number"))?;
        let root: Hash = STANDARD
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| bad("the checkpoint root is not 32 bytes of base64"))?;
        if lines.next().is_some() {
            return Err(bad("it has lines after the checkpoint"));
        }
        Ok(Receipt {
            recipient,
            notice_id,
            leaf_index,
            tree_size,
            root,
        })
    }
}

/// A recipient's signing key: Ed25519 in signed-note form, named for the recipient.
pub struct RecipientKey {
    signer: StandardSigner,
    verifier_key: String,
}

impl std::fmt::Debug for RecipientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecipientKey")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

impl RecipientKey {
    /// A new key for `recipient` (e.g. `states/FR`), and its private key text to keep.
    pub fn generate(recipient: &str) -> Result<(RecipientKey, String), ReceiptError> {
        if !signed_note::is_key_name_valid(recipient) {
            return Err(ReceiptError::Key(format!(
                "{recipient:?} cannot name a key: no spaces or '+'"
            )));
        }
        let (private, _) = signed_note::generate_key(&mut rand_core::OsRng, recipient);
        Ok((RecipientKey::from_private(&private)?, private))
    }

    /// The key from its private key text (`PRIVATE+KEY+<recipient>+<id>+<base64>`).
    pub fn from_private(text: &str) -> Result<RecipientKey, ReceiptError> {
        let text = text.trim();
        let signer = StandardSigner::new(text).map_err(|e| {
            ReceiptError::Key(format!(
                "not a signed-note Ed25519 private key ({e}); `treaty receipt keygen` makes one"
            ))
        })?;
        let seed: [u8; 32] = text
            .splitn(5, '+')
            .nth(4)
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|k| k.get(1..).and_then(|k| k.try_into().ok()))
            .ok_or_else(|| ReceiptError::Key("the private key is not 32 bytes of base64".into()))?;
        let verifying = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
        let verifier_key = signed_note::new_ed25519_verifier_key(signer.name(), &verifying);
        Ok(RecipientKey {
            signer,
            verifier_key,
        })
    }

    /// The recipient the key is named for.
    pub fn recipient(&self) -> &str {
        self.signer.name()
    }

    /// The public key as a signed-note verifier key: what is registered for the recipient.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The signed receipt (a note) of `receipt`.
    pub fn sign(&self, receipt: &Receipt) -> String {
        let mut note =
            Note::new(receipt.text().as_bytes(), &[]).expect("a receipt is a valid note");
        note.add_sigs(&[&self.signer])
            .expect("an Ed25519 signature cannot fail");
        String::from_utf8(note.to_bytes()).expect("a note is text")
    }
}

/// Checks that `verifier_key` is a signed-note Ed25519 verifier key named for `recipient`.
pub fn check_key(verifier_key: &str, recipient: &str) -> Result<(), ReceiptError> {
    let v = StandardVerifier::new(verifier_key.trim())
        .map_err(|e| ReceiptError::Key(format!("not a signed-note Ed25519 verifier key: {e}")))?;
    if v.name() != recipient {
        return Err(ReceiptError::Key(format!(
            "the key is named {:?}, not for {recipient:?}: `treaty receipt keygen --recipient {recipient}` makes one",
            v.name()
        )));
    }
    Ok(())
}

/// Opens a signed receipt with the recipient's registered `verifier_key`: what it says.
pub fn open(note: &str, verifier_key: &str) -> Result<Receipt, ReceiptError> {
    let verifier = StandardVerifier::new(verifier_key.trim())
        .map_err(|e| ReceiptError::Key(format!("the registered key is not usable: {e}")))?;
    let name = verifier.name().to_owned();
    let parsed =
        Note::from_bytes(note.as_bytes()).map_err(|e| ReceiptError::Malformed(e.to_string()))?;
    let list: Vec<Box<dyn Verifier>> = vec![Box::new(verifier)];
    parsed
        .verify(&VerifierList::new(list))
        .map_err(|_| ReceiptError::NotSigned(name.clone()))?;
    let text = std::str::from_utf8(parsed.text())
        .map_err(|_| ReceiptError::Malformed("it is not text".into()))?;
    let receipt = Receipt::read(text)?;
    if receipt.recipient != name {
        return Err(ReceiptError::Malformed(format!(
            "it names {} but is signed by {name}'s key",
            receipt.recipient
        )));
    }
    Ok(receipt)
}
