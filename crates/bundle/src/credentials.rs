//! Who a load acts as: each fact is recorded by the actor who made it — the registry's
//! administrator (treaties, consents, procedures, claimed suspensions), the depositary (the
//! receipt of an instrument), or the state itself (its own steps; a joint statement by all
//! of its states) — with a token holding exactly that actor's permissions.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use treaty_auth::Permission;
use treaty_auth::token::SigningKey;
use treaty_domain::StateCode;
use treaty_runtime::Bearer;

/// Who records a loaded fact.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Actor {
    /// The registry's administrator.
    Registrar,
    /// The depositary, recording receipts.
    Depositary,
    /// A state's ministry, recording its own steps.
    State(StateCode),
    /// The states of a joint statement, together.
    Joint(Vec<StateCode>),
}

impl Actor {
    /// The subject its tokens name.
    pub fn subject(&self) -> String {
        match self {
            Actor::Registrar => "registry-administrator".to_owned(),
            Actor::Depositary => "depositary".to_owned(),
            Actor::State(s) => format!("{}-foreign-ministry", s.as_str().to_ascii_lowercase()),
            Actor::Joint(states) => {
                let codes: Vec<String> = states
                    .iter()
                    .map(|s| s.as_str().to_ascii_lowercase())
                    .collect();
                format!("{}-foreign-ministries", codes.join("-"))
            }
        }
    }

    /// The permissions it acts with, and no more.
    pub fn permissions(&self) -> Vec<Permission> {
        match self {
            Actor::Registrar => vec![Permission::RegistryAdmin],
            Actor::Depositary => vec![Permission::DepositaryRecord],
            Actor::State(s) => vec![Permission::StateRecord(*s)],
            Actor::Joint(states) => states.iter().map(|s| Permission::StateRecord(*s)).collect(),
        }
    }
}

/// The tokens a load is made with.
pub trait Credentials: Send + Sync + fmt::Debug {
    /// The bearer `actor`'s calls carry.
    fn bearer(&self, actor: &Actor) -> Bearer;
}

/// One token for every call (`treaty import --token`): it must hold every permission the
/// facts need ([`crate::loader_permissions`]).
#[derive(Clone, Debug)]
pub struct OneToken(pub Bearer);

impl Credentials for OneToken {
    fn bearer(&self, _: &Actor) -> Bearer {
        self.0.clone()
    }
}

/// Tokens signed on the spot by an issuer key, one per actor (the demo, `treaty serve`'s
/// bundle load, `treaty import` with the issuer key).
pub struct Minted {
    key: SigningKey,
    issuer: String,
    audience: String,
    minted: Mutex<BTreeMap<Actor, Bearer>>,
}

impl fmt::Debug for Minted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Minted")
            .field("kid", &self.key.kid())
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Minted {
    /// How long a minted token is valid: long enough for the largest load.
    pub const TTL: Duration = Duration::from_secs(6 * 3600);

    /// Mints with `key`, naming `issuer` and `audience`.
    pub fn new(key: SigningKey, issuer: &str, audience: &str) -> Minted {
        Minted {
            key,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            minted: Mutex::default(),
        }
    }
}

impl Credentials for Minted {
    fn bearer(&self, actor: &Actor) -> Bearer {
        let mut minted = self.minted.lock().unwrap_or_else(|e| e.into_inner());
        minted
            .entry(actor.clone())
            .or_insert_with(|| {
                Bearer::new(self.key.issue(
                    &self.issuer,
                    &self.audience,
                    &actor.subject(),
                    &actor.permissions(),
                    jiff::Timestamp::now().as_second(),
                    Self::TTL,
                ))
            })
            .clone()
    }
}
