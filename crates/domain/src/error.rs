//! What can go wrong, named for what went wrong in the law, with messages that say what to do.
//!
//! [`DomainError`] is bad input: a value that can never be valid (an unknown state code, a
//! chamber listed twice). [`TransitionError`] is a step that is valid on its own but not allowed at
//! this point of a withdrawal case (a notice before approval, a date earlier than the last step).

use jiff::civil::Date;
use thiserror::Error;

use crate::ids::StateCode;
use crate::withdrawal::{PendingApproval, WithdrawalStatus};

/// A value that breaks the rules whatever the state of any case.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// The input is not an assigned ISO 3166-1 alpha-2 code.
    #[error(
        "{input:?} is not an ISO 3166-1 alpha-2 state code; use two letters such as LT{}",
        did_you_mean(suggestions)
    )]
    UnknownStateCode {
        input: String,
        /// The closest known codes, best first.
        suggestions: Vec<StateCode>,
    },
    /// The input is not a treaty slug.
    #[error(
        "{input:?} is not a treaty id; use a lower-case slug of 2 to 32 letters, digits or hyphens that starts with a letter, such as apmbc"
    )]
    InvalidTreatyId { input: String },
    /// The input is not a withdrawal case id.
    #[error("{input:?} is not a withdrawal case id: {reason}")]
    InvalidCaseId {
        input: String,
        /// What is wrong with it and how to write it.
        reason: &'static str,
    },
    /// A period would end after the last date the calendar can represent.
    #[error("{months} months after {date} is beyond the year 9999; check the date")]
    DateOutOfRange {
        /// The date the period starts from.
        date: Date,
        /// The length of the period in months.
        months: u32,
    },
    /// An approval procedure lists no chamber.
    #[error(
        "an approval procedure needs at least one chamber of parliament; a withdrawal must be approved by parliament"
    )]
    NoChambers,
    /// A chamber has no name.
    #[error(
        "chamber {position} of the approval procedure has no name; give each chamber its name, such as Seimas"
    )]
    UnnamedChamber {
        /// The chamber's position in the procedure, from 1.
        position: usize,
    },
    /// Two chambers have the same name, ignoring case.
    #[error(
        "the chamber {name:?} is listed twice in the approval procedure; list each chamber once, in the order they vote"
    )]
    DuplicateChamber { name: String },
    /// A chamber's threshold cannot be met or makes no sense.
    #[error("the threshold of the chamber {chamber:?} is impossible: {reason}")]
    ImpossibleThreshold {
        chamber: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An armed-conflict period has no name.
    #[error(
        "an armed-conflict period needs a name so that a deferral can say which conflict deferred it"
    )]
    UnnamedConflict,
    /// An armed-conflict period ends before it begins.
    #[error(
        "the armed conflict {name:?} is said to end on {ended}, before it began on {began}; check the dates"
    )]
    ConflictEndsBeforeItBegins {
        name: String,
        /// When it began.
        began: Date,
        /// When it is said to have ended.
        ended: Date,
    },
    /// The UN Treaty Collection flag is not one of the known ones.
    #[error(
        "{flag:?} is not a UN Treaty Collection consent flag; use \"\" (ratification), \"a\" (accession), \"d\" (succession), \"A\" (acceptance) or \"AA\" (approval)"
    )]
    UnknownUntcFlag { flag: String },
    /// A membership period was started by a signature, which does not bind a state.
    #[error(
        "a signature does not make a state a party; a membership period starts with ratification, acceptance, approval, accession or succession"
    )]
    SignatureIsNotConsent,
    /// A membership period is said to end before the treaty entered into force for the state.
    #[error(
        "a membership period that began on {in_force_on} cannot end on {ended_on}; check the dates"
    )]
    MembershipEndsBeforeItBegins {
        /// When the treaty entered into force for the state.
        in_force_on: Date,
        /// When the period is said to end.
        ended_on: Date,
    },
}

fn did_you_mean(suggestions: &[StateCode]) -> String {
    if suggestions.is_empty() {
        return String::new();
    }
    let listed: Vec<String> = suggestions
        .iter()
        .map(|code| format!("{code} ({})", code.name()))
        .collect();
    format!(" (did you mean {}?)", listed.join(", "))
}

