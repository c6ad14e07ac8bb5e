//! Identifiers of states, treaties and withdrawal cases, each checked once when it is parsed.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use rust_iso3166::CountryCode;

use crate::error::DomainError;

/// A state, keyed by its ISO 3166-1 alpha-2 code (for example `LT` for Lithuania).
///
/// Codes, not names, identify states, because names change. The list of valid codes comes from the
/// `rust_iso3166` crate. A valid code does not make a state a party to anything; that is the
/// registry's business.
#[derive(Clone, Copy)]
pub struct StateCode(CountryCode);

impl StateCode {
    /// Parses an ISO 3166-1 alpha-2 code, accepting lower case and surrounding spaces.
    ///
    /// # Errors
    ///
    /// [`DomainError::UnknownStateCode`], with the closest known codes as suggestions, when the
    /// input is not an assigned alpha-2 code.
    pub fn parse(input: &str) -> Result<StateCode, DomainError> {
        let code = input.trim().to_ascii_uppercase();
        match rust_iso3166::from_alpha2(&code) {
            Some(country) if code.len() == 2 => Ok(StateCode(country)),
            _ => Err(DomainError::UnknownStateCode {
                input: input.to_owned(),
                suggestions: StateCode::suggestions(input, 3),
            }),
        }
    }

    /// Returns every assigned ISO 3166-1 alpha-2 code, in alphabetical order of the code.
    pub fn all() -> Vec<StateCode> {
        let mut codes: Vec<StateCode> = rust_iso3166::ALL.iter().copied().map(StateCode).collect();
        codes.sort();
        codes
    }

    /// Returns the two-letter code in upper case, such as `"LT"`.
    pub fn as_str(&self) -> &'static str {
        self.0.alpha2
    }

    /// Returns the ISO 3166-1 English short name, such as `"Lithuania"`.
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// Returns up to `n` known codes that the user may have meant by `input`, best first.
    ///
    /// The ranking is: a code whose alpha-3 code or name is exactly the input (`LTU`, `lithuania`);
    /// then codes whose name starts with the input (`lith`, `ukr`); then the alpha-2 code with the
    /// two letters swapped (`VL` for `LV`); then alpha-2 codes one other typing mistake away (a
    /// letter changed, added or dropped); then alpha-3 codes one typing mistake away. Ties are
    /// broken by code, so the answer is stable.
    pub fn suggestions(input: &str, n: usize) -> Vec<StateCode> {
        let query = input.trim();
        let upper = query.to_uppercase();
        let lower = query.to_lowercase();
        let swapped: String = upper.chars().rev().collect();
        let mut ranked: Vec<(u8, StateCode)> = rust_iso3166::ALL
            .iter()
            .filter_map(|country| {
                let name = country.name.to_lowercase();
                let rank = if country.alpha2 == upper || country.alpha3 == upper || name == lower {
                    0
                } else if !lower.is_empty() && name.starts_with(&lower) {
                    1
                } else if swapped == country.alpha2 {
                    2
                } else if upper.chars().count() == 2 && edit_distance(&upper, country.alpha2) == 1 {
                    3
                } else if upper.chars().count() == 3 && edit_distance(&upper, country.alpha3) == 1 {
                    4
                } else {
                    return None;
                };
                Some((rank, StateCode(*country)))
            })
            .collect();
        ranked.sort();
        ranked.into_iter().take(n).map(|(_, code)| code).collect()
    }
}

/// Counts the single-letter edits (change, insert, delete, swap of neighbours) from `a` to `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j] is the distance between the first i letters of a and the first j letters of b.
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let change = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + change);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

impl PartialEq for StateCode {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for StateCode {}

impl Hash for StateCode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for StateCode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for StateCode {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StateCode").field(&self.as_str()).finish()
    }
}

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StateCode {
    type Err = DomainError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        StateCode::parse(input)
    }
}

