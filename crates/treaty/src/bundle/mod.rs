//! The real treaty data the product ships (copied from the research into
//! `crates/treaty/data/`, sources in `data/SOURCES.md`), parsed into facts.
//!
//! Four CSV shapes are understood, by their header line:
//! - parties (`iso2,iso3,name,signed,consent_to_be_bound,consent_kind,source`),
//!   one file per treaty;
//! - signatories (`treaty,iso2,iso3,name,signed,source`);
//! - withdrawal steps (`treaty,iso2,step,date,detail,source`).
//!
//! Parsing checks every row and reports every bad row with its file and line;
//! a file with one bad row yields no facts at all.

pub mod procedures;

use std::fmt;

use jiff::civil::Date;
use treaty_domain::{ConsentKind, StateCode, TreatyId};

/// The bundled parties of the Anti-Personnel Mine Ban Convention.
pub const OTTAWA_PARTIES: &str = include_str!("../../data/ottawa_states_parties.csv");
/// The bundled parties of the Convention on Cluster Munitions.
pub const CCM_PARTIES: &str = include_str!("../../data/ccm_states_parties.csv");
/// CCM signatories that never ratified.
pub const SIGNATORIES: &str = include_str!("../../data/signatories_not_ratified.csv");
/// The dated steps of the 2024–2026 withdrawals and of Ukraine's claimed suspension.
pub const WITHDRAWAL_STEPS: &str = include_str!("../../data/withdrawals_2024_2026.csv");

