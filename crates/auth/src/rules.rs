//! Who may call what: one table of rules over every RPC, and one pure function that applies it
//! to a principal and the states, source or recipient a request is about.
//!
//! The rules (DESIGN.md §3, "Trust boundary"):
//!
//! - reads are public;
//! - the registry's reference data — treaties, consents, approval procedures, suspension claims
//!   and armed conflicts — is recorded by its administrator (`registry:admin`) or by the
//!   depositary (`depositary:record`): the depositary receives the instruments of consent, and the
//!   registry is the depositary's record of them;
//! - a state's actors (`state:XX:record`) act only for that state; a joint statement needs the
//!   permission for every state it names; the depositary may also record the receipt of any
//!   state's instrument of withdrawal;
//! - only the approvals service may record notices of withdrawal and their revocation in the
//!   registry, and publish notices;
//! - only a service may append to the audit log, and only its own journal;
//! - only a recipient (its `inbox` permission) may record deliveries and acknowledge.

use std::fmt;

use treaty_domain::{Recipient, StateCode};

use crate::permission::Permission;
use crate::principal::{Principal, ServiceName};

/// Every RPC of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rpc {
    // treaty.registry.v1.RegistryService
    CreateTreaty,
    GetTreaty,
    ListTreaties,
    GetState,
    ListStates,
    SetApprovalProcedure,
    RecordConsent,
    GetMembership,
    ListMembers,
    RecordWithdrawalNotice,
    RecordRevocation,
    RecordSuspensionClaim,
    RecordArmedConflict,
    EndArmedConflict,
    ListArmedConflicts,
    // treaty.approvals.v1.ApprovalsService
    IssueJointStatement,
    OpenWithdrawal,
    RecordRecommendation,
    RecordGovernmentDecision,
    RecordChamberVote,
    RecordHeadOfStateAssent,
    DepositInstrument,
    RevokeWithdrawal,
    GetWithdrawal,
    ListWithdrawals,
    // treaty.notification.v1.NotificationService
    PublishNotice,
    Subscribe,
    Acknowledge,
    RegisterRecipientKey,
    GetNotice,
    ListNotices,
    // treaty.audit.v1.AuditService
    Append,
    GetHistory,
    ListEntries,
    Tail,
    Verify,
    GetCheckpoint,
    GetEntries,
    GetInclusionProof,
    GetConsistencyProof,
    AddCosignature,
}

/// What a call to an RPC requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, authenticated or not.
    Public,
    /// `registry:admin` or `depositary:record`.
    Registrar,
    /// `state:XX:record` for every state the request is about.
    StateActor,
    /// `state:XX:record` for the state, or `depositary:record`.
    StateActorOrDepositary,
    /// That service and nobody else.
    Service(ServiceName),
    /// A service, appending its own journal (the request's source is its name).
    OwnJournal,
    /// The recipient the request is about (its inbox permission).
    Recipient,
}

impl Rpc {
    /// Every RPC, for tables and tests.
    pub const ALL: [Rpc; 41] = [
        Rpc::CreateTreaty,
        Rpc::GetTreaty,
        Rpc::ListTreaties,
        Rpc::GetState,
        Rpc::ListStates,
        Rpc::SetApprovalProcedure,
        Rpc::RecordConsent,
        Rpc::GetMembership,
        Rpc::ListMembers,
        Rpc::RecordWithdrawalNotice,
        Rpc::RecordRevocation,
        Rpc::RecordSuspensionClaim,
        Rpc::RecordArmedConflict,
        Rpc::EndArmedConflict,
        Rpc::ListArmedConflicts,
        Rpc::IssueJointStatement,
        Rpc::OpenWithdrawal,
        Rpc::RecordRecommendation,
        Rpc::RecordGovernmentDecision,
        Rpc::RecordChamberVote,
        Rpc::RecordHeadOfStateAssent,
        Rpc::DepositInstrument,
        Rpc::RevokeWithdrawal,
        Rpc::GetWithdrawal,
        Rpc::ListWithdrawals,
        Rpc::PublishNotice,
        Rpc::Subscribe,
        Rpc::Acknowledge,
        Rpc::RegisterRecipientKey,
        Rpc::GetNotice,
        Rpc::ListNotices,
        Rpc::Append,
        Rpc::GetHistory,
        Rpc::ListEntries,
        Rpc::Tail,
        Rpc::Verify,
        Rpc::GetCheckpoint,
        Rpc::GetEntries,
        Rpc::GetInclusionProof,
        Rpc::GetConsistencyProof,
        Rpc::AddCosignature,
    ];