/// A treaty, keyed by a short lower-case slug such as `apmbc` (the Ottawa Convention) or `ccm`.
///
/// A slug starts with a letter, continues with letters, digits or hyphens, and is 2 to 32
/// characters long.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TreatyId(String);

impl TreatyId {
    /// Parses a treaty slug.
    ///
    /// # Errors
    ///
    /// [`DomainError::InvalidTreatyId`] when the input is not a lower-case slug of 2 to 32
    /// characters that starts with a letter.
    pub fn parse(input: &str) -> Result<TreatyId, DomainError> {
        let mut chars = input.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_is_slug = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if starts_with_letter && rest_is_slug && (2..=32).contains(&input.len()) {
            Ok(TreatyId(input.to_owned()))
        } else {
            Err(DomainError::InvalidTreatyId {
                input: input.to_owned(),
            })
        }
    }

    /// Returns the slug, such as `"apmbc"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TreatyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TreatyId {
    type Err = DomainError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        TreatyId::parse(input)
    }
}

/// A withdrawal case: one state's attempt to leave one treaty, written `apmbc-LT-1`.
///
/// The ordinal counts the state's withdrawal cases for that treaty from 1, because a case can end
/// without a withdrawal (rejected or revoked) and a state that rejoins can leave again.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CaseId {
    treaty: TreatyId,
    state: StateCode,
    ordinal: u32,
}

impl CaseId {
    /// Makes the id of the `ordinal`-th withdrawal case of `state` from `treaty`.
    ///
    /// # Errors
    ///
    /// [`DomainError::InvalidCaseId`] when `ordinal` is 0; cases are counted from 1.
    pub fn new(treaty: TreatyId, state: StateCode, ordinal: u32) -> Result<CaseId, DomainError> {
        if ordinal == 0 {
            return Err(DomainError::InvalidCaseId {
                input: format!("{treaty}-{state}-0"),
                reason: "cases are counted from 1",
            });
        }
        Ok(CaseId {
            treaty,
            state,
            ordinal,
        })
    }

    /// Parses an id written `treaty-STATE-ordinal`, such as `apmbc-LT-1`.
    ///
    /// # Errors
    ///
    /// [`DomainError::InvalidCaseId`] when a part is missing or malformed.
    pub fn parse(input: &str) -> Result<CaseId, DomainError> {
        let invalid = |reason| DomainError::InvalidCaseId {
            input: input.to_owned(),
            reason,
        };
        // The treaty slug may itself contain hyphens, so split from the right.
        let mut parts = input.rsplitn(3, '-');
        let (Some(ordinal), Some(state), Some(treaty)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid(
                "write it as treaty-STATE-number, such as apmbc-LT-1",
            ));
        };
        let canonical_number =
            ordinal.bytes().all(|b| b.is_ascii_digit()) && !ordinal.starts_with('0');
        let ordinal = ordinal
            .parse::<u32>()
            .ok()
            .filter(|_| canonical_number)
            .ok_or_else(|| {
                invalid("the number at the end must be a whole number from 1, such as 1")
            })?;
        let treaty = TreatyId::parse(treaty)
            .map_err(|_| invalid("the treaty part must be a slug such as apmbc"))?;
        let state = StateCode::parse(state)
            .ok()
            .filter(|_| state.len() == 2)
            .ok_or_else(|| {
                invalid("the state part must be an ISO 3166-1 alpha-2 code such as LT")
            })?;
        CaseId::new(treaty, state, ordinal)
    }

    /// Returns the treaty the state is withdrawing from.
    pub fn treaty(&self) -> &TreatyId {
        &self.treaty
    }

    /// Returns the withdrawing state.
    pub fn state(&self) -> StateCode {
        self.state
    }

    /// Returns the number of this case among the state's cases for the treaty, from 1.
    pub fn ordinal(&self) -> u32 {
        self.ordinal
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.treaty, self.state, self.ordinal)
    }
}

impl FromStr for CaseId {
    type Err = DomainError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        CaseId::parse(input)
    }
}
