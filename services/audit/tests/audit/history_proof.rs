//! A state's history proved complete: `GetHistory` with `with_proof`, checked by a client that
//! holds only the log's key. Every way a server could shorten a history — an entry left out in
//! the middle, the newest withheld, a history with entries passed off as empty, a proof from
//! another log, another history's entries — fails the check and names what is wrong.

use tonic::Code;
use treaty_audit::wire::{entry, read_history_proof};
use treaty_node::Role;
use treaty_proto::audit as pb;
use treaty_testkit::{CHECKPOINTS_SOON, TestNode, eventually};
use treaty_transparency::LogKey;
use treaty_transparency::history::{HistoryError, HistoryProof, verify};

use crate::log::{BALTIC_STEPS, SOURCE, append, appender, journal};

/// The log's verifier key, read from its key file as its operator would publish it.
fn log_key(node: &TestNode) -> String {
    let text = std::fs::read_to_string(treaty_node::log::dev_key_path(node.data_dir()))
        .expect("the development log key");
    LogKey::from_private(&text)
        .unwrap()
        .verifier_key()
        .to_owned()
}

async fn started() -> TestNode {
    TestNode::start_configured(vec![Role::Audit], |c| {
        c.audit_log.interval = CHECKPOINTS_SOON
    })
    .await
}

/// Waits until the latest checkpoint covers at least `size` leaves.
async fn checkpoint_of_at_least(node: &TestNode, size: u64) -> u64 {
    let mut audit = node.audit();
    eventually(&format!("a checkpoint of at least {size}"), async || {
        let c = audit
            .get_checkpoint(pb::GetCheckpointRequest::default())
            .await
            .ok()?
            .into_inner();
        (c.tree_size >= size).then_some(c.tree_size)
    })
    .await
}

/// A node whose log holds the five Baltic steps under a checkpoint (LT has three of them).
async fn with_baltic_steps() -> TestNode {
    let node = started().await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    appender(&node)
        .await
        .append(append(SOURCE, "all", &records))
        .await
        .unwrap();
    checkpoint_of_at_least(&node, 6).await;
    node
}

fn ask(state: &str, treaty: &str, page_size: i32, page_token: String) -> pb::GetHistoryRequest {
    pb::GetHistoryRequest {
        state: state.to_owned(),
        treaty: treaty.to_owned(),
        page_size,
        page_token,
        with_proof: true,
    }
}

/// Every page of a proved history, `page_size` entries at a time.
async fn proved_pages(
    node: &TestNode,
    state: &str,
    treaty: &str,
    page_size: i32,
) -> Vec<pb::GetHistoryResponse> {
    let mut audit = node.audit();
    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let page = audit
            .get_history(ask(state, treaty, page_size, token))
            .await
            .expect("a proved page")
            .into_inner();
        token = page.next_page_token.clone();
        pages.push(page);
        if token.is_empty() {
            return pages;
        }
    }
}

fn proof_of(pages: &[pb::GetHistoryResponse]) -> HistoryProof {
    let proofs: Vec<pb::HistoryProof> = pages
        .iter()
        .map(|p| p.proof.clone().expect("each page carries its proof"))
        .collect();
    read_history_proof(&proofs).expect("the pages belong together")
}

#[tokio::test]
async fn a_complete_history_verifies_across_pages_against_the_log_key_alone() {
    let node = with_baltic_steps().await;
    let key = log_key(&node);
    let pages = proved_pages(&node, "LT", "", 1).await;
    assert_eq!(pages.len(), 3, "one page per entry of LT's three");
    let proof = proof_of(&pages);
    assert_eq!(proof.key, "state/LT");
    let complete = verify(&proof, &key, &[], 0).expect("complete");
    assert_eq!(complete.checkpoint.size, 6);
    let sequences: Vec<u64> = complete.records.iter().map(|r| r.sequence).collect();
    assert_eq!(sequences, [1, 3, 4]);
    // The entries listed are the proved leaves, decoded.
    let listed: Vec<pb::Entry> = pages.iter().flat_map(|p| p.entries.clone()).collect();
    let proved: Vec<pb::Entry> = complete.records.iter().map(entry).collect();
    assert_eq!(listed, proved);

    // LT under apmbc alone: two entries, its own history.
    let apmbc = proof_of(&proved_pages(&node, "LT", "apmbc", 100).await);
    assert_eq!(apmbc.key, "state/LT/treaty/apmbc");
    let complete = verify(&apmbc, &key, &[], 0).expect("complete");
    assert_eq!(complete.records.len(), 2);
}