    /// The rule of this RPC: the one table.
    pub fn rule(self) -> Rule {
        match self {
            Rpc::GetTreaty
            | Rpc::ListTreaties
            | Rpc::GetState
            | Rpc::ListStates
            | Rpc::GetMembership
            | Rpc::ListMembers
            | Rpc::ListArmedConflicts
            | Rpc::GetWithdrawal
            | Rpc::ListWithdrawals
            | Rpc::Subscribe
            | Rpc::GetNotice
            | Rpc::ListNotices
            | Rpc::GetHistory
            | Rpc::ListEntries
            | Rpc::Tail
            | Rpc::Verify
            | Rpc::GetCheckpoint
            | Rpc::GetEntries
            | Rpc::GetInclusionProof
            | Rpc::GetConsistencyProof => Rule::Public,
            // A cosignature authenticates itself: the handler keeps only lines that verify
            // under a witness key the log is configured with, over a checkpoint it signed.
            Rpc::AddCosignature => Rule::Public,
            Rpc::CreateTreaty
            | Rpc::SetApprovalProcedure
            | Rpc::RecordConsent
            | Rpc::RecordSuspensionClaim
            | Rpc::RecordArmedConflict
            | Rpc::EndArmedConflict => Rule::Registrar,
            Rpc::IssueJointStatement
            | Rpc::OpenWithdrawal
            | Rpc::RecordRecommendation
            | Rpc::RecordGovernmentDecision
            | Rpc::RecordChamberVote
            | Rpc::RecordHeadOfStateAssent
            | Rpc::RevokeWithdrawal => Rule::StateActor,
            Rpc::DepositInstrument => Rule::StateActorOrDepositary,
            Rpc::RecordWithdrawalNotice | Rpc::RecordRevocation | Rpc::PublishNotice => {
                Rule::Service(ServiceName::Approvals)
            }
            Rpc::Append => Rule::OwnJournal,
            Rpc::Acknowledge | Rpc::RegisterRecipientKey => Rule::Recipient,
        }
    }

    /// The service and method of the RPC, as in its gRPC path.
    pub fn method(self) -> (&'static str, &'static str) {
        let service = match self {
            Rpc::CreateTreaty
            | Rpc::GetTreaty
            | Rpc::ListTreaties
            | Rpc::GetState
            | Rpc::ListStates
            | Rpc::SetApprovalProcedure
            | Rpc::RecordConsent
            | Rpc::GetMembership
            | Rpc::ListMembers
            | Rpc::RecordWithdrawalNotice
            | Rpc::RecordRevocation
            | Rpc::RecordSuspensionClaim
            | Rpc::RecordArmedConflict
            | Rpc::EndArmedConflict
            | Rpc::ListArmedConflicts => "treaty.registry.v1.RegistryService",
            Rpc::IssueJointStatement
            | Rpc::OpenWithdrawal
            | Rpc::RecordRecommendation
            | Rpc::RecordGovernmentDecision
            | Rpc::RecordChamberVote
            | Rpc::RecordHeadOfStateAssent
            | Rpc::DepositInstrument
            | Rpc::RevokeWithdrawal
            | Rpc::GetWithdrawal
            | Rpc::ListWithdrawals => "treaty.approvals.v1.ApprovalsService",
            Rpc::PublishNotice
            | Rpc::Subscribe
            | Rpc::Acknowledge
            | Rpc::RegisterRecipientKey
            | Rpc::GetNotice
            | Rpc::ListNotices => "treaty.notification.v1.NotificationService",
            Rpc::Append
            | Rpc::GetHistory
            | Rpc::ListEntries
            | Rpc::Tail
            | Rpc::Verify
            | Rpc::GetCheckpoint
            | Rpc::GetEntries
            | Rpc::GetInclusionProof
            | Rpc::GetConsistencyProof
            | Rpc::AddCosignature => "treaty.audit.v1.AuditService",
        };
        (service, self.name())
    }

