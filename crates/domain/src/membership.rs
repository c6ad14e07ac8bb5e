//! How a state becomes, and stops being, a party to a treaty.

use std::fmt;

use jiff::civil::Date;

use crate::calendar::first_day_of_month_after;
use crate::error::DomainError;

/// How a state expressed itself about a treaty: a signature, or one of the five ways of consenting
/// to be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConsentKind {
    /// A signature, which does not by itself bind the state.
    Signature,
    /// Ratification after signature.
    Ratification,
    /// Acceptance, which has the effect of ratification.
    Acceptance,
    /// Approval, which has the effect of ratification.
    Approval,
    /// Accession, by a state that did not sign.
    Accession,
    /// Succession, by a new state to its predecessor's treaty.
    Succession,
}

impl ConsentKind {
    /// Reads the flag the UN Treaty Collection prints after a deposit date: none for ratification,
    /// `a` for accession, `d` for succession, `A` for acceptance and `AA` for approval. Spaces
    /// around the flag are ignored; the case of the letters matters.
    ///
    /// # Errors
    ///
    /// [`DomainError::UnknownUntcFlag`] for any other flag.
    pub fn from_untc_flag(flag: &str) -> Result<ConsentKind, DomainError> {
        match flag.trim() {
            "" => Ok(ConsentKind::Ratification),
            "a" => Ok(ConsentKind::Accession),
            "d" => Ok(ConsentKind::Succession),
            "A" => Ok(ConsentKind::Acceptance),
            "AA" => Ok(ConsentKind::Approval),
            _ => Err(DomainError::UnknownUntcFlag {
                flag: flag.to_owned(),
            }),
        }
    }

    /// Returns the UN Treaty Collection flag for this consent; `None` for a signature, which has no
    /// flag.
    pub fn untc_flag(&self) -> Option<&'static str> {
        match self {
            ConsentKind::Signature => None,
            ConsentKind::Ratification => Some(""),
            ConsentKind::Acceptance => Some("A"),
            ConsentKind::Approval => Some("AA"),
            ConsentKind::Accession => Some("a"),
            ConsentKind::Succession => Some("d"),
        }
    }

    /// Tells whether this binds the state once the treaty is in force for it (everything but a
    /// signature).
    pub fn binds(&self) -> bool {
        !matches!(self, ConsentKind::Signature)
    }

    /// Returns the stable name of the kind, such as `"ACCESSION"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ConsentKind::Signature => "SIGNATURE",
            ConsentKind::Ratification => "RATIFICATION",
            ConsentKind::Acceptance => "ACCEPTANCE",
            ConsentKind::Approval => "APPROVAL",
            ConsentKind::Accession => "ACCESSION",
            ConsentKind::Succession => "SUCCESSION",
        }
    }
}

impl fmt::Display for ConsentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a treaty enters into force for a state that consents to it.
///
/// Ottawa Art. 17: the Convention entered into force on 1 March 1999, the first day of the sixth
/// month after the month of the 40th deposit (16 September 1998); for a state depositing later, it
/// enters into force on the first day of the sixth month after its deposit. The Convention on
/// Cluster Munitions (Art. 17) reads the same with the 30th deposit, and entered into force on
/// 1 August 2010. Both cases are one rule: the later of the treaty's own date and the state's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryIntoForceRule {
    /// The day the treaty itself entered into force.
    pub treaty_in_force_on: Date,
    /// The months counted from the month of the state's deposit (6 for both bundled treaties).
    pub months_after_deposit: u8,
}

impl EntryIntoForceRule {
    /// Returns the day the treaty enters into force for a state that deposited its instrument of
    /// consent on `deposited_on`: the first day of the `months_after_deposit`-th month after the
    /// month of deposit, but never before the treaty itself entered into force.
    ///
    /// # Errors
    ///
    /// [`DomainError::DateOutOfRange`] when that day would be after the year 9999.
    pub fn in_force_for(&self, deposited_on: Date) -> Result<Date, DomainError> {
        let own = first_day_of_month_after(deposited_on, u32::from(self.months_after_deposit))?;
        Ok(own.max(self.treaty_in_force_on))
    }
}

/// One period during which a state was bound by a treaty: from its consent until a withdrawal took
/// effect. A state that leaves and comes back has several periods.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MembershipPeriod {
    /// How the state consented.
    pub consent: ConsentKind,
    /// The day it deposited its instrument of consent.
    pub deposited_on: Date,
    /// The day the treaty entered into force for it.
    pub in_force_on: Date,
    /// The day its withdrawal took effect, if it has left.
    pub withdrawal_effective_on: Option<Date>,
}

impl MembershipPeriod {
    /// Starts a period with a deposit of consent, under the treaty's entry-into-force rule.
    ///
    /// # Errors
    ///
    /// [`DomainError::SignatureIsNotConsent`] for a signature, or
    /// [`DomainError::DateOutOfRange`].
    pub fn begin(
        consent: ConsentKind,
        deposited_on: Date,
        rule: &EntryIntoForceRule,
    ) -> Result<MembershipPeriod, DomainError> {
        if !consent.binds() {
            return Err(DomainError::SignatureIsNotConsent);
        }
        Ok(MembershipPeriod {
            consent,
            deposited_on,
            in_force_on: rule.in_force_for(deposited_on)?,
            withdrawal_effective_on: None,
        })
    }

    /// Ends the period on the day a withdrawal took effect.
    ///
    /// # Errors
    ///
    /// [`DomainError::MembershipEndsBeforeItBegins`] when that day is before the treaty entered
    /// into force for the state.
    pub fn end(self, withdrawal_effective_on: Date) -> Result<MembershipPeriod, DomainError> {
        if withdrawal_effective_on < self.in_force_on {
            return Err(DomainError::MembershipEndsBeforeItBegins {
                in_force_on: self.in_force_on,
                ended_on: withdrawal_effective_on,
            });
        }
        Ok(MembershipPeriod {
            withdrawal_effective_on: Some(withdrawal_effective_on),
            ..self
        })
    }

    /// Tells whether the state was a party on `date`: the treaty was in force for it and its
    /// withdrawal had not yet taken effect (on the day a withdrawal takes effect, the state is no
    /// longer a party).
    pub fn is_party_on(&self, date: Date) -> bool {
        self.in_force_on <= date
            && self
                .withdrawal_effective_on
                .is_none_or(|ended| date < ended)
    }
}
