//! The record format: hashing from fields, origin round trips, strict decoding.

use crate::common::{append_blocking, open, record};
use jiff::Timestamp;
use proptest::prelude::*;
use treaty_ledger::{Abort, GENESIS, Ledger, LedgerConfig, NewRecord, Origin, Record, Subject};

#[test]
fn compute_hash_of_a_record_rebuilt_from_its_fields_equals_the_stored_hash() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open(dir.path());
    append_blocking(&ledger, "k", "first");
    append_blocking(&ledger, "k", "second");
    let stored = ledger.get(2).unwrap().unwrap();
    // As a receiver would rebuild it from a wire message, field by field.
    let rebuilt = Record {
        sequence: stored.sequence,
        prev_hash: stored.prev_hash,
        hash: [0; 32],
        source: stored.source.clone(),
        kind: stored.kind.clone(),
        subject: Subject {
            state: stored.subject.state.clone(),
            treaty: stored.subject.treaty.clone(),
            case: stored.subject.case.clone(),
        },
        actor: stored.actor.clone(),
        occurred_on: stored.occurred_on,
        recorded_at: stored.recorded_at,
        sources: stored.sources.clone(),
        payload: stored.payload.clone(),
        origin: None,
        links: Vec::new(),
    };
    assert_eq!(rebuilt.compute_hash(), stored.hash);
    assert_eq!(ledger.get(1).unwrap().unwrap().prev_hash, GENESIS);
    assert_eq!(ledger.get(1).unwrap().unwrap().hash, stored.prev_hash);
}

#[test]
fn origin_record_rebuilds_the_sources_chain_from_the_global_log() {
    let source_dir = tempfile::tempdir().unwrap();
    let audit_dir = tempfile::tempdir().unwrap();
    let source = open(source_dir.path());
    for i in 1..=3 {
        append_blocking(&source, "k", &format!("step {i}"));
    }
    let audit = Ledger::open(LedgerConfig {
        source: "audit".into(),
        ..crate::common::config(audit_dir.path())
    })
    .unwrap();
    // Interleave a record of another source so global and source sequences differ.
    audit
        .commit_blocking(|txn| -> Result<u64, Abort<()>> {
            Ok(txn.append(NewRecord {
                origin: Some(Origin {
                    source: "notification".into(),
                    sequence: 1,
                    prev_hash: GENESIS,
                    hash: [5; 32],
                    recorded_at: Timestamp::UNIX_EPOCH,
                }),
                ..record(b"other")
            }))
        })
        .unwrap();
    for original in source.range(1, 3) {
        let original = original.unwrap();
        let copy = NewRecord {
            kind: original.kind.clone(),
            subject: original.subject.clone(),
            actor: original.actor.clone(),
            occurred_on: original.occurred_on,
            sources: original.sources.clone(),
            payload: original.payload.clone(),
            origin: Some(Origin {
                source: original.source.clone(),
                sequence: original.sequence,
                prev_hash: original.prev_hash,
                hash: original.hash,
                recorded_at: original.recorded_at,
            }),
            links: Vec::new(),
        };
        audit
            .commit_blocking(move |txn| -> Result<u64, Abort<()>> { Ok(txn.append(copy.clone())) })
            .unwrap();
    }
    let mut prev = GENESIS;
    for (global, original) in audit.range(2, 4).zip(source.range(1, 3)) {
        let (global, original) = (global.unwrap(), original.unwrap());
        assert_ne!(global.sequence, original.sequence);
        let rebuilt = global.origin_record().unwrap();
        assert_eq!(rebuilt, original);
        assert_eq!(
            rebuilt.compute_hash(),
            rebuilt.hash,
            "the source's hash re-verifies"
        );
        assert_eq!(rebuilt.prev_hash, prev, "the source's chain links");
        prev = rebuilt.hash;
    }
    assert_eq!(source.get(1).unwrap().unwrap().origin_record(), None);
    assert!(audit.verify().unwrap().is_clean());
}

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        -377_705_116_800i64..=253_402_207_200i64,
        0i32..1_000_000_000,
    )
        .prop_map(|(s, ns)| Timestamp::new(s, ns).unwrap_or(Timestamp::UNIX_EPOCH))
}

fn hash() -> impl Strategy<Value = [u8; 32]> {
    proptest::array::uniform32(any::<u8>())
}

fn arb_record() -> impl Strategy<Value = Record> {
    let origin = (text(), any::<u64>(), hash(), hash(), timestamp()).prop_map(
        |(source, sequence, prev_hash, hash, recorded_at)| Origin {
            source,
            sequence,
            prev_hash,
            hash,
            recorded_at,
        },
    );
    let link = (text(), any::<u64>(), any::<u64>())
        .prop_map(|(key, count, prev)| treaty_ledger::Link { key, count, prev });
    let date = (-9999i16..=9999, 1i8..=12, 1i8..=28)
        .prop_map(|(y, m, d)| jiff::civil::Date::new(y, m, d).unwrap());
    (
        (any::<u64>(), hash(), hash(), text(), text()),
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(text()),
        ),
        (text(), proptest::option::of(date), timestamp()),
        (
            proptest::collection::vec(text(), 0..4),
            proptest::collection::vec(any::<u8>(), 0..64),
            proptest::option::of(origin),
            proptest::collection::vec(link, 0..3),
        ),
    )
        .prop_map(
            |(
                (sequence, prev_hash, hash, source, kind),
                (state, treaty, case),
                (actor, occurred_on, recorded_at),
                (sources, payload, origin, links),
            )| Record {
                sequence,
                prev_hash,
                hash,
                source,
                kind,
                subject: Subject {
                    state,
                    treaty,
                    case,
                },
                actor,
                occurred_on,
                recorded_at,
                sources,
                payload,
                origin,
                links,
            },
        )
}

proptest! {
    #[test]
    fn a_record_survives_encode_and_decode_unchanged(record in arb_record()) {
        let bytes = record.encode();
        let decoded = Record::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &record);
        prop_assert_eq!(decoded.encode(), bytes);
        prop_assert_eq!(decoded.compute_hash(), record.compute_hash());
    }

    #[test]
    fn any_change_to_a_field_changes_the_hash(record in arb_record(), other in arb_record()) {
        let mut changed = record.clone();
        changed.payload = other.payload.clone();
        changed.actor = other.actor.clone();
        changed.hash = record.hash;
        if changed != record {
            prop_assert_ne!(changed.compute_hash(), record.compute_hash());
        }
    }

    #[test]
    fn truncated_or_extended_values_are_refused(record in arb_record(), cut in any::<prop::sample::Index>()) {
        let bytes = record.encode();
        let at = cut.index(bytes.len());
        prop_assert!(Record::decode(&bytes[..at]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        prop_assert!(Record::decode(&longer).is_err());
    }
}
