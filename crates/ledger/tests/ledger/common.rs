//! Helpers shared by the ledger's integration tests.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use treaty_ledger::{Abort, Durability, Ledger, LedgerConfig, ManualClock, NewRecord, Subject};

/// The state tree the tests change alongside the journal.
pub const STATE: &str = "state";

/// A config for `dir` with a manual clock, `flush` durability and one state tree.
pub fn config(dir: &Path) -> LedgerConfig {
    LedgerConfig {
        durability: Durability::Flush,
        trees: vec![STATE.to_owned()],
        clock: Arc::new(ManualClock::new(
            "2025-06-27T09:30:00Z".parse::<Timestamp>().unwrap(),
        )),
        ..LedgerConfig::new(dir, "registry")
    }
}

pub fn open(dir: &Path) -> Ledger {
    Ledger::open(config(dir)).expect("ledger opens")
}

/// A record with `payload`.
pub fn record(payload: &[u8]) -> NewRecord {
    NewRecord {
        kind: "test.Appended".to_owned(),
        subject: Subject {
            state: Some("LT".to_owned()),
            treaty: Some("apmbc".to_owned()),
            case: None,
        },
        actor: "tester".to_owned(),
        occurred_on: Some(jiff::civil::date(2025, 6, 27)),
        sources: vec!["https://treaties.un.org/".to_owned()],
        payload: payload.to_vec(),
        origin: None,
        links: Vec::new(),
    }
}

/// Appends one record with `payload` and sets `state[key] = payload`, durably.
pub fn append_blocking(ledger: &Ledger, key: &str, payload: &str) -> u64 {
    let key = key.to_owned();
    let payload = payload.to_owned();
    ledger
        .commit_blocking(move |txn| -> Result<u64, Abort<()>> {
            txn.tree(STATE).insert(key.as_bytes(), payload.as_bytes())?;
            Ok(txn.append(record(payload.as_bytes())))
        })
        .expect("the commit succeeds")
}
