//! The verifiable log through its API: checkpoints signed by the log's key, leaves, inclusion
//! and consistency proofs checked by a client that trusts nothing the server says, witness
//! cosignatures, and the refusal to start below a signed checkpoint.

use tonic::Code;
use treaty_ledger::Record;
use treaty_node::Role;
use treaty_proto::audit as pb;
use treaty_testkit::{CHECKPOINTS_SOON, TestNode, eventually};
use treaty_transparency::checkpoint::open;
use treaty_transparency::commitment::{COMMITMENT_KIND, committed};
use treaty_transparency::proof::{leaf_hash, node_hash};
use treaty_transparency::{
    LogKey, WitnessKey, read_tlog_proof, verify_consistency, verify_inclusion,
};

use crate::log::{BALTIC_STEPS, SOURCE, append, appender, journal};

/// The log's verifier key, read from its key file as its operator would publish it (not from
/// the server's answer).
fn log_key(node: &TestNode) -> String {
    let text = std::fs::read_to_string(treaty_node::log::dev_key_path(node.data_dir()))
        .expect("the development log key");
    LogKey::from_private(&text)
        .unwrap()
        .verifier_key()
        .to_owned()
}

async fn checkpoint_of_at_least(node: &TestNode, size: u64) -> pb::GetCheckpointResponse {
    let mut audit = node.audit();
    eventually(&format!("a checkpoint of at least {size}"), async || {
        let c = audit
            .get_checkpoint(pb::GetCheckpointRequest::default())
            .await
            .ok()?
            .into_inner();
        (c.tree_size >= size).then_some(c)
    })
    .await
}

async fn leaves(node: &TestNode, size: u64) -> Vec<Vec<u8>> {
    node.audit()
        .get_entries(pb::GetEntriesRequest {
            start: 0,
            count: size as i32,
        })
        .await
        .expect("the leaves")
        .into_inner()
        .leaves
}

/// RFC 6962 MTH, written out for the client.
fn root(leaves: &[Vec<u8>]) -> [u8; 32] {
    match leaves.len() {
        0 => treaty_transparency::proof::EMPTY_ROOT,
        1 => leaf_hash(&leaves[0]),
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

async fn started() -> TestNode {
    TestNode::start_configured(vec![Role::Audit], |c| {
        c.audit_log.interval = CHECKPOINTS_SOON
    })
    .await
}

#[tokio::test]
async fn a_checkpoint_signs_the_tree_of_every_leaf_and_ends_with_the_commitment() {
    let node = started().await;
    let err = node
        .audit()
        .get_checkpoint(pb::GetCheckpointRequest::default())
        .await
        .expect_err("nothing to sign yet");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        treaty_testkit::reason(&err).as_deref(),
        Some("NO_CHECKPOINT")
    );

    let records = journal(SOURCE, &BALTIC_STEPS).await;
    appender(&node)
        .await
        .append(append(SOURCE, "all", &records))
        .await
        .unwrap();
    let c = checkpoint_of_at_least(&node, 6).await;
    let key = log_key(&node);
    assert_eq!(c.log_key, key);
    let opened = open(c.checkpoint.as_bytes(), &key, &[]).expect("signed by the log's key");
    assert_eq!(opened.size, 6, "five entries and the commitment");
    let leaves = leaves(&node, opened.size).await;
    assert_eq!(leaves.len(), 6);
    assert_eq!(
        root(&leaves),
        opened.root,
        "the root is recomputed from the leaf bytes"
    );
    let last = Record::decode(&leaves[5]).unwrap();
    assert_eq!(last.kind, COMMITMENT_KIND);
    let commitment = committed(&last).unwrap().unwrap();
    assert_eq!(commitment.covers, 5);
    // LT, LV, EE; apmbc, ccm; LT×apmbc, LT×ccm, LV×apmbc, EE×apmbc; five cases.
    assert_eq!(commitment.subjects, 3 + 2 + 4 + 4);
    // Each entry links into its histories: LT's third step is its second under apmbc.
    let fourth = Record::decode(&leaves[3]).unwrap();
    let lt = fourth.links.iter().find(|l| l.key == "state/LT").unwrap();
    assert_eq!((lt.count, lt.prev), (3, 3));
    let lt_apmbc = fourth
        .links
        .iter()
        .find(|l| l.key == "state/LT/treaty/apmbc")
        .unwrap();
    assert_eq!((lt_apmbc.count, lt_apmbc.prev), (2, 1));
}

#[tokio::test]
async fn inclusion_and_consistency_proofs_verify_for_a_client_that_trusts_only_the_key() {
    let node = started().await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut source = appender(&node).await;
    source
        .append(append(SOURCE, "first", &records[..2]))
        .await
        .unwrap();
    let first = checkpoint_of_at_least(&node, 3).await;
    source
        .append(append(SOURCE, "rest", &records[2..]))
        .await
        .unwrap();
    let second = checkpoint_of_at_least(&node, first.tree_size + 4).await;
    let key = log_key(&node);
    let (a, b) = (
        open(first.checkpoint.as_bytes(), &key, &[]).unwrap(),
        open(second.checkpoint.as_bytes(), &key, &[]).unwrap(),
    );
    let leaves = leaves(&node, b.size).await;
    let mut audit = node.audit();
    for (i, leaf) in leaves.iter().enumerate() {
        let p = audit
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                tree_size: b.size,
                leaf: Some(pb::get_inclusion_proof_request::Leaf::LeafIndex(i as u64)),
            })
            .await
            .unwrap()
            .into_inner();
        verify_inclusion(i as u64, b.size, &leaf_hash(leaf), &p.hashes, &b.root)
            .unwrap_or_else(|e| panic!("leaf {i}: {e}"));
        // The same proof as C2SP tlog-proof text, carrying the signed checkpoint.
        let (index, hashes, note) = read_tlog_proof(&p.proof).unwrap();
        assert_eq!(index, i as u64);
        assert_eq!(open(&note, &key, &[]).unwrap().root, b.root);
        verify_inclusion(index, b.size, &leaf_hash(leaf), &hashes, &b.root).unwrap();
    }
    // By entry: entries/3 is leaf 2.
    let by_entry = audit
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            tree_size: 0,
            leaf: Some(pb::get_inclusion_proof_request::Leaf::Entry(
                "entries/3".into(),
            )),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((by_entry.leaf_index, by_entry.tree_size), (2, b.size));

    let p = audit
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            first: a.size,
            second: b.size,
        })
        .await
        .unwrap()
        .into_inner();
    verify_consistency(a.size, b.size, &p.hashes, &a.root, &b.root).expect("consistent");
    // A proof against another first root fails.
    assert!(verify_consistency(a.size, b.size, &p.hashes, &[9; 32], &b.root).is_err());
}