/// One bad row of an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The file, as named to the parser.
    pub file: String,
    /// The 1-based line number (the header is line 1).
    pub line: usize,
    /// What is wrong and what is accepted.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// A treaty with its clauses, as bundled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreatyFact {
    /// The identifier, e.g. `apmbc`.
    pub id: &'static str,
    /// How the withdrawal CSV names it.
    pub csv_name: &'static str,
    /// Full title.
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
    /// The treaty identifier.
    pub treaty: String,
    /// The state.
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
    fn parse(s: &str) -> Option<StepKind> {
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
    /// The treaty identifier.
    pub treaty: String,
    /// The state.
    pub state: StateCode,
    /// What happened.
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

fn sources(cell: &str) -> Vec<String> {
    cell.split(" ; ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn date(cell: &str, column: &str) -> Result<Option<Date>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    cell.parse::<Date>()
        .map(Some)
        .map_err(|_| format!("{column} {cell:?} is not a date; write YYYY-MM-DD"))
}

fn treaty_of(cell: &str) -> Result<String, String> {
    TREATIES
        .iter()
        .find(|t| t.csv_name == cell || t.id == cell)
        .map(|t| t.id.to_owned())
        .or_else(|| TreatyId::parse(cell).ok().map(|t| t.as_str().to_owned()))
        .ok_or_else(|| format!("treaty {cell:?} is not a treaty id; use apmbc (or ottawa) or ccm"))
}

fn consent_kind(cell: &str) -> Result<ConsentKind, String> {
    let kinds = [
        ConsentKind::Ratification,
        ConsentKind::Acceptance,
        ConsentKind::Approval,
        ConsentKind::Accession,
        ConsentKind::Succession,
    ];
    kinds
        .into_iter()
        .find(|k| k.as_str().eq_ignore_ascii_case(cell))
        .ok_or_else(|| format!("consent_kind {cell:?} is not one of ratification, acceptance, approval, accession, succession"))
}

fn state(cell: &str) -> Result<StateCode, String> {
    StateCode::parse(cell).map_err(|e| e.to_string())
}

/// The shape of a CSV file, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Parties of one treaty.
    Parties,
    /// Signatories, with a treaty column.
    Signatories,
    /// Withdrawal steps.
    Steps,
}

const PARTIES_HEADER: [&str; 7] = [
    "iso2",
    "iso3",
    "name",
    "signed",
    "consent_to_be_bound",
    "consent_kind",
    "source",
];
const SIGNATORIES_HEADER: [&str; 6] = ["treaty", "iso2", "iso3", "name", "signed", "source"];
const STEPS_HEADER: [&str; 6] = ["treaty", "iso2", "step", "date", "detail", "source"];

/// Parses one file. `treaty` is required for a parties file (which has no
/// treaty column). Every bad row is reported; any bad row means no facts.
pub fn parse_file(name: &str, text: &str, treaty: Option<&str>) -> Result<Facts, Vec<RowError>> {
    let err = |line: usize, message: String| RowError {
        file: name.to_owned(),
        line,
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(e) => return Err(vec![err(1, format!("cannot read the header: {e}"))]),
    };
    let shape = match header
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        h if h == PARTIES_HEADER => Shape::Parties,
        h if h == SIGNATORIES_HEADER => Shape::Signatories,
        h if h == STEPS_HEADER => Shape::Steps,
        _ => {
            return Err(vec![err(
                1,
                format!(
                    "unknown header; expected one of: {} | {} | {}",
                    PARTIES_HEADER.join(","),
                    SIGNATORIES_HEADER.join(","),
                    STEPS_HEADER.join(",")
                ),
            )]);
        }
    };
    let parties_treaty = match (shape, treaty) {
        (Shape::Parties, None) => {
            return Err(vec![err(
                1,
                "a parties file has no treaty column; say which treaty it is for (--treaty)".into(),
            )]);
        }
        (Shape::Parties, Some(t)) => Some(treaty_of(t).map_err(|m| vec![err(1, m)])?),
        _ => None,
    };
    let mut facts = Facts::default();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i + 2, |p| usize::try_from(p.line()).unwrap_or(i + 2));
        let origin = format!("{name}:{line}");
        let row = match record {
            Ok(r) if r.len() == header.len() => r,
            Ok(r) => {
                errors.push(err(
                    line,
                    format!("{} fields, expected {}", r.len(), header.len()),
                ));
                continue;
            }
            Err(e) => {
                errors.push(err(line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let cell = |i: usize| row.get(i).unwrap_or("").trim();
        let result: Result<(), String> = (|| {
            match shape {
                Shape::Parties => {
                    let treaty = parties_treaty.clone().unwrap_or_default();
                    let state = state(cell(0))?;
                    let src = sources(cell(6));
                    if src.is_empty() {
                        return Err("source is empty; every fact carries its source".into());
                    }
                    let consented = date(cell(4), "consent_to_be_bound")?
                        .ok_or("consent_to_be_bound is empty")?;
                    if let Some(signed) = date(cell(3), "signed")? {
                        if signed > consented {
                            return Err(format!(
                                "signed {signed} is after consent_to_be_bound {consented}"
                            ));
                        }
                        facts.consents.push(ConsentFact {
                            treaty: treaty.clone(),
                            state,
                            kind: ConsentKind::Signature,
                            on: signed,
                            sources: src.clone(),
                            origin: origin.clone(),
                        });
                    }
                    facts.consents.push(ConsentFact {
                        treaty,
                        state,
                        kind: consent_kind(cell(5))?,
                        on: consented,
                        sources: src,
                        origin: origin.clone(),
                    });
                }
                Shape::Signatories => {
                    let src = sources(cell(5));
                    if src.is_empty() {
                        return Err("source is empty; every fact carries its source".into());
                    }
                    let on = date(cell(4), "signed")?.ok_or("signed is empty")?;
                    facts.consents.push(ConsentFact {
                        treaty: treaty_of(cell(0))?,
                        state: state(cell(1))?,
                        kind: ConsentKind::Signature,
                        on,
                        sources: src,
                        origin: origin.clone(),
                    });
                }
                Shape::Steps => {
                    let kind = StepKind::parse(cell(2)).ok_or_else(|| {
                        format!("step {:?} is not one of recommended, government_decision, parliament_approved, head_of_state_signed, deposited, effective, suspended, circulated", cell(2))
                    })?;
                    let on = date(cell(3), "date")?;
                    if on.is_none() && matches!(kind, StepKind::Deposited | StepKind::Effective) {
                        return Err("a deposit or an effect must be dated".into());
                    }
                    let src = sources(cell(5));
                    if src.is_empty() {
                        return Err("source is empty; every fact carries its source".into());
                    }
                    facts.steps.push(StepFact {
                        treaty: treaty_of(cell(0))?,
                        state: state(cell(1))?,
                        kind,
                        on,
                        detail: cell(4).to_owned(),
                        sources: src,
                        origin: origin.clone(),
                    });
                }
            }
            Ok(())
        })();
        if let Err(message) = result {
            errors.push(err(line, message));
        }
    }
    if errors.is_empty() {
        Ok(facts)
    } else {
        Err(errors)
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

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_nothing_is_kept() {
        let text = "treaty,iso2,step,date,detail,source\n\
                    ottawa,LT,deposited,2025-06-27,ok,https://example.org\n\
                    ottawa,XX,deposited,2025-06-27,unknown state,https://example.org\n\
                    ottawa,LV,deposited,2025-13-01,bad date,https://example.org\n\
                    ottawa,EE,deposited,,undated deposit,https://example.org\n\
                    ottawa,PL,voted,2025-06-25,bad step,https://example.org\n";
        let errors = parse_file("steps.csv", text, None).expect_err("bad rows");
        let lines: Vec<_> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);
        assert!(
            errors[0].to_string().starts_with("steps.csv:3: "),
            "{}",
            errors[0]
        );
        assert!(errors[1].message.contains("YYYY-MM-DD"), "{}", errors[1]);
    }

    #[test]
    fn a_parties_file_needs_its_treaty_and_a_known_header() {
        let text = "iso2,iso3,name,signed,consent_to_be_bound,consent_kind,source\nTO,TON,Tonga,,2025-06-25,accession,https://example.org\n";
        assert!(parse_file("p.csv", text, None).is_err());
        let facts = parse_file("p.csv", text, Some("apmbc")).expect("parses");
        assert_eq!(facts.consents[0].kind, ConsentKind::Accession);
        let errors = parse_file("x.csv", "a,b\n1,2\n", None).expect_err("unknown header");
        assert_eq!(errors[0].line, 1);
    }
}
