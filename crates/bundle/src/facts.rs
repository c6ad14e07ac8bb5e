//! The bundled treaties and the facts read from the data files: signatures,
//! consents, and the dated (or undated) steps of each withdrawal.

use jiff::civil::Date;
use treaty_domain::{ConsentKind, StateCode};

use crate::parse::parse_file;

/// The bundled parties of the Anti-Personnel Mine Ban Convention.
pub const OTTAWA_PARTIES: &str = include_str!("../data/ottawa_states_parties.csv");
/// The bundled parties of the Convention on Cluster Munitions.
pub const CCM_PARTIES: &str = include_str!("../data/ccm_states_parties.csv");
/// CCM signatories that never ratified.
pub const SIGNATORIES: &str = include_str!("../data/signatories_not_ratified.csv");
/// The dated steps of the 2024–2026 withdrawals and of Ukraine's claimed suspension.
pub const WITHDRAWAL_STEPS: &str = include_str!("../data/withdrawals_2024_2026.csv");

/// A treaty with its clauses, as bundled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreatyFact {
    /// The identifier, e.g. `apmbc`.
    pub id: &'static str,
    /// How the withdrawal CSV names it.
    pub csv_name: &'static str,
    pub title: &'static str,
    /// Common short title.
    pub short_title: &'static str,
    /// The treaty's own entry into force (Art. 17(1)).
    pub in_force_on: Date,
    /// Where the facts come from.
    pub sources: &'static [&'static str],
}

/// The two bundled treaties. Both: six months' notice running from the
/// depositary's receipt, deferred while the state is engaged in an armed
/// conflict (Art. 20(3)); a late joiner is bound from the first day of the sixth
/// month after its deposit (Art. 17(2)).
pub const TREATIES: [TreatyFact; 2] = [
    TreatyFact {
        id: "apmbc",
        csv_name: "ottawa",
        title: "Convention on the Prohibition of the Use, Stockpiling, Production and Transfer of Anti-Personnel Mines and on their Destruction",
        short_title: "Ottawa Convention (Anti-Personnel Mine Ban Convention)",
        in_force_on: jiff::civil::date(1999, 3, 1),
        sources: &[
            "UN Treaty Collection, MTDSG chapter XXVI-5",
            "Art. 17 and 20 (English text): github.com/statengeneraal/laws-markdown, BWBV0001384",
        ],
    },
    TreatyFact {
        id: "ccm",
        csv_name: "ccm",
        title: "Convention on Cluster Munitions",
        short_title: "Convention on Cluster Munitions",
        in_force_on: jiff::civil::date(2010, 8, 1),
        sources: &[
            "UN Treaty Collection, MTDSG chapter XXVI-6",
            "droit-bilingue.ch SR 0.515.093 (Art. 17 and 20)",
        ],
    },
];

/// The depositary of both treaties.
pub const DEPOSITARY: &str = "Secretary-General of the United Nations";

/// A signature or a consent to be bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentFact {
    pub treaty: String,
    pub state: StateCode,
    /// Signature or the kind of consent.
    pub kind: ConsentKind,
    /// The date of signature or of deposit.
    pub on: Date,
    /// Where it comes from.
    pub sources: Vec<String>,
    /// Where it was read: `file:line`.
    pub origin: String,
}

/// The kind of a recorded withdrawal-related step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepKind {
    /// A recommendation to withdraw.
    Recommended,
    /// A government decision.
    GovernmentDecision,
    /// Parliament's approval.
    ParliamentApproved,
    /// The head of state's signature or proclamation.
    HeadOfStateSigned,
    /// The instrument reached the depositary.
    Deposited,
    /// The withdrawal took effect.
    Effective,
    /// A claimed suspension (not a withdrawal).
    Suspended,
    /// The depositary circulated a communication.
    Circulated,
}

impl StepKind {
    pub(crate) fn parse(s: &str) -> Option<StepKind> {
        Some(match s {
            "recommended" => StepKind::Recommended,
            "government_decision" => StepKind::GovernmentDecision,
            "parliament_approved" => StepKind::ParliamentApproved,
            "head_of_state_signed" => StepKind::HeadOfStateSigned,
            "deposited" => StepKind::Deposited,
            "effective" => StepKind::Effective,
            "suspended" => StepKind::Suspended,
            "circulated" => StepKind::Circulated,
            _ => return None,
        })
    }

    /// Where the step falls in a withdrawal's domestic and international order;
    /// undated steps are placed by it between their neighbours.
    pub fn rank(self) -> u8 {
        match self {
            StepKind::Recommended | StepKind::GovernmentDecision => 0,
            StepKind::ParliamentApproved => 1,
            StepKind::HeadOfStateSigned => 2,
            StepKind::Deposited | StepKind::Suspended | StepKind::Circulated => 3,
            StepKind::Effective => 4,
        }
    }
}