#[tokio::test]
async fn proofs_out_of_range_are_refused_precisely() {
    let node = started().await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    appender(&node)
        .await
        .append(append(SOURCE, "all", &records))
        .await
        .unwrap();
    let c = checkpoint_of_at_least(&node, 6).await;
    let mut audit = node.audit();
    let err = audit
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            first: 0,
            second: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(treaty_testkit::violated_fields(&err), ["first"]);
    let err = audit
        .get_consistency_proof(pb::GetConsistencyProofRequest {
            first: 1,
            second: c.tree_size + 10,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert_eq!(
        treaty_testkit::error_metadata(&err, "treeSize").as_deref(),
        Some(c.tree_size.to_string().as_str())
    );
    let err = audit
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            tree_size: 0,
            leaf: Some(pb::get_inclusion_proof_request::Leaf::LeafIndex(
                c.tree_size,
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
    let err = audit
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            tree_size: 0,
            leaf: Some(pb::get_inclusion_proof_request::Leaf::Entry(
                "entries/0".into(),
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(treaty_testkit::violated_fields(&err), ["entry"]);
    let err = audit
        .get_entries(pb::GetEntriesRequest {
            start: 0,
            count: 5000,
        })
        .await
        .unwrap_err();
    assert_eq!(treaty_testkit::violated_fields(&err), ["count"]);
    let err = audit
        .get_checkpoint(pb::GetCheckpointRequest { tree_size: 4 })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        treaty_testkit::reason(&err).as_deref(),
        Some("NO_CHECKPOINT_OF_SIZE")
    );
}

#[tokio::test]
async fn a_configured_witness_cosigns_and_others_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (witness, _) = WitnessKey::generate("witness.lt").unwrap();
    let file = dir.path().join("witness.lt.vkey");
    std::fs::write(&file, witness.verifier_key()).unwrap();
    let node = TestNode::start_configured(vec![Role::Audit], |c| {
        c.audit_log.interval = CHECKPOINTS_SOON;
        c.audit_log.witnesses = vec![file.clone()];
    })
    .await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    appender(&node)
        .await
        .append(append(SOURCE, "all", &records))
        .await
        .unwrap();
    let c = checkpoint_of_at_least(&node, 6).await;
    let key = log_key(&node);
    let text = open(c.checkpoint.as_bytes(), &key, &[]).unwrap().text;
    let line = String::from_utf8(witness.cosign(&text, 1_767_225_600)).unwrap();
    let mut audit = node.audit();
    let added = audit
        .add_cosignature(pb::AddCosignatureRequest {
            request_id: "cosign-6".into(),
            tree_size: c.tree_size,
            cosignature: line.clone(),
        })
        .await
        .expect("a configured witness's cosignature is kept")
        .into_inner()
        .checkpoint
        .unwrap();
    assert_eq!(added.cosigned_by, ["witness.lt"]);
    let served = audit
        .get_checkpoint(pb::GetCheckpointRequest {
            tree_size: c.tree_size,
        })
        .await
        .unwrap()
        .into_inner();
    let opened = treaty_transparency::checkpoint::open_witnessed(
        served.checkpoint.as_bytes(),
        &key,
        &[witness.verifier_key()],
        1,
    )
    .expect("cosigned by the witness");
    assert_eq!(
        opened.cosigned_by,
        [("witness.lt".to_owned(), 1_767_225_600)]
    );

    // A stranger's cosignature, and the witness's over another checkpoint, are refused.
    let (stranger, _) = WitnessKey::generate("stranger").unwrap();
    let err = audit
        .add_cosignature(pb::AddCosignatureRequest {
            request_id: String::new(),
            tree_size: c.tree_size,
            cosignature: String::from_utf8(stranger.cosign(&text, 1)).unwrap(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let other = treaty_transparency::checkpoint::checkpoint_text(&opened.origin, 6, &[0; 32]);
    let err = audit
        .add_cosignature(pb::AddCosignatureRequest {
            request_id: String::new(),
            tree_size: c.tree_size,
            cosignature: String::from_utf8(witness.cosign(&other, 1)).unwrap(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(treaty_testkit::violated_fields(&err), ["cosignature"]);
}

/// Copies a directory tree (the audit database, as a backup would).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn the_log_refuses_to_start_from_a_database_restored_from_before_its_last_checkpoint() {
    let node = started().await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    let mut source = appender(&node).await;
    source
        .append(append(SOURCE, "first", &records[..2]))
        .await
        .unwrap();
    checkpoint_of_at_least(&node, 3).await;
    let stopped = node.stop().await;
    let backup = tempfile::tempdir().unwrap();
    copy_dir(&stopped.data_dir().join("audit"), backup.path());

    let node = stopped.restart().await;
    appender(&node)
        .await
        .append(append(SOURCE, "rest", &records[2..]))
        .await
        .unwrap();
    let later = checkpoint_of_at_least(&node, 7).await;
    let stopped = node.stop().await;
    // The database alone is restored from the backup; the checkpoint kept beside it is not.
    let db = stopped.data_dir().join("audit");
    std::fs::remove_dir_all(&db).unwrap();
    copy_dir(backup.path(), &db);
    let refused = treaty_node::LocalNode::builder()
        .roles([Role::Audit])
        .data_dir(stopped.data_dir())
        .configure(|c| c.auth.issuer_keys = vec![treaty_testkit::test_issuer_public_key()])
        .start()
        .await
        .map(drop)
        .expect_err("a rolled-back log does not start");
    let message = refused.to_string();
    assert!(
        message.contains(&format!("signed a checkpoint of {}", later.tree_size))
            && message.contains("re-ship"),
        "{message}"
    );
}

#[tokio::test]
async fn a_proof_waited_for_makes_the_log_sign_soon_instead_of_on_its_schedule() {
    // An audit-only test node signs on a daily schedule: only being asked makes it sign now.
    let node = TestNode::start(vec![Role::Audit]).await;
    let records = journal(SOURCE, &BALTIC_STEPS).await;
    appender(&node)
        .await
        .append(append(SOURCE, "all", &records))
        .await
        .unwrap();
    let ask = || pb::GetInclusionProofRequest {
        tree_size: 0,
        leaf: Some(pb::get_inclusion_proof_request::Leaf::SourceEntry(
            pb::SourceEntryRef {
                source: SOURCE.into(),
                sequence: records.len() as u64,
            },
        )),
    };
    let mut audit = node.audit();
    let proved = eventually("the entry in a signed checkpoint", async || {
        audit
            .get_inclusion_proof(ask())
            .await
            .ok()
            .map(|p| p.into_inner())
    })
    .await;
    assert_eq!(proved.leaf_index, records.len() as u64 - 1);
    assert!(proved.tree_size > proved.leaf_index);
    // It is that entry, in a checkpoint the log's key signed.
    let (index, hashes, note) = read_tlog_proof(&proved.proof).unwrap();
    let c = open(&note, &log_key(&node), &[]).unwrap();
    verify_inclusion(index, c.size, &leaf_hash(&proved.leaf), &hashes, &c.root).unwrap();
    let entry = Record::decode(&proved.leaf).unwrap();
    assert_eq!(
        entry.origin_record().unwrap().sequence,
        records.len() as u64
    );
    // A source entry the log does not hold is NOT_FOUND, naming it.
    let err = audit
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            tree_size: 0,
            leaf: Some(pb::get_inclusion_proof_request::Leaf::SourceEntry(
                pb::SourceEntryRef {
                    source: SOURCE.into(),
                    sequence: 999,
                },
            )),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(
        treaty_testkit::reason(&err).as_deref(),
        Some("SOURCE_ENTRY_NOT_LOGGED")
    );
}