#[tokio::test]
async fn an_entry_removed_from_the_middle_is_named_missing() {
    let node = with_baltic_steps().await;
    let mut proof = proof_of(&proved_pages(&node, "LT", "", 100).await);
    proof.entries.remove(1);
    let err = verify(&proof, &log_key(&node), &[], 0).expect_err("an entry is missing");
    assert_eq!(
        err,
        HistoryError::Missing {
            key: "state/LT".into(),
            before_count: 1,
            before: 1,
            after_count: 3,
            after: 4,
        }
    );
    assert_eq!(
        err.to_string(),
        "1 entry of state/LT is missing: the answer goes from entry 1 (log entry 1) to entry 3 (log entry 4)"
    );
    // Left out at the start, too.
    let mut proof = proof_of(&proved_pages(&node, "LT", "", 100).await);
    proof.entries.remove(0);
    assert!(matches!(
        verify(&proof, &log_key(&node), &[], 0),
        Err(HistoryError::Missing {
            before_count: 0,
            after_count: 2,
            ..
        })
    ));
}

#[tokio::test]
async fn the_newest_entry_withheld_is_named_withheld() {
    let node = with_baltic_steps().await;
    let mut proof = proof_of(&proved_pages(&node, "LT", "", 100).await);
    proof.entries.pop();
    let err = verify(&proof, &log_key(&node), &[], 0).expect_err("the newest is withheld");
    assert_eq!(
        err,
        HistoryError::Withheld {
            key: "state/LT".into(),
            size: 6,
            committed: 3,
            last: 4,
            given: 2,
            given_at: Some(3),
        }
    );
    assert_eq!(
        err.to_string(),
        "the newest 1 entry of state/LT is withheld: the checkpoint of 6 commits to 3 entries, the last at log entry 4, but the answer ends with entry 2 (log entry 3)"
    );
    // All of them withheld.
    proof.entries.clear();
    assert!(matches!(
        verify(&proof, &log_key(&node), &[], 0),
        Err(HistoryError::Withheld {
            committed: 3,
            given: 0,
            given_at: None,
            ..
        })
    ));
}

#[tokio::test]
async fn a_history_with_no_entries_is_proved_empty_and_one_with_entries_cannot_pass_for_empty() {
    let node = with_baltic_steps().await;
    let key = log_key(&node);
    let pages = proved_pages(&node, "FR", "", 100).await;
    assert!(pages[0].entries.is_empty());
    let empty = proof_of(&pages);
    assert!(empty.head.is_none(), "France has no head in the commitment");
    assert!(
        !empty.neighbours.is_empty(),
        "its absence is shown by its neighbours"
    );
    assert!(verify(&empty, &key, &[], 0).unwrap().records.is_empty());

    // A server claiming Lithuania has no history: FR's neighbours do not bracket state/LT,
    // and LT's own head is in the commitment.
    let mut forged = empty.clone();
    forged.key = "state/LT".into();
    let err = verify(&forged, &key, &[], 0).expect_err("LT is not absent");
    assert!(matches!(err, HistoryError::Head { .. }), "{err}");
    let mut forged = proof_of(&proved_pages(&node, "LT", "", 100).await);
    forged.head = None;
    forged.entries.clear();
    forged.neighbours = empty.neighbours.clone();
    assert!(matches!(
        verify(&forged, &key, &[], 0),
        Err(HistoryError::Head { .. })
    ));
}

