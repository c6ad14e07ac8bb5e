//! The rules of leaving a multilateral treaty, written so that a treaty lawyer can check them.
//!
//! This crate holds no data and does no input or output: it reads no files, no environment and no
//! clock. Every function here is a pure rule, so the registry, the approvals service and the command
//! line compute the same answer from the same facts.
//!
//! # The law in plain words
//!
//! **Joining.** A state becomes bound by a treaty by depositing an instrument of ratification,
//! acceptance, approval, accession or succession ([`ConsentKind`]); a signature alone does not bind
//! it. The Ottawa Convention (Art. 17) and the Convention on Cluster Munitions (Art. 17) enter into
//! force for a state that joins late on the first day of the sixth month after the month of its
//! deposit, and never before the treaty itself entered into force ([`EntryIntoForceRule`]). A state
//! may join, leave and join again, so membership is a list of [`MembershipPeriod`]s.
//!
//! **Deciding to leave at home.** A withdrawal usually starts with a recommendation (for the 2025
//! Ottawa withdrawals, the joint statement of four defence ministers on 18 March 2025) or a decision
//! of the government. Parliament must then approve it, chamber by chamber in the order the state's
//! [`ApprovalProcedure`] lists them, each with its own [`Threshold`] (Lithuania's Seimas needs 85 of
//! its 141 members). Where the constitution says so, the head of state must sign or proclaim the
//! decision as well. A failed final vote ends the case.
//!
//! **Notice.** Only an approved withdrawal may be notified: the state deposits an instrument of
//! withdrawal with the depositary (the UN Secretary-General), with a full statement of its reasons
//! (Art. 20(2) of both conventions). The notice period runs from the day the depositary receives the
//! instrument ([`RunsFrom`]).
//!
//! **Taking effect.** The withdrawal takes effect when the notice period expires: for both
//! conventions six months after receipt, "six months" meaning the same day of the month six months
//! later, or the last day of that month if it is shorter ([`add_months`]). If the state is engaged
//! in an armed conflict on that day, the withdrawal does not take effect before the conflict ends
//! ([`effect`]).
//!
//! **Changing one's mind.** Under Art. 68 of the Vienna Convention on the Law of Treaties a
//! withdrawal may be revoked at any time before it takes effect, never afterwards; a state that has
//! left can only come back by a new accession.
//!
//! # How the crate is laid out
//!
//! - [`StateCode`], [`TreatyId`] and [`CaseId`] are identifiers, checked once when parsed.
//! - [`add_months`] and [`first_day_of_month_after`] are the calendar; dates are civil dates
//!   ([`jiff::civil::Date`]) in the depositary's calendar, never instants.
//! - [`WithdrawalClause`] and [`effect`] compute when a notice takes effect.
//! - [`ApprovalProcedure`] says who must approve a withdrawal at home.
//! - [`Withdrawal::apply`] is the withdrawal case as a state machine: it takes one [`Step`] and
//!   returns the next case, or a [`TransitionError`] that says why the step is refused.
//! - [`ConsentKind`], [`EntryIntoForceRule`] and [`MembershipPeriod`] describe membership;
//!   [`standing`] says where a state stands on any date, from [`MembershipFacts`].
//! - [`recipients`], [`NoticeKind::recipients_as_of`] and [`circulation_date`] say who is
//!   notified of a withdrawal, as of which date, and when a notice may be circulated.
//! - [`today`] is the one "today": the civil date of an instant in the depositary's calendar.
//!
//! # Example: Estonia leaves the Ottawa Convention
//!
//! ```
//! use treaty_domain::{
//!     ApprovalProcedure, CaseId, Chamber, ChamberVote, Date, RunsFrom, Step, Tally, Threshold,
//!     Withdrawal, WithdrawalClause, WithdrawalStatus,
//! };
//!
//! let day = |text: &str| text.parse::<Date>().expect("a date");
//! let article_20 = WithdrawalClause {
//!     notice_months: 6,
//!     runs_from: RunsFrom::DepositaryReceipt,
//!     armed_conflict_defers: true,
//! };
//! let riigikogu = Chamber { name: "Riigikogu".into(), threshold: Threshold::SimpleMajority };
//! let estonia = ApprovalProcedure::new(vec![riigikogu], true)?;
//!
//! let mut case = Withdrawal::open(CaseId::parse("apmbc-EE-1")?, estonia, article_20)?;
//! for step in [
//!     Step::Recommended { on: Some(day("2025-03-18")) },
//!     Step::GovernmentDecided { on: Some(day("2025-04-24")) },
//!     Step::ChamberVoted(ChamberVote {
//!         chamber: "Riigikogu".into(),
//!         on: Some(day("2025-06-04")),
//!         tally: Tally::Counted { yes: 81, no: 1, abstain: Some(7) },
//!         final_reading: true,
//!     }),
//!     Step::HeadOfStateAssented { on: Some(day("2025-06-13")) },
//!     Step::InstrumentDeposited {
//!         received_on: day("2025-06-27"),
//!         reasons: "The military threat in the region has changed.".into(),
//!     },
//! ] {
//!     case = case.apply(&step)?;
//! }
//! assert_eq!(case.status(), WithdrawalStatus::Notified);
//! assert_eq!(case.notice().map(|notice| notice.expiry), Some(day("2025-12-27")));
//!
//! let case = case.apply(&Step::TookEffect { on: day("2025-12-27"), conflicts: vec![] })?;
//! assert_eq!(case.status(), WithdrawalStatus::Effective);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod calendar;
mod clause;
mod error;
mod history;
mod ids;
mod membership;
mod notice;
mod procedure;
mod recording;
mod standing;
mod step;
mod transition;
mod withdrawal;

pub use calendar::{add_months, first_day_of_month_after, today};
pub use clause::{ConflictPeriod, Effect, RunsFrom, WithdrawalClause, effect};
pub use error::{DomainError, TransitionError};
pub use history::{HistoryKey, histories};
pub use ids::{CaseId, StateCode, TreatyId};
pub use membership::{ConsentKind, EntryIntoForceRule, MembershipPeriod};
pub use notice::{
    CirculationBeforeReceipt, DEPOSITARY, NotARecipient, NoticeDatesError, NoticeKind, Recipient,
    SECURITY_COUNCIL, circulation_date, recipients,
};
pub use procedure::{ApprovalProcedure, Chamber, Threshold};
pub use recording::{CaseFact, MembershipError};
pub use standing::{
    MembershipFacts, NoticeFacts, PeriodFacts, Standing, StandingStatus, TreatyRules, standing,
};
pub use step::{ChamberVote, Step, Tally};
pub use withdrawal::{Notice, PendingApproval, Withdrawal, WithdrawalStatus};

/// Re-exported so that callers name the same date type as the rules.
pub use jiff::civil::Date;