    /// The method's name, e.g. `CreateTreaty`.
    pub fn name(self) -> &'static str {
        match self {
            Rpc::CreateTreaty => "CreateTreaty",
            Rpc::GetTreaty => "GetTreaty",
            Rpc::ListTreaties => "ListTreaties",
            Rpc::GetState => "GetState",
            Rpc::ListStates => "ListStates",
            Rpc::SetApprovalProcedure => "SetApprovalProcedure",
            Rpc::RecordConsent => "RecordConsent",
            Rpc::GetMembership => "GetMembership",
            Rpc::ListMembers => "ListMembers",
            Rpc::RecordWithdrawalNotice => "RecordWithdrawalNotice",
            Rpc::RecordRevocation => "RecordRevocation",
            Rpc::RecordSuspensionClaim => "RecordSuspensionClaim",
            Rpc::RecordArmedConflict => "RecordArmedConflict",
            Rpc::EndArmedConflict => "EndArmedConflict",
            Rpc::ListArmedConflicts => "ListArmedConflicts",
            Rpc::IssueJointStatement => "IssueJointStatement",
            Rpc::OpenWithdrawal => "OpenWithdrawal",
            Rpc::RecordRecommendation => "RecordRecommendation",
            Rpc::RecordGovernmentDecision => "RecordGovernmentDecision",
            Rpc::RecordChamberVote => "RecordChamberVote",
            Rpc::RecordHeadOfStateAssent => "RecordHeadOfStateAssent",
            Rpc::DepositInstrument => "DepositInstrument",
            Rpc::RevokeWithdrawal => "RevokeWithdrawal",
            Rpc::GetWithdrawal => "GetWithdrawal",
            Rpc::ListWithdrawals => "ListWithdrawals",
            Rpc::PublishNotice => "PublishNotice",
            Rpc::Subscribe => "Subscribe",
            Rpc::Acknowledge => "Acknowledge",
            Rpc::RegisterRecipientKey => "RegisterRecipientKey",
            Rpc::GetNotice => "GetNotice",
            Rpc::ListNotices => "ListNotices",
            Rpc::Append => "Append",
            Rpc::GetHistory => "GetHistory",
            Rpc::ListEntries => "ListEntries",
            Rpc::Tail => "Tail",
            Rpc::Verify => "Verify",
            Rpc::GetCheckpoint => "GetCheckpoint",
            Rpc::GetEntries => "GetEntries",
            Rpc::GetInclusionProof => "GetInclusionProof",
            Rpc::GetConsistencyProof => "GetConsistencyProof",
            Rpc::AddCosignature => "AddCosignature",
        }
    }

    /// The RPC of a gRPC service and method, if it is one of the suite's.
    pub fn of(service: &str, method: &str) -> Option<Rpc> {
        Rpc::ALL
            .into_iter()
            .find(|r| r.method() == (service, method))
    }
}

impl fmt::Display for Rpc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a request is about, as far as the rules care.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// The states it acts for (one, or each of a joint statement's).
    pub states: Vec<StateCode>,
    /// The journal it appends (an `Append`'s source).
    pub source: Option<String>,
    /// The inbox it concerns.
    pub recipient: Option<Recipient>,
}

impl Target {
    /// Nothing in particular.
    pub fn none() -> Target {
        Target::default()
    }

    /// One state.
    pub fn state(state: StateCode) -> Target {
        Target {
            states: vec![state],
            ..Target::default()
        }
    }