#[tokio::test]
async fn a_proof_from_another_log_key_or_with_another_historys_entries_is_refused() {
    let node = with_baltic_steps().await;
    let proof = proof_of(&proved_pages(&node, "LT", "", 100).await);
    let (other, _) = LogKey::generate(treaty_node::log::DEV_ORIGIN).unwrap();
    assert!(matches!(
        verify(&proof, other.verifier_key(), &[], 0),
        Err(HistoryError::Checkpoint(_))
    ));
    // A witness cosignature required and absent.
    let (witness, _) = treaty_transparency::WitnessKey::generate("witness.example").unwrap();
    assert!(matches!(
        verify(&proof, &log_key(&node), &[witness.verifier_key()], 1),
        Err(HistoryError::Checkpoint(_))
    ));
    // Latvia's entry in Lithuania's history.
    let lv = proof_of(&proved_pages(&node, "LV", "", 100).await);
    let mut mixed = proof.clone();
    mixed.entries[1] = lv.entries[0].clone();
    let err = verify(&mixed, &log_key(&node), &[], 0).expect_err("not LT's entry");
    assert_eq!(
        err.to_string(),
        "entry 1 of the answer is not proved: log entry 2 is not in history state/LT"
    );
    // A leaf whose bytes were changed no longer matches its inclusion proof.
    let mut changed = proof.clone();
    let last = changed.entries[2].leaf.len() - 1;
    changed.entries[2].leaf[last] ^= 1;
    assert!(matches!(
        verify(&changed, &log_key(&node), &[], 0),
        Err(HistoryError::Entry { position: 2, .. })
    ));
}

#[tokio::test]
async fn later_pages_stay_on_the_first_pages_checkpoint_until_it_is_no_longer_held() {
    let node = started().await;
    let records = journal(
        SOURCE,
        &[BALTIC_STEPS.as_slice(), &[("LT", "apmbc", "step"); 17]].concat(),
    )
    .await;
    let mut source = appender(&node).await;
    source
        .append(append(SOURCE, "baltic", &records[..5]))
        .await
        .unwrap();
    checkpoint_of_at_least(&node, 6).await;
    let mut audit = node.audit();
    let first = audit
        .get_history(ask("LT", "", 1, String::new()))
        .await
        .unwrap()
        .into_inner();
    let pinned = first
        .proof
        .as_ref()
        .unwrap()
        .checkpoint
        .as_ref()
        .unwrap()
        .tree_size;

    // The log grows and signs a newer checkpoint; the second page is still proved as of the
    // first page's, so the pages verify together and the new entry is not among them.
    source
        .append(append(SOURCE, "later-0", &records[5..6]))
        .await
        .unwrap();
    let mut latest = checkpoint_of_at_least(&node, pinned + 1).await;
    let mut pages = vec![first.clone()];
    let mut token = first.next_page_token.clone();
    while !token.is_empty() {
        let page = audit
            .get_history(ask("LT", "", 1, token))
            .await
            .unwrap()
            .into_inner();
        token = page.next_page_token.clone();
        pages.push(page);
    }
    let complete = verify(&proof_of(&pages), &log_key(&node), &[], 0).expect("complete");
    assert_eq!(complete.checkpoint.size, pinned);
    assert_eq!(complete.records.len(), 3);

    // Once sixteen newer checkpoints are signed, the first page's token names one no
    // longer held: refused precisely, with where to start again.
    for (n, record) in records[6..].iter().enumerate() {
        source
            .append(append(
                SOURCE,
                &format!("later-{}", n + 1),
                std::slice::from_ref(record),
            ))
            .await
            .unwrap();
        latest = checkpoint_of_at_least(&node, latest + 1).await;
    }
    let err = audit
        .get_history(ask("LT", "", 1, first.next_page_token.clone()))
        .await
        .expect_err("the pinned checkpoint is gone");
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    assert_eq!(
        treaty_testkit::reason(&err).as_deref(),
        Some("PROOF_CHECKPOINT_GONE")
    );
    assert!(
        err.message().contains("without a page token"),
        "{}",
        err.message()
    );
}