/// One dated (or undated) step of a withdrawal or suspension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFact {
    pub treaty: String,
    pub state: StateCode,
    pub kind: StepKind,
    /// When, if the sources give it.
    pub on: Option<Date>,
    /// What the sources say.
    pub detail: String,
    /// Where it comes from.
    pub sources: Vec<String>,
    /// Where it was read: `file:line`.
    pub origin: String,
}

/// Everything parsed from a set of files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Signatures and consents.
    pub consents: Vec<ConsentFact>,
    /// Withdrawal and suspension steps.
    pub steps: Vec<StepFact>,
}

impl Facts {
    /// The bundled facts.
    pub fn bundled() -> Facts {
        let mut facts = Facts::default();
        let files = [
            ("ottawa_states_parties.csv", OTTAWA_PARTIES, Some("apmbc")),
            ("ccm_states_parties.csv", CCM_PARTIES, Some("ccm")),
            ("signatories_not_ratified.csv", SIGNATORIES, None),
            ("withdrawals_2024_2026.csv", WITHDRAWAL_STEPS, None),
        ];
        for (name, text, treaty) in files {
            let parsed = parse_file(name, text, treaty).unwrap_or_else(|errors| {
                panic!(
                    "the bundled data is valid (a test checks it): {}",
                    errors[0]
                )
            });
            facts.consents.extend(parsed.consents);
            facts.steps.extend(parsed.steps);
        }
        facts
    }

    /// The withdrawal steps of one (treaty, state), in the order they happened:
    /// by rank and date, undated steps between their neighbours.
    pub fn steps_of(&self, treaty: &str, state: StateCode) -> Vec<&StepFact> {
        let mut steps: Vec<_> = self
            .steps
            .iter()
            .filter(|s| s.treaty == treaty && s.state == state)
            .collect();
        steps.sort_by_key(|s| (s.kind.rank(), s.on));
        steps
    }

    /// Every (treaty, state) with withdrawal steps, in first-step order.
    pub fn withdrawal_cases(&self) -> Vec<(String, StateCode)> {
        let mut cases: Vec<(Option<Date>, String, StateCode)> = Vec::new();
        for s in &self.steps {
            if s.kind == StepKind::Suspended || s.kind == StepKind::Circulated {
                continue;
            }
            if let Some(c) = cases.iter_mut().find(|c| c.1 == s.treaty && c.2 == s.state) {
                c.0 = match (c.0, s.on) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            } else {
                cases.push((s.on, s.treaty.clone(), s.state));
            }
        }
        cases.retain(|(_, treaty, state)| {
            self.steps
                .iter()
                .any(|s| &s.treaty == treaty && s.state == *state && s.kind == StepKind::Deposited)
        });
        cases.sort_by(|a, b| {
            (a.0, a.1.as_str(), a.2.as_str()).cmp(&(b.0, b.1.as_str(), b.2.as_str()))
        });
        cases.into_iter().map(|(_, t, s)| (t, s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_files_parse_without_a_bad_row() {
        let facts = Facts::bundled();
        let parties = |t: &str| {
            facts
                .consents
                .iter()
                .filter(|c| c.treaty == t && c.kind != ConsentKind::Signature)
                .count()
        };
        assert_eq!(parties("apmbc"), 166);
        assert_eq!(parties("ccm"), 113);
        assert_eq!(facts.steps.len(), 40);
    }

    #[test]
    fn the_withdrawal_cases_are_the_six_recorded_ones_in_order() {
        let cases: Vec<String> = Facts::bundled()
            .withdrawal_cases()
            .iter()
            .map(|(t, s)| format!("{t}-{}", s.as_str()))
            .collect();
        assert_eq!(
            cases,
            [
                "ccm-LT", "apmbc-EE", "apmbc-LT", "apmbc-LV", "apmbc-PL", "apmbc-FI"
            ]
        );
    }

    #[test]
    fn an_undated_step_sits_between_its_neighbours() {
        let facts = Facts::bundled();
        let lt = StateCode::parse("LT").expect("LT");
        let kinds: Vec<_> = facts
            .steps_of("apmbc", lt)
            .iter()
            .map(|s| (s.kind, s.on.is_some()))
            .collect();
        assert_eq!(
            kinds,
            [
                (StepKind::Recommended, true),
                (StepKind::ParliamentApproved, true),
                (StepKind::HeadOfStateSigned, false),
                (StepKind::Deposited, true),
                (StepKind::Effective, true)
            ]
        );
    }
}