/// A step that the withdrawal case cannot take in its present state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    /// The case was rejected, revoked or took effect; nothing more can happen to it.
    #[error("the withdrawal case is closed ({status}); open a new case to record a new attempt")]
    CaseClosed {
        /// The final status of the case.
        status: WithdrawalStatus,
    },
    /// A dated step is earlier than the latest dated step of the case.
    #[error(
        "the {step} is dated {on}, before {latest}, the date of the latest step of this case; record steps in the order they happened, or check the date"
    )]
    DateWentBackwards {
        /// What kind of step it is.
        step: &'static str,
        on: Date,
        /// The date of the latest dated step already recorded.
        latest: Date,
    },
    /// A recommendation was recorded twice.
    #[error("a recommendation to withdraw is already recorded for this case")]
    AlreadyRecommended,
    /// A recommendation or government decision came after parliament started voting.
    #[error("a {step} can only be recorded before the first vote in parliament")]
    ParliamentAlreadyVoting {
        /// What kind of step it is.
        step: &'static str,
    },
    /// A domestic step came after the instrument of withdrawal was deposited.
    #[error("a {step} cannot be recorded after the instrument of withdrawal was deposited")]
    AlreadyDeposited {
        /// What kind of step it is.
        step: &'static str,
    },
    /// The chamber is not part of the state's approval procedure.
    #[error("{chamber:?} is not a chamber in this state's approval procedure; use one of: {}", known.join(", "))]
    UnknownChamber {
        /// The chamber named in the step.
        chamber: String,
        /// The chambers of the procedure, in voting order.
        known: Vec<String>,
    },
    /// A chamber voted before an earlier chamber had passed its final vote.
    #[error(
        "the {chamber} cannot vote yet: chambers vote in the order of the approval procedure, and the {waiting_for} has not passed its final vote"
    )]
    ChamberOutOfOrder {
        /// The chamber that tried to vote.
        chamber: String,
        /// The earlier chamber that must pass first.
        waiting_for: String,
    },
    /// A chamber voted again after passing its final vote.
    #[error("the {chamber} has already passed its final vote on this withdrawal")]
    AlreadyFinal { chamber: String },
    /// A tally counts more votes than the chamber has seats.
    #[error(
        "the {chamber} has {seats} seats but the tally counts {counted} votes; check the numbers"
    )]
    TallyExceedsSeats {
        chamber: String,
        seats: u32,
        /// Yes, no and abstentions added up.
        counted: u64,
    },
    /// Assent was recorded although the procedure does not ask for it.
    #[error(
        "this state's approval procedure does not require the head of state's assent; do not record one, or update the procedure"
    )]
    AssentNotRequired,
    /// Assent was recorded before parliament finished.
    #[error(
        "the head of state's assent can only follow parliament's approval; {waiting_for} is still missing"
    )]
    AssentBeforeParliament {
        /// The next approval step still missing.
        waiting_for: PendingApproval,
    },
    /// Assent was recorded twice.
    #[error("the head of state's assent is already recorded for this case")]
    AlreadyAssented,
    /// A notice of withdrawal was deposited before the withdrawal was approved.
    #[error(
        "the withdrawal is not approved: {missing} is missing; a notice of withdrawal can only be deposited after approval"
    )]
    NotApproved {
        /// The next approval step still missing.
        missing: PendingApproval,
    },
    /// The instrument of withdrawal carries no statement of reasons.
    #[error(
        "the instrument of withdrawal needs a full explanation of the reasons (Art. 20(2)); record the statement of reasons"
    )]
    MissingReasons,
    /// The notice runs from parliament's approval, but the date of the approving vote is unknown.
    #[error(
        "this treaty's notice period runs from parliament's approval, but the date of the {chamber}'s final vote is not recorded; record the vote with its date"
    )]
    ApprovalDateUnknown {
        /// The chamber whose approving vote has no date.
        chamber: String,
    },
    /// The notice period would expire before the depositary received the notice.
    #[error(
        "the notice period, counted from {starts_on}, would expire on {expiry}, before the depositary received the instrument on {received_on}; check the dates and the clause"
    )]
    NoticeExpiresBeforeReceipt {
        /// The day the period is counted from.
        starts_on: Date,
        /// The day the period would expire.
        expiry: Date,
        /// The day the depositary received the instrument.
        received_on: Date,
    },
    /// A step that needs a deposited notice came before the deposit.
    #[error("a {step} needs a deposited instrument of withdrawal; record the deposit first")]
    NotDeposited {
        /// What kind of step it is.
        step: &'static str,
    },
    /// A deferral was recorded twice.
    #[error("the withdrawal is already deferred by the armed conflict {conflict:?}")]
    AlreadyDeferred {
        /// The conflict already recorded.
        conflict: String,
    },
    /// A deferral was recorded under a treaty whose clause does not defer for armed conflict.
    #[error("this treaty's withdrawal clause does not defer a withdrawal for armed conflict")]
    ConflictDoesNotDefer,
    /// A deferral was not dated on the day the notice period expired.
    #[error("a deferral happens on the day the notice period expires, {expiry}, not on {on}")]
    NotTheExpiryDate {
        on: Date,
        /// The expiry of the notice period.
        expiry: Date,
    },
    /// The armed conflict given for a deferral was not going on when the notice period expired.
    #[error(
        "the armed conflict {conflict:?} was not going on when the notice period expired on {expiry}, so it does not defer the withdrawal"
    )]
    ConflictNotOnExpiry {
        conflict: String,
        /// The expiry of the notice period.
        expiry: Date,
    },
    /// The withdrawal was said to take effect although an armed conflict defers it.
    #[error(
        "the armed conflict {conflict:?} was going on when the notice period expired on {expiry}; record the deferral first"
    )]
    DeferralNotRecorded {
        /// The conflict that defers the withdrawal.
        conflict: String,
        /// The expiry of the notice period.
        expiry: Date,
    },
    /// The withdrawal was said to take effect while the deferring conflict goes on.
    #[error(
        "the withdrawal stays deferred until the end of the armed conflict {conflict:?} is recorded"
    )]
    ConflictOngoing {
        /// The conflict that still defers the withdrawal.
        conflict: String,
    },
    /// The withdrawal was said to take effect on another day than the law gives.
    #[error("the withdrawal takes effect on {effective_on}, not on {on}; record it with that date")]
    NotTheEffectiveDate {
        on: Date,
        /// The date the rules give.
        effective_on: Date,
    },
    /// A revocation came on or after the day the withdrawal took effect.
    #[error(
        "a withdrawal can only be revoked before it takes effect (VCLT Art. 68); it takes effect on {effective_on}, so a revocation on {on} is too late (if an armed conflict deferred it, record the deferral first); rejoining needs a new accession"
    )]
    RevocationAfterEffect {
        /// The date of the revocation.
        on: Date,
        /// The date the withdrawal took or takes effect.
        effective_on: Date,
    },
    /// A value in the step is invalid whatever the state of the case.
    #[error(transparent)]
    Invalid(#[from] DomainError),
}
