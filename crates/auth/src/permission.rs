//! What a token may carry: permissions such as `state:LT:record`, parsed once.

use std::fmt;
use std::str::FromStr;

use treaty_domain::{Recipient, StateCode};

/// One permission a person or system is granted by a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permission {
    /// `registry:admin`: register treaties, record consents, procedures and armed conflicts.
    RegistryAdmin,
    /// `depositary:record`: what the depositary records — consents and every state's receipt of
    /// an instrument of withdrawal.
    DepositaryRecord,
    /// `state:XX:record`: record the steps of that state's withdrawals.
    StateRecord(StateCode),
    /// `state:XX:inbox`: receive and acknowledge the notices sent to that state.
    StateInbox(StateCode),
    /// `depositary:inbox`: the depositary's own inbox.
    DepositaryInbox,
    /// `un-security-council:inbox`: the UN Security Council's inbox.
    SecurityCouncilInbox,
}

impl Permission {
    /// The inbox permission of `recipient`.
    pub fn inbox_of(recipient: Recipient) -> Permission {
        match recipient {
            Recipient::State(state) => Permission::StateInbox(state),
            Recipient::Depositary => Permission::DepositaryInbox,
            Recipient::SecurityCouncil => Permission::SecurityCouncilInbox,
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Permission::RegistryAdmin => f.write_str("registry:admin"),
            Permission::DepositaryRecord => f.write_str("depositary:record"),
            Permission::StateRecord(s) => write!(f, "state:{s}:record"),
            Permission::StateInbox(s) => write!(f, "state:{s}:inbox"),
            Permission::DepositaryInbox => f.write_str("depositary:inbox"),
            Permission::SecurityCouncilInbox => f.write_str("un-security-council:inbox"),
        }
    }
}

/// A string that is not a permission.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a permission; use registry:admin, depositary:record, depositary:inbox, un-security-council:inbox, state:XX:record or state:XX:inbox"
)]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownPermission(s.to_owned());
        match s {
            "registry:admin" => Ok(Permission::RegistryAdmin),
            "depositary:record" => Ok(Permission::DepositaryRecord),
            "depositary:inbox" => Ok(Permission::DepositaryInbox),
            "un-security-council:inbox" => Ok(Permission::SecurityCouncilInbox),
            other => {
                let mut parts = other.split(':');
                let (Some("state"), Some(code), Some(what), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(unknown());
                };
                // Exactly the canonical code: a permission is not read loosely.
                let state = StateCode::parse(code)
                    .ok()
                    .filter(|c| c.as_str() == code)
                    .ok_or_else(unknown)?;
                match what {
                    "record" => Ok(Permission::StateRecord(state)),
                    "inbox" => Ok(Permission::StateInbox(state)),
                    _ => Err(unknown()),
                }
            }
        }
    }
}
