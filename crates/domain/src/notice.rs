//! Notices of withdrawal to the other parties (Art. 20(2) of both conventions, VCLT Arts. 77
//! and 78): who receives them, as of which date, and when they may be circulated.

use std::fmt;

use jiff::civil::Date;
use thiserror::Error;

use crate::ids::StateCode;

/// The name of the depositary's inbox.
pub const DEPOSITARY: &str = "depositary";
/// The name of the UN Security Council's inbox.
pub const SECURITY_COUNCIL: &str = "un-security-council";
const STATE_PREFIX: &str = "states/";

/// What a notice announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NoticeKind {
    /// The depositary received an instrument of withdrawal.
    Deposit,
    /// The withdrawal took effect.
    Effect,
    /// An armed conflict deferred the effect.
    Deferral,
    /// The withdrawal was revoked.
    Revocation,
}

impl NoticeKind {
    /// Returns the stable name of the kind, such as `"DEPOSIT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Deposit => "DEPOSIT",
            NoticeKind::Effect => "EFFECT",
            NoticeKind::Deferral => "DEFERRAL",
            NoticeKind::Revocation => "REVOCATION",
        }
    }

    /// The journal kind of the step a notice of this kind announces, as the approvals
    /// service records it (and the audit log holds it): what a notice's proof must show.
    pub fn step(self) -> &'static str {
        match self {
            NoticeKind::Deposit => "approvals.instrument_deposited",
            NoticeKind::Effect => "approvals.withdrawal_took_effect",
            NoticeKind::Deferral => "approvals.withdrawal_deferred",
            NoticeKind::Revocation => "approvals.withdrawal_revoked",
        }
    }

    /// Checks the dates a notice of this kind carries: a deposit names the receipt, an effect
    /// the day of effect, and no withdrawal takes effect before the depositary received it.
    pub fn check_dates(
        self,
        received_on: Option<Date>,
        effective_on: Option<Date>,
    ) -> Result<(), NoticeDatesError> {
        match (self, received_on, effective_on) {
            (NoticeKind::Deposit, None, _) => Err(NoticeDatesError::MissingReceipt),
            (NoticeKind::Effect, _, None) => Err(NoticeDatesError::MissingEffect),
            (_, Some(received_on), Some(effective_on)) if effective_on < received_on => {
                Err(NoticeDatesError::EffectBeforeReceipt {
                    received_on,
                    effective_on,
                })
            }
            _ => Ok(()),
        }
    }

    /// The date as of which the notice's recipients are the parties: the depositary's receipt
    /// for a deposit (those bound when the notice was given), the day of effect for an effect
    /// (those bound when the state left), the circulation otherwise.
    pub fn recipients_as_of(
        self,
        received_on: Option<Date>,
        effective_on: Option<Date>,
        circulated_on: Date,
    ) -> Date {
        match self {
            NoticeKind::Deposit => received_on.unwrap_or(circulated_on),
            NoticeKind::Effect => effective_on.unwrap_or(circulated_on),
            NoticeKind::Deferral | NoticeKind::Revocation => circulated_on,
        }
    }
}

/// Dates a notice cannot carry.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum NoticeDatesError {
    /// A deposit notice must say when the depositary received the instrument.
    #[error("required for a deposit notice: the date the depositary received the instrument")]
    MissingReceipt,
    /// An effect notice must say when the withdrawal took effect.
    #[error("required for an effect notice: the date the withdrawal took effect")]
    MissingEffect,
    /// A withdrawal takes effect after the depositary received the instrument, never before.
    #[error("a withdrawal takes effect after its receipt ({received_on}), not on {effective_on}")]
    EffectBeforeReceipt {
        received_on: Date,
        effective_on: Date,
    },
}

/// A circulation date the law does not allow.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error(
    "a notice cannot be circulated on {circulated_on}, before the depositary received the instrument on {received_on}; give a circulation date on or after the receipt, or leave it unset"
)]
pub struct CirculationBeforeReceipt {
    /// The circulation date asked for.
    pub circulated_on: Date,
    pub received_on: Date,
}

/// The day a notice is circulated: the day asked for, which may not precede the receipt
/// (VCLT Art. 78: receipt by the depositary, then circulation to the others); unasked,
/// today, or the receipt when that is later.
pub fn circulation_date(
    asked: Option<Date>,
    received_on: Option<Date>,
    today: Date,
) -> Result<Date, CirculationBeforeReceipt> {
    match (asked, received_on) {
        (Some(circulated_on), Some(received_on)) if circulated_on < received_on => {
            Err(CirculationBeforeReceipt {
                circulated_on,
                received_on,
            })
        }
        (Some(asked), _) => Ok(asked),
        (None, Some(received_on)) => Ok(received_on.max(today)),
        (None, None) => Ok(today),
    }
}

/// One recipient of notices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recipient {
    /// A State Party, `states/{code}`.
    State(StateCode),
    /// The depositary, `depositary`.
    Depositary,
    /// The UN Security Council, `un-security-council`.
    SecurityCouncil,
}

/// A name that is not a recipient's.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct NotARecipient(String);

impl Recipient {
    /// Parses a recipient name; state codes are accepted in either case and kept in upper case.
    ///
    /// # Errors
    ///
    /// [`NotARecipient`], saying which names are accepted.
    pub fn parse(name: &str) -> Result<Recipient, NotARecipient> {
        match name.trim() {
            DEPOSITARY => Ok(Recipient::Depositary),
            SECURITY_COUNCIL => Ok(Recipient::SecurityCouncil),
            other => match other.strip_prefix(STATE_PREFIX) {
                Some(code) if code.trim().len() == 2 => {
                    StateCode::parse(code).map(Recipient::State).map_err(|e| {
                        NotARecipient(format!(
                            "{e}; a State Party is named states/{{code}}, e.g. states/FR"
                        ))
                    })
                }
                _ => Err(NotARecipient(format!(
                    "{other:?} is not a recipient; use states/{{ISO 3166-1 alpha-2 code}} (e.g. states/FR), `{DEPOSITARY}` or `{SECURITY_COUNCIL}`"
                ))),
            },
        }
    }

    /// The recipient's canonical name, e.g. `states/FR`.
    pub fn name(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Recipient::State(code) => write!(f, "{STATE_PREFIX}{code}"),
            Recipient::Depositary => f.write_str(DEPOSITARY),
            Recipient::SecurityCouncil => f.write_str(SECURITY_COUNCIL),
        }
    }
}

/// Everyone a notice about `withdrawing` goes to (Art. 20(2)): every state `bound` on the
/// notice's date except the withdrawing state, in code order and each once, then the depositary
/// and the UN Security Council.
pub fn recipients(
    withdrawing: StateCode,
    bound: impl IntoIterator<Item = StateCode>,
) -> Vec<Recipient> {
    let mut states: Vec<StateCode> = bound.into_iter().filter(|s| *s != withdrawing).collect();
    states.sort();
    states.dedup();
    states
        .into_iter()
        .map(Recipient::State)
        .chain([Recipient::Depositary, Recipient::SecurityCouncil])
        .collect()
}
