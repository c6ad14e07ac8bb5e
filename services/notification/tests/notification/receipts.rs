//! Signed receipts: a recipient registers its own Ed25519 key, then acknowledges a notice
//! with a receipt signed by it over the notice, the leaf its proof names and that proof's
//! checkpoint; the receipt goes into the journal (and so the audit log). A receipt without a
//! registered key, by another key, or naming something else than what was received is
//! refused and changes nothing; only the recipient registers its key.

use tonic::Code;
use treaty_proto::audit as au;
use treaty_proto::notification as pb;
use treaty_testkit::{TestNode, as_user};
use treaty_transparency::receipt::{Receipt, RecipientKey};

use crate::publish::{deposit, published};
use crate::support::*;

const FR_INBOX: &[&str] = &["state:FR:inbox"];

fn as_fr<T>(msg: T) -> tonic::Request<T> {
    as_user("fr-treaty-office", FR_INBOX, msg)
}

fn ack(receipt: String) -> pb::AcknowledgeRequest {
    pb::AcknowledgeRequest {
        request_id: String::new(),
        recipient: "states/FR".into(),
        notice_id: "apmbc-LT-1-deposit".into(),
        receipt,
    }
}

fn register(key: &str) -> pb::RegisterRecipientKeyRequest {
    pb::RegisterRecipientKeyRequest {
        request_id: String::new(),
        recipient: "states/FR".into(),
        verifier_key: key.into(),
    }
}

/// What the notice's proof names: its leaf, and its checkpoint's size and root.
fn named(notice: &pb::Notice) -> (u64, u64, [u8; 32]) {
    let p = notice.proof.as_ref().expect("the notice carries its proof");
    let (_, _, note) = treaty_transparency::read_tlog_proof(&p.proof).unwrap();
    let (_, size, root) = treaty_transparency::checkpoint::unverified(&note).unwrap();
    (p.leaf_index, size, root)
}

#[tokio::test]
async fn a_recipient_signs_its_receipt_with_its_registered_key_and_the_receipt_goes_into_the_log() {
    let node = TestNode::start_all().await;
    let case = approved_ottawa_lt(&node).await;
    deposit(&node, &case).await;
    let notice = published(&node, pb::NoticeKind::Deposit).await;
    // France's own stream delivers it.
    let mut fr = node
        .notification()
        .subscribe(as_fr(pb::SubscribeRequest {
            recipient: "states/FR".into(),
            after_cursor: 0,
        }))
        .await
        .expect("France's inbox")
        .into_inner();
    next(&mut fr).await;
    eventually("France's delivery", || async {
        delivery(&node, "apmbc-LT-1-deposit", "states/FR")
            .await
            .delivered_at
            .map(|_| ())
    })
    .await;
    let (leaf_index, tree_size, root) = named(&notice);
    let received = Receipt {
        recipient: "states/FR".into(),
        notice_id: "apmbc-LT-1-deposit".into(),
        leaf_index,
        tree_size,
        root,
    };
    let (key, _) = RecipientKey::generate("states/FR").unwrap();
    let mut n = node.notification();

    // No key registered yet.
    let err = n
        .acknowledge(as_fr(ack(key.sign(&received))))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), reason(&err).as_str()),
        (Code::FailedPrecondition, "NO_RECEIPT_KEY")
    );
    // Only France registers France's key, and only a key named for France.
    let err = n
        .register_recipient_key(as_user(
            "de-treaty-office",
            &["state:DE:inbox"],
            register(key.verifier_key()),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let (german, _) = RecipientKey::generate("states/DE").unwrap();
    let err = n
        .register_recipient_key(as_fr(register(german.verifier_key())))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["verifier_key"]);
    let registered = n
        .register_recipient_key(as_fr(register(key.verifier_key())))
        .await
        .expect("France registers its key")
        .into_inner();
    assert_eq!(registered.verifier_key, key.verifier_key());

    // Signed by another key named for France; naming another leaf; another checkpoint.
    let (impostor, _) = RecipientKey::generate("states/FR").unwrap();
    let refusals = [
        impostor.sign(&received),
        key.sign(&Receipt {
            leaf_index: leaf_index + 1,
            ..received.clone()
        }),
        key.sign(&Receipt {
            tree_size: tree_size + 1,
            ..received.clone()
        }),
        key.sign(&Receipt {
            notice_id: "apmbc-LT-1-effect".into(),
            ..received.clone()
        }),
    ];
    for (i, bad) in refusals.into_iter().enumerate() {
        let err = n.acknowledge(as_fr(ack(bad))).await.unwrap_err();
        assert_eq!(violated_fields(&err), ["receipt"], "refusal {i}: {err:?}");
    }
    let d = delivery(&node, "apmbc-LT-1-deposit", "states/FR").await;
    assert!(
        d.acknowledged_at.is_none() && d.receipt.is_empty(),
        "the refusals changed nothing"
    );

    // The receipt of what France received.
    let signed = key.sign(&received);
    let answer = n
        .acknowledge(as_fr(ack(signed.clone())))
        .await
        .expect("acknowledged")
        .into_inner();
    assert_eq!(answer.delivery.unwrap().receipt, signed);
    assert_eq!(
        delivery(&node, "apmbc-LT-1-deposit", "states/FR")
            .await
            .receipt,
        signed
    );
    // The same receipt again changes nothing; another one, even a valid one, is refused.
    let again = n
        .acknowledge(as_fr(ack(signed.clone())))
        .await
        .expect("the same receipt");
    assert_eq!(again.into_inner().delivery.unwrap().receipt, signed);
    let (other, _) = RecipientKey::generate("states/FR").unwrap();
    n.register_recipient_key(as_fr(register(other.verifier_key())))
        .await
        .expect("France rotates its key");
    let err = n
        .acknowledge(as_fr(ack(other.sign(&received))))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), ["receipt"]);
    assert!(
        err.message().contains("kept as first given"),
        "{}",
        err.message()
    );
    assert_eq!(
        delivery(&node, "apmbc-LT-1-deposit", "states/FR")
            .await
            .receipt,
        signed
    );
    // The keys and the receipt reach the audit log.
    eventually("the receipt in the audit log", || async {
        let entries = node
            .audit()
            .list_entries(au::ListEntriesRequest {
                source: "notification".into(),
                page_size: 1000,
                ..Default::default()
            })
            .await
            .ok()?
            .into_inner()
            .entries;
        let registered = entries.iter().any(|e| {
            e.kind == "notification.recipient_key_registered"
                && e.details.contains(key.verifier_key())
        });
        let receipted = entries.iter().any(|e| {
            e.kind == "notification.acknowledged" && e.details.contains("treaty.receipt/v1")
        });
        (registered && receipted).then_some(())
    })
    .await;
}
