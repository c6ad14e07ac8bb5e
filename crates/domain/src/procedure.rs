//! Who must approve a withdrawal at home: each state's domestic procedure.

use std::fmt;

use crate::error::DomainError;

/// The domestic approval a state's withdrawal needs: its chambers of parliament, in the order they
/// vote, and whether the head of state must sign or proclaim the decision afterwards.
///
/// Poland needs the Sejm and then the Senate, and the President; Lithuania needs its Seimas, with
/// at least 85 of 141 members in favour, and the President.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApprovalProcedure {
    /// The chambers whose approval is required, in the order they vote.
    pub chambers: Vec<Chamber>,
    /// Whether the head of state must assent after parliament (sign, proclaim or decree).
    pub head_of_state_assent: bool,
}

/// One chamber of parliament and the vote it needs to approve a withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Chamber {
    /// The chamber's name, such as `Sejm`; names are matched without regard to case.
    pub name: String,
    /// The vote the chamber needs.
    pub threshold: Threshold,
}

/// The vote a chamber needs to approve a withdrawal.
///
/// Whatever the threshold, a vote never passes with as many noes as ayes or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Threshold {
    /// More ayes than noes among those voting.
    SimpleMajority,
    /// At least `yes` ayes, out of a chamber of `of_seats` seats (Lithuania's Seimas: 85 of 141).
    AtLeast {
        /// The ayes needed.
        yes: u32,
        /// The seats of the chamber.
        of_seats: u32,
    },
    /// More than half of all seats, whether or not their holders vote.
    AbsoluteMajority {
        /// The seats of the chamber.
        of_seats: u32,
    },
}

impl Threshold {
    /// Returns the seats of the chamber, when the threshold counts them.
    pub fn seats(&self) -> Option<u32> {
        match self {
            Threshold::SimpleMajority => None,
            Threshold::AtLeast { of_seats, .. } | Threshold::AbsoluteMajority { of_seats } => {
                Some(*of_seats)
            }
        }
    }

    /// Tells whether a vote of `yes` ayes and `no` noes meets the threshold.
    pub fn is_met_by(&self, yes: u32, no: u32) -> bool {
        let enough = match self {
            Threshold::SimpleMajority => true,
            Threshold::AtLeast { yes: needed, .. } => yes >= *needed,
            Threshold::AbsoluteMajority { of_seats } => u64::from(yes) * 2 > u64::from(*of_seats),
        };
        enough && yes > no
    }

    fn check(&self, chamber: &str) -> Result<(), DomainError> {
        let impossible = |reason| DomainError::ImpossibleThreshold {
            chamber: chamber.to_owned(),
            reason,
        };
        match *self {
            Threshold::SimpleMajority => Ok(()),
            Threshold::AtLeast { of_seats: 0, .. }
            | Threshold::AbsoluteMajority { of_seats: 0 } => {
                Err(impossible("a chamber needs at least one seat"))
            }
            Threshold::AtLeast { yes: 0, .. } => {
                Err(impossible("at least one vote in favour must be needed"))
            }
            Threshold::AtLeast { yes, of_seats } if yes > of_seats => Err(impossible(
                "it needs more votes in favour than the chamber has seats",
            )),
            Threshold::AtLeast { .. } | Threshold::AbsoluteMajority { .. } => Ok(()),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::SimpleMajority => write!(f, "a simple majority"),
            Threshold::AtLeast { yes, of_seats } => write!(f, "at least {yes} of {of_seats} seats"),
            Threshold::AbsoluteMajority { of_seats } => {
                write!(f, "an absolute majority of {of_seats} seats")
            }
        }
    }
}

impl ApprovalProcedure {
    /// Makes a procedure and checks it.
    ///
    /// # Errors
    ///
    /// See [`ApprovalProcedure::check`].
    pub fn new(
        chambers: Vec<Chamber>,
        head_of_state_assent: bool,
    ) -> Result<ApprovalProcedure, DomainError> {
        let procedure = ApprovalProcedure {
            chambers,
            head_of_state_assent,
        };
        procedure.check()?;
        Ok(procedure)
    }

    /// Checks that the procedure has at least one chamber, that every chamber has a name used
    /// only once (ignoring case), and that every threshold can be met.
    ///
    /// # Errors
    ///
    /// [`DomainError::NoChambers`], [`DomainError::UnnamedChamber`],
    /// [`DomainError::DuplicateChamber`] or [`DomainError::ImpossibleThreshold`].
    pub fn check(&self) -> Result<(), DomainError> {
        if self.chambers.is_empty() {
            return Err(DomainError::NoChambers);
        }
        for (index, chamber) in self.chambers.iter().enumerate() {
            if chamber.name.trim().is_empty() {
                return Err(DomainError::UnnamedChamber {
                    position: index + 1,
                });
            }
            if self.position(&chamber.name) != Some(index) {
                return Err(DomainError::DuplicateChamber {
                    name: chamber.name.clone(),
                });
            }
            chamber.threshold.check(&chamber.name)?;
        }
        Ok(())
    }

    /// Returns the position of the chamber called `name` (ignoring case and surrounding spaces).
    pub fn position(&self, name: &str) -> Option<usize> {
        let wanted = name.trim().to_lowercase();
        self.chambers
            .iter()
            .position(|chamber| chamber.name.trim().to_lowercase() == wanted)
    }

    /// Returns the names of the chambers in voting order.
    pub fn chamber_names(&self) -> Vec<String> {
        self.chambers
            .iter()
            .map(|chamber| chamber.name.clone())
            .collect()
    }
}

impl Default for ApprovalProcedure {
    /// One chamber called "parliament", deciding by simple majority, without the head of state.
    fn default() -> Self {
        ApprovalProcedure {
            chambers: vec![Chamber {
                name: "parliament".to_owned(),
                threshold: Threshold::SimpleMajority,
            }],
            head_of_state_assent: false,
        }
    }
}
