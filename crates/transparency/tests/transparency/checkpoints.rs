//! Signed checkpoints and witness cosignatures.

use treaty_transparency::checkpoint::{self, check_cosignature, open, open_witnessed};
use treaty_transparency::{CheckpointError, LogKey, WitnessKey};

const ORIGIN: &str = "treaty.example/audit";

#[test]
fn a_checkpoint_is_the_c2sp_text_signed_by_the_log_and_opens_with_its_key() {
    let (key, private) = LogKey::generate(ORIGIN).unwrap();
    assert!(private.starts_with("PRIVATE+KEY+treaty.example/audit+"));
    assert_eq!(
        LogKey::from_private(&private).unwrap().verifier_key(),
        key.verifier_key()
    );
    let root = [7_u8; 32];
    let note = key.sign(42, &root);
    let text = String::from_utf8(note.clone()).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(ORIGIN));
    assert_eq!(lines.next(), Some("42"));
    assert_eq!(
        lines.next(),
        Some("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=")
    );
    assert_eq!(lines.next(), Some(""));
    assert!(lines.next().unwrap().starts_with("— treaty.example/audit "));
    let c = open(&note, key.verifier_key(), &[]).unwrap();
    assert_eq!((c.origin.as_str(), c.size, c.root), (ORIGIN, 42, root));
    assert!(c.cosigned_by.is_empty());
}

#[test]
fn a_checkpoint_signed_by_another_key_or_altered_is_refused() {
    let (key, _) = LogKey::generate(ORIGIN).unwrap();
    let (other, _) = LogKey::generate(ORIGIN).unwrap();
    let note = key.sign(3, &[1; 32]);
    assert!(matches!(
        open(&note, other.verifier_key(), &[]),
        Err(CheckpointError::NotSigned(_) | CheckpointError::BadSignature(_))
    ));
    let forged = String::from_utf8(note.clone())
        .unwrap()
        .replacen("\n3\n", "\n4\n", 1);
    assert!(matches!(
        open(forged.as_bytes(), key.verifier_key(), &[]),
        Err(CheckpointError::BadSignature(_))
    ));
    assert!(matches!(
        open(b"not a note", key.verifier_key(), &[]),
        Err(CheckpointError::Malformed(_))
    ));
}

#[test]
fn witnesses_cosign_and_a_client_can_require_how_many() {
    let (key, _) = LogKey::generate(ORIGIN).unwrap();
    let (lt, lt_private) = WitnessKey::generate("witness.lt").unwrap();
    let (ee, _) = WitnessKey::generate("witness.ee").unwrap();
    assert_eq!(
        WitnessKey::from_private(&lt_private)
            .unwrap()
            .verifier_key(),
        lt.verifier_key()
    );
    let note = key.sign(10, &[2; 32]);
    let text = checkpoint::checkpoint_text(ORIGIN, 10, &[2; 32]);
    let line = lt.cosign(&text, 1_767_225_600);
    let witnesses = vec![lt.verifier_key(), ee.verifier_key()];
    assert_eq!(
        check_cosignature(&text, &line, &witnesses).unwrap(),
        ("witness.lt".to_owned(), 1_767_225_600)
    );
    let mut cosigned = note.clone();
    cosigned.extend_from_slice(&line);
    let c = open(&cosigned, key.verifier_key(), &witnesses).unwrap();
    assert_eq!(
        c.cosigned_by,
        vec![("witness.lt".to_owned(), 1_767_225_600)]
    );
    assert!(open_witnessed(&cosigned, key.verifier_key(), &witnesses, 1).is_ok());
    assert_eq!(
        open_witnessed(&cosigned, key.verifier_key(), &witnesses, 2),
        Err(CheckpointError::TooFewWitnesses { got: 1, needed: 2 })
    );
    // A cosignature over another checkpoint does not verify over this one.
    let elsewhere = lt.cosign(&checkpoint::checkpoint_text(ORIGIN, 11, &[2; 32]), 1);
    assert!(matches!(
        check_cosignature(&text, &elsewhere, &witnesses),
        Err(CheckpointError::BadSignature(_))
    ));
    // An unknown witness is named.
    let (stranger, _) = WitnessKey::generate("stranger").unwrap();
    let err = check_cosignature(&text, &stranger.cosign(&text, 1), &witnesses).unwrap_err();
    assert!(err.to_string().contains("stranger"), "{err}");
}

#[test]
fn keys_in_the_wrong_form_are_refused_saying_how_to_make_one() {
    let err = LogKey::from_private("PRIVATE+KEY+x+00000000+AAAA").unwrap_err();
    assert!(err.to_string().contains("treaty log keygen"), "{err}");
    let (_, log_private) = LogKey::generate(ORIGIN).unwrap();
    let err = WitnessKey::from_private(&log_private).unwrap_err();
    assert!(err.to_string().contains("0x04"), "{err}");
    assert!(LogKey::generate("two words").is_err());
}
