//! The four CSV shapes, recognised by their header line, parsed row by row.

use std::fmt;

use jiff::civil::Date;
use treaty_domain::{ConsentKind, StateCode, TreatyId};

use crate::{ConsentFact, Facts, StepFact, StepKind, TREATIES};

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
    use treaty_domain::ConsentKind;

    use super::*;

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
