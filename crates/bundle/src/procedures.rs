//! The domestic approval procedures and the chamber votes of the bundled
//! withdrawals, as the sources describe them.
//!
//! The step files give votes as prose ("81 for / 1 against / 7 abstentions");
//! this table gives them as numbers, and a test checks every number against the
//! prose of the row it comes from. Latvia's vote is 66 for per LETA and Xinhua
//! (TASS reports 68); the table keeps the row's first figure and the sources
//! travel with the step.

use jiff::civil::Date;

/// A chamber of a state's procedure and its threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChamberRule {
    pub name: &'static str,
    /// `Some((yes, seats))` for "at least `yes` of `seats`", `None` for a simple majority.
    pub at_least: Option<(u32, u32)>,
}

/// A state's procedure for approving a withdrawal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Procedure {
    pub state: &'static str,
    /// The chambers, in voting order.
    pub chambers: &'static [ChamberRule],
    /// Whether the head of state signs or proclaims.
    pub head_of_state_assent: bool,
    /// Why we believe it (the step rows that describe it).
    pub evidence: &'static str,
}

/// The procedures of the states with bundled withdrawals.
pub const PROCEDURES: [Procedure; 5] = [
    Procedure {
        state: "EE",
        chambers: &[ChamberRule {
            name: "Riigikogu",
            at_least: None,
        }],
        head_of_state_assent: true,
        evidence: "the Riigikogu adopted the act; President Karis proclaimed it",
    },
    Procedure {
        state: "LV",
        chambers: &[ChamberRule {
            name: "Saeima",
            at_least: None,
        }],
        head_of_state_assent: true,
        evidence: "the Saeima passed the law; President Rinkēvičs proclaimed it",
    },
    Procedure {
        state: "LT",
        chambers: &[ChamberRule {
            name: "Seimas",
            at_least: Some((85, 141)),
        }],
        head_of_state_assent: true,
        evidence: "the Seimas needed at least 85 votes; the President signed",
    },
    Procedure {
        state: "PL",
        chambers: &[
            ChamberRule {
                name: "Sejm",
                at_least: None,
            },
            ChamberRule {
                name: "Senate",
                at_least: None,
            },
        ],
        head_of_state_assent: true,
        evidence: "the Act of 25 June 2025 passed the Sejm and the Senate; the President denounced under it",
    },
    Procedure {
        state: "FI",
        chambers: &[ChamberRule {
            name: "Eduskunta",
            at_least: None,
        }],
        head_of_state_assent: true,
        evidence: "the Eduskunta consented; the President decided",
    },
];

/// The counts of a vote, or only its reported result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Counted: for, against, abstentions (None when the sources do not say).
    Counted(u32, u32, Option<u32>),
    /// The sources give no numbers, only that it passed.
    ReportedPassed,
}

/// One chamber vote of a bundled withdrawal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vote {
    pub treaty: &'static str,
    pub state: &'static str,
    pub chamber: &'static str,
    /// The date, when known.
    pub on: Option<Date>,
    pub count: Count,
    /// Whether it is the chamber's final vote.
    pub final_reading: bool,
}

const fn d(y: i16, m: i8, day: i8) -> Option<Date> {
    Some(jiff::civil::date(y, m, day))
}

/// Every chamber vote of the bundled withdrawals, in order per case.
pub const VOTES: [Vote; 8] = [
    Vote {
        treaty: "ccm",
        state: "LT",
        chamber: "Seimas",
        on: d(2024, 7, 11),
        count: Count::Counted(99, 1, Some(3)),
        final_reading: false,
    },
    Vote {
        treaty: "ccm",
        state: "LT",
        chamber: "Seimas",
        on: d(2024, 7, 18),
        count: Count::Counted(103, 1, Some(3)),
        final_reading: true,
    },
    Vote {
        treaty: "apmbc",
        state: "LV",
        chamber: "Saeima",
        on: d(2025, 4, 16),
        count: Count::Counted(66, 14, Some(2)),
        final_reading: true,
    },
    Vote {
        treaty: "apmbc",
        state: "LT",
        chamber: "Seimas",
        on: d(2025, 5, 8),
        count: Count::Counted(107, 0, Some(3)),
        final_reading: true,
    },
    Vote {
        treaty: "apmbc",
        state: "EE",
        chamber: "Riigikogu",
        on: d(2025, 6, 4),
        count: Count::Counted(81, 1, Some(7)),
        final_reading: true,
    },
    Vote {
        treaty: "apmbc",
        state: "FI",
        chamber: "Eduskunta",
        on: d(2025, 6, 19),
        count: Count::Counted(157, 18, None),
        final_reading: true,
    },
    Vote {
        treaty: "apmbc",
        state: "PL",
        chamber: "Sejm",
        on: d(2025, 6, 25),
        count: Count::Counted(413, 15, Some(3)),
        final_reading: true,
    },
    Vote {
        treaty: "apmbc",
        state: "PL",
        chamber: "Senate",
        on: None,
        count: Count::ReportedPassed,
        final_reading: true,
    },
];

/// The procedure recorded for `state`, if it has a bundled withdrawal.
pub fn procedure_of(state: &str) -> Option<&'static Procedure> {
    PROCEDURES.iter().find(|p| p.state == state)
}

/// The votes of one case, in order.
pub fn votes_of(treaty: &str, state: &str) -> Vec<&'static Vote> {
    VOTES
        .iter()
        .filter(|v| v.treaty == treaty && v.state == state)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Facts, StepKind};

    #[test]
    fn every_counted_vote_is_the_one_its_source_row_reports() {
        let facts = Facts::bundled();
        for v in VOTES {
            let row = facts
                .steps
                .iter()
                .find(|s| {
                    s.treaty == v.treaty
                        && s.state.as_str() == v.state
                        && s.kind == StepKind::ParliamentApproved
                })
                .unwrap_or_else(|| panic!("a parliament row for {} {}", v.treaty, v.state));
            match v.count {
                Count::Counted(yes, no, abstain) => {
                    let compact = format!("{yes}-{no}-{}", abstain.unwrap_or(0));
                    let prose = format!("{yes} for / {no} against");
                    assert!(
                        row.detail.contains(&prose) || row.detail.contains(&compact),
                        "{v:?} vs {:?}",
                        row.detail
                    );
                    if let Some(a) = abstain {
                        assert!(
                            row.detail.contains(&format!("{a} abstention"))
                                || row.detail.contains(&compact),
                            "{v:?}"
                        );
                    }
                    if v.final_reading {
                        assert_eq!(v.on, row.on, "the final vote is the row's date");
                    }
                }
                Count::ReportedPassed => {
                    assert!(row.detail.contains(v.chamber), "{:?}", row.detail)
                }
            }
        }
    }

    #[test]
    fn every_bundled_withdrawal_has_a_procedure_whose_chambers_vote() {
        for (treaty, state) in Facts::bundled().withdrawal_cases() {
            let p = procedure_of(state.as_str())
                .unwrap_or_else(|| panic!("a procedure for {}", state.as_str()));
            for chamber in p.chambers {
                assert!(
                    votes_of(&treaty, state.as_str())
                        .iter()
                        .any(|v| v.chamber == chamber.name && v.final_reading),
                    "{treaty} {}",
                    chamber.name
                );
            }
        }
    }
}
