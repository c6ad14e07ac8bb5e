//! The trust boundary's pure part: permissions, tokens, and the rule table applied to every RPC
//! and every kind of principal.

use std::collections::BTreeSet;
use std::time::Duration;

use treaty_auth::token::{SigningKey, TokenError, Verifier, VerifyingKey};
use treaty_auth::{
    Denied, Permission, Principal, Rpc, Rule, ServiceName, Target, User, authorize, may_receive,
};
use treaty_domain::{Recipient, StateCode};

fn code(c: &str) -> StateCode {
    StateCode::parse(c).unwrap()
}

fn user(permissions: &[Permission]) -> Principal {
    Principal::User(User {
        subject: "lt-mfa-treaty-section".into(),
        issuer: "treaty-dev".into(),
        key_id: "k".into(),
        permissions: permissions.iter().copied().collect(),
    })
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[test]
fn permissions_are_read_exactly_and_written_back_the_same() {
    for text in [
        "registry:admin",
        "depositary:record",
        "depositary:inbox",
        "un-security-council:inbox",
        "state:LT:record",
        "state:FR:inbox",
    ] {
        let p: Permission = text.parse().unwrap();
        assert_eq!(p.to_string(), text);
    }
    for bad in [
        "",
        "state:lt:record",
        "state:XX:record",
        "state:LT",
        "state:LT:vote",
        "admin",
        "state:LT:record:x",
    ] {
        assert!(bad.parse::<Permission>().is_err(), "{bad}");
    }
}

#[test]
fn a_token_signed_by_a_trusted_key_names_its_subject_and_permissions() {
    let key = SigningKey::generate();
    let verifier = Verifier::new(
        vec![VerifyingKey::from_pem(&key.public_pem()).unwrap()],
        "treaty-dev",
        "treaty",
    );
    let token = key.issue(
        "treaty-dev",
        "treaty",
        "lt-mfa-treaty-section",
        &[Permission::StateRecord(code("LT"))],
        now(),
        Duration::from_secs(600),
    );
    let user = verifier.verify(&token).unwrap();
    assert_eq!(user.subject, "lt-mfa-treaty-section");
    assert_eq!(user.issuer, "treaty-dev");
    assert_eq!(user.key_id, key.kid());
    assert_eq!(
        user.permissions,
        BTreeSet::from([Permission::StateRecord(code("LT"))])
    );
}

#[test]
fn expired_foreign_misaddressed_and_tampered_tokens_are_refused() {
    let key = SigningKey::generate();
    let stranger = SigningKey::generate();
    let verifier = Verifier::new(
        vec![VerifyingKey::from_pem(&key.public_pem()).unwrap()],
        "treaty-dev",
        "treaty",
    );
    let issue = |k: &SigningKey, iss: &str, aud: &str, at: i64, ttl: u64| {
        k.issue(iss, aud, "someone", &[], at, Duration::from_secs(ttl))
    };
    let hour_ago = now() - 3600;
    let cases = [
        (
            issue(&key, "treaty-dev", "treaty", hour_ago, 60),
            TokenError::Expired,
        ),
        (
            issue(&key, "treaty-dev", "treaty", now() + 3600, 60),
            TokenError::NotYetValid,
        ),
        (
            issue(&stranger, "treaty-dev", "treaty", now(), 60),
            TokenError::UntrustedKey,
        ),
        (
            issue(&key, "someone-else", "treaty", now(), 60),
            TokenError::WrongIssuer,
        ),
        (
            issue(&key, "treaty-dev", "other", now(), 60),
            TokenError::WrongAudience,
        ),
    ];
    for (token, want) in cases {
        assert_eq!(verifier.verify(&token).unwrap_err(), want);
    }
    // A payload edited by hand: the signature no longer matches.
    let token = issue(&key, "treaty-dev", "treaty", now(), 60);
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    assert!(verifier.verify(&parts.join(".")).is_err());
    assert!(matches!(
        verifier.verify("not-a-token"),
        Err(TokenError::Malformed(_))
    ));
}

#[test]
fn two_keys_are_trusted_at_once_during_a_rotation() {
    let (old, new) = (SigningKey::generate(), SigningKey::generate());
    let verifier = Verifier::new(
        vec![
            VerifyingKey::from_pem(&old.public_pem()).unwrap(),
            VerifyingKey::from_pem(&new.public_pem()).unwrap(),
        ],
        "treaty-dev",
        "treaty",
    );
    for key in [&old, &new] {
        let token = key.issue(
            "treaty-dev",
            "treaty",
            "s",
            &[],
            now(),
            Duration::from_secs(60),
        );
        assert_eq!(verifier.verify(&token).unwrap().key_id, key.kid());
    }
}

#[test]
fn a_key_survives_its_pem_round_trip() {
    let key = SigningKey::generate();
    let again = SigningKey::from_pem(&key.to_pem()).unwrap();
    assert_eq!(again.kid(), key.kid());
    assert!(
        SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
            .is_err()
    );
    assert!(
        VerifyingKey::from_pem(&key.to_pem()).is_err(),
        "a private key is not a public key"
    );
}

#[test]
fn every_rpc_has_a_rule_and_a_grpc_method() {
    let mut methods = BTreeSet::new();
    for rpc in Rpc::ALL {
        let (service, method) = rpc.method();
        assert_eq!(Rpc::of(service, method), Some(rpc));
        assert!(methods.insert((service, method)), "{rpc} twice");
        let _ = rpc.rule();
    }
    assert_eq!(methods.len(), 41);
}

/// The principals the matrix tries on every RPC.
fn principals() -> Vec<(&'static str, Principal)> {
    let mut out = vec![
        ("nobody", Principal::Anonymous),
        ("LT's actor", user(&[Permission::StateRecord(code("LT"))])),
        ("LV's actor", user(&[Permission::StateRecord(code("LV"))])),
        (
            "the depositary",
            user(&[Permission::DepositaryRecord, Permission::DepositaryInbox]),
        ),
        ("the administrator", user(&[Permission::RegistryAdmin])),
        (
            "France's inbox",
            user(&[Permission::StateInbox(code("FR"))]),
        ),
    ];
    for service in ServiceName::ALL {
        out.push((service.as_str(), Principal::Service(service)));
    }
    out
}

/// What the rules should say, written independently of the table: (rpc, principal) → allowed,
/// for a request about LT (and, for Append, the approvals journal; for Acknowledge and RegisterRecipientKey, France).
fn expected(rpc: Rpc, who: &str) -> bool {
    use Rpc::*;
    let read = matches!(
        rpc,
        GetTreaty
            | ListTreaties
            | GetState
            | ListStates
            | GetMembership
            | ListMembers
            | ListArmedConflicts
            | GetWithdrawal
            | ListWithdrawals
            | Subscribe
            | GetNotice
            | ListNotices
            | GetHistory
            | ListEntries
            | Tail
            | Verify
            | GetCheckpoint
            | GetEntries
            | GetInclusionProof
            | GetConsistencyProof
            // Its own signature authenticates a cosignature (checked by the audit service).
            | AddCosignature
    );
    if read {
        return true;
    }
    match rpc {
        CreateTreaty
        | SetApprovalProcedure
        | RecordConsent
        | RecordSuspensionClaim
        | RecordArmedConflict
        | EndArmedConflict => {
            matches!(who, "the depositary" | "the administrator")
        }
        IssueJointStatement
        | OpenWithdrawal
        | RecordRecommendation
        | RecordGovernmentDecision
        | RecordChamberVote
        | RecordHeadOfStateAssent
        | RevokeWithdrawal => who == "LT's actor",
        DepositInstrument => matches!(who, "LT's actor" | "the depositary"),
        RecordWithdrawalNotice | RecordRevocation | PublishNotice => who == "approvals",
        Append => who == "approvals",
        Acknowledge | RegisterRecipientKey => who == "France's inbox",
        _ => unreachable!("{rpc} is a read"),
    }
}

#[test]
fn the_rule_table_decides_every_rpc_for_every_kind_of_principal() {
    let target = Target {
        states: vec![code("LT")],
        source: Some("approvals".into()),
        recipient: Some(Recipient::State(code("FR"))),
    };
    for rpc in Rpc::ALL {
        for (who, principal) in principals() {
            let got = authorize(&principal, rpc, &target);
            assert_eq!(got.is_ok(), expected(rpc, who), "{rpc} by {who}: {got:?}");
            if let Err(e) = got {
                match (&principal, e) {
                    (Principal::Anonymous, Denied::Unauthenticated { .. }) => {}
                    (Principal::Anonymous, other) => panic!("{rpc}: nobody gets {other:?}"),
                    (_, Denied::PermissionDenied { needed, .. }) => {
                        assert!(!needed.is_empty(), "{rpc} by {who} names what it needs")
                    }
                    (_, other) => panic!("{rpc} by {who}: {other:?}"),
                }
            }
        }
    }
}

#[test]
fn a_joint_statement_needs_every_states_permission_and_a_service_appends_only_its_own_journal() {
    let both = user(&[
        Permission::StateRecord(code("LT")),
        Permission::StateRecord(code("LV")),
    ]);
    let one = user(&[Permission::StateRecord(code("LT"))]);
    let states = Target::states([code("LT"), code("LV")]);
    assert!(authorize(&both, Rpc::IssueJointStatement, &states).is_ok());
    let err = authorize(&one, Rpc::IssueJointStatement, &states).unwrap_err();
    assert!(err.to_string().contains("state:LV:record"), "{err}");
    let registry = Principal::Service(ServiceName::Registry);
    assert!(authorize(&registry, Rpc::Append, &Target::source("registry")).is_ok());
    let err = authorize(&registry, Rpc::Append, &Target::source("approvals")).unwrap_err();
    assert!(err.to_string().contains("registry"), "{err}");
    assert_eq!(Rpc::Append.rule(), Rule::OwnJournal);
}

#[test]
fn only_a_recipient_receives_its_own_inbox() {
    let fr = user(&[Permission::StateInbox(code("FR"))]);
    assert!(may_receive(&fr, Recipient::State(code("FR"))));
    assert!(!may_receive(&fr, Recipient::State(code("ES"))));
    assert!(!may_receive(
        &Principal::Anonymous,
        Recipient::State(code("ES"))
    ));
    let depositary = user(&[Permission::DepositaryInbox]);
    assert!(may_receive(&depositary, Recipient::Depositary));
    assert!(!may_receive(&depositary, Recipient::SecurityCouncil));
}

#[test]
fn the_recorded_principal_names_who_and_through_which_service() {
    let recorded = user(&[]).recorded(ServiceName::Approvals);
    assert_eq!(
        recorded,
        r#"{"subject":"lt-mfa-treaty-section","issuer":"treaty-dev","keyId":"k","via":"approvals"}"#
    );
    let service = Principal::Service(ServiceName::Approvals).recorded(ServiceName::Registry);
    assert_eq!(service, r#"{"service":"approvals","via":"registry"}"#);
    assert_ne!(
        user(&[]).scope(),
        Principal::Service(ServiceName::Approvals).scope()
    );
    assert_eq!(
        ServiceName::from_spiffe_id("spiffe://treaty/audit"),
        Some(ServiceName::Audit)
    );
    assert_eq!(ServiceName::from_spiffe_id("spiffe://other/audit"), None);
}

#[test]
fn a_remembered_token_is_still_refused_once_it_expires_and_a_tampered_one_is_never_remembered() {
    let key = SigningKey::generate();
    let verifier = Verifier::new(vec![key.verifying_key()], "treaty", "treaty");
    let token = key.issue(
        "treaty",
        "treaty",
        "lt-mfa",
        &[Permission::StateRecord(code("LT"))],
        now(),
        Duration::from_secs(60),
    );
    assert_eq!(verifier.verify(&token).expect("valid").subject, "lt-mfa");
    // Remembered now; an hour later it has expired all the same.
    assert_eq!(
        verifier.verify_at(&token, now() + 3600),
        Err(TokenError::Expired)
    );
    assert!(verifier.verify_at(&token, now()).is_ok());
    // A token differing in one byte of its signature is checked afresh, and refused.
    let mut tampered = token.clone();
    let last = tampered.pop().expect("a character");
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert!(verifier.verify(&tampered).is_err());
}