    /// Several states, each needing its permission.
    pub fn states(states: impl IntoIterator<Item = StateCode>) -> Target {
        Target {
            states: states.into_iter().collect(),
            ..Target::default()
        }
    }

    /// A journal's source.
    pub fn source(source: &str) -> Target {
        Target {
            source: Some(source.to_owned()),
            ..Target::default()
        }
    }

    /// An inbox.
    pub fn recipient(recipient: Recipient) -> Target {
        Target {
            recipient: Some(recipient),
            ..Target::default()
        }
    }
}

/// Why a call is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The call needs a principal and came with none.
    #[error(
        "{rpc} changes the record and needs credentials: a bearer token (authorization: Bearer …) or a service certificate"
    )]
    Unauthenticated { rpc: Rpc },
    /// The principal lacks what the call needs.
    #[error("{rpc} needs {needed}")]
    PermissionDenied { rpc: Rpc, needed: String },
}

/// Applies the one table: may `principal` call `rpc` about `target`?
pub fn authorize(principal: &Principal, rpc: Rpc, target: &Target) -> Result<(), Denied> {
    let rule = rpc.rule();
    if rule == Rule::Public {
        return Ok(());
    }
    if *principal == Principal::Anonymous {
        return Err(Denied::Unauthenticated { rpc });
    }
    let deny = |needed: String| Err(Denied::PermissionDenied { rpc, needed });
    let missing_state = |alternative: Option<Permission>| {
        target.states.iter().find(|s| {
            !principal.has(Permission::StateRecord(**s))
                && alternative.is_none_or(|a| !principal.has(a))
        })
    };
    match rule {
        Rule::Public => Ok(()),
        Rule::Registrar => {
            if principal.has(Permission::RegistryAdmin)
                || principal.has(Permission::DepositaryRecord)
            {
                Ok(())
            } else {
                deny(format!(
                    "the permission {} or {}",
                    Permission::RegistryAdmin,
                    Permission::DepositaryRecord
                ))
            }
        }
        Rule::StateActor => match (target.states.is_empty(), missing_state(None)) {
            (true, _) => deny("a state to act for".to_owned()),
            (false, Some(state)) => deny(format!(
                "the permission {}",
                Permission::StateRecord(*state)
            )),
            (false, None) => Ok(()),
        },
        Rule::StateActorOrDepositary => {
            match (
                target.states.is_empty(),
                missing_state(Some(Permission::DepositaryRecord)),
            ) {
                (true, _) => deny("a state to act for".to_owned()),
                (false, Some(state)) => deny(format!(
                    "the permission {} or {}",
                    Permission::StateRecord(*state),
                    Permission::DepositaryRecord
                )),
                (false, None) => Ok(()),
            }
        }
        Rule::Service(service) => match principal {
            Principal::Service(caller) if *caller == service => Ok(()),
            Principal::Service(_) | Principal::User(_) | Principal::Anonymous => {
                deny(format!("the {service} service's certificate"))
            }
        },
        Rule::OwnJournal => match (principal, &target.source) {
            (Principal::Service(caller), Some(source)) if caller.as_str() == source => Ok(()),
            (Principal::Service(caller), _) => deny(format!(
                "its own journal: the {caller} service appends only source {caller:?}"
            )),
            (Principal::User(_) | Principal::Anonymous, _) => {
                deny("a service's certificate: only a service appends its own journal".to_owned())
            }
        },
        Rule::Recipient => match target.recipient {
            Some(recipient) if may_receive(principal, recipient) => Ok(()),
            Some(recipient) => deny(format!(
                "the permission {}",
                Permission::inbox_of(recipient)
            )),
            None => deny("a recipient's inbox permission".to_owned()),
        },
    }
}

/// Whether `principal` is `recipient` (holds its inbox permission): only then does streaming
/// its inbox record deliveries.
pub fn may_receive(principal: &Principal, recipient: Recipient) -> bool {
    principal.has(Permission::inbox_of(recipient))
}
