//! Who receives a notice: a State Party (`states/{code}`), the depositary
//! (`depositary`) or the UN Security Council (`un-security-council`).

use std::fmt;

use serde::{Deserialize, Serialize};
use treaty_domain::StateCode;

/// The name of the depositary's inbox.
pub const DEPOSITARY: &str = "depositary";
/// The name of the UN Security Council's inbox.
pub const SECURITY_COUNCIL: &str = "un-security-council";
const STATE_PREFIX: &str = "states/";

/// What kind of recipient an inbox belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RecipientKind {
    /// A State Party.
    StateParty,
    /// The depositary.
    Depositary,
    /// The UN Security Council.
    SecurityCouncil,
}

/// One recipient of notices, parsed once from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recipient {
    /// A State Party, `states/{code}`.
    State(StateCode),
    /// The depositary, `depositary`.
    Depositary,
    /// The UN Security Council, `un-security-council`.
    SecurityCouncil,
}

impl Recipient {
    /// Parses a recipient name; state codes are accepted in either case and
    /// kept in upper case.
    ///
    /// # Errors
    ///
    /// A sentence saying which names are accepted.
    pub fn parse(name: &str) -> Result<Recipient, String> {
        match name.trim() {
            DEPOSITARY => Ok(Recipient::Depositary),
            SECURITY_COUNCIL => Ok(Recipient::SecurityCouncil),
            other => match other.strip_prefix(STATE_PREFIX) {
                Some(code) if code.trim().len() == 2 => {
                    StateCode::parse(code).map(Recipient::State).map_err(|e| {
                        format!("{e}; a State Party is named states/{{code}}, e.g. states/FR")
                    })
                }
                _ => Err(format!(
                    "{other:?} is not a recipient; use states/{{ISO 3166-1 alpha-2 code}} (e.g. states/FR), `{DEPOSITARY}` or `{SECURITY_COUNCIL}`"
                )),
            },
        }
    }

    /// The recipient's canonical name, e.g. `states/FR`.
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// The kind of recipient.
    pub fn kind(&self) -> RecipientKind {
        match self {
            Recipient::State(_) => RecipientKind::StateParty,
            Recipient::Depositary => RecipientKind::Depositary,
            Recipient::SecurityCouncil => RecipientKind::SecurityCouncil,
        }
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

/// Every recipient of a notice by `withdrawing`: the states given (parties as
/// of the notice's date) except the withdrawing state, in code order, then the
/// depositary and the UN Security Council (Art. 20(2) of both conventions).
pub fn recipients_of(
    withdrawing: &str,
    parties: impl IntoIterator<Item = StateCode>,
) -> Vec<Recipient> {
    let mut states: Vec<StateCode> = parties
        .into_iter()
        .filter(|s| s.as_str() != withdrawing)
        .collect();
    states.sort();
    states.dedup();
    states
        .into_iter()
        .map(Recipient::State)
        .chain([Recipient::Depositary, Recipient::SecurityCouncil])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_state_codes_are_upper_cased() {
        for name in ["states/FR", "depositary", "un-security-council"] {
            assert_eq!(Recipient::parse(name).unwrap().name(), name);
        }
        assert_eq!(Recipient::parse("states/fr").unwrap().name(), "states/FR");
    }

    #[test]
    fn anything_else_is_refused_with_what_is_accepted() {
        for bad in [
            "",
            "FR",
            "states/",
            "states/XX",
            "states/FRA",
            "Depositary",
            "security-council",
        ] {
            let err = Recipient::parse(bad).unwrap_err();
            assert!(err.contains("states/"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_withdrawing_state_is_left_out_and_the_depositary_and_council_added() {
        let code = |c| StateCode::parse(c).unwrap();
        let got = recipients_of("LT", [code("FR"), code("LT"), code("AT"), code("FR")]);
        let names: Vec<String> = got.iter().map(Recipient::name).collect();
        assert_eq!(
            names,
            [
                "states/AT",
                "states/FR",
                "depositary",
                "un-security-council"
            ]
        );
    }
}
