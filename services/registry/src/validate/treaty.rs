//! Validation of treaties and of approval procedures (with the domain's rules).

use treaty_domain::{ApprovalProcedure, Chamber, Threshold};
use treaty_proto::registry as pb;
use treaty_proto::wire::Violations;

use super::{MAX_TEXT, months, sources, text, treaty};
use crate::stored::{
    StoredChamber, StoredClause, StoredProcedure, StoredRunsFrom, StoredThreshold, StoredTreaty,
};

const MAX_CHAMBERS: usize = 8;

/// Validates a `CreateTreaty` request into the treaty to store.
pub fn create_treaty(req: &pb::CreateTreatyRequest) -> Result<StoredTreaty, Violations> {
    let mut v = Violations::new();
    text(&mut v, "request_id", &req.request_id, false, MAX_TEXT);
    let Some(t) = req.treaty.as_ref() else {
        v.add("treaty", "required: the treaty to register");
        return Err(v);
    };
    let id = treaty(&mut v, "treaty.treaty_id", &t.treaty_id);
    let title = text(&mut v, "treaty.title", &t.title, true, MAX_TEXT);
    let short_title = text(
        &mut v,
        "treaty.short_title",
        &t.short_title,
        false,
        MAX_TEXT,
    );
    let depositary = text(&mut v, "treaty.depositary", &t.depositary, false, MAX_TEXT);
    let in_force_on = v.required_date("treaty.in_force_on", t.in_force_on.as_ref());
    let eif = months(
        &mut v,
        "treaty.entry_into_force_months",
        t.entry_into_force_months,
    );
    let clause = match t.withdrawal_clause.as_ref() {
        None => {
            v.add(
                "treaty.withdrawal_clause",
                "required: the treaty's withdrawal clause",
            );
            None
        }
        Some(c) => {
            let notice_months = months(
                &mut v,
                "treaty.withdrawal_clause.notice_months",
                c.notice_months,
            );
            let runs_from = match pb::RunsFrom::try_from(c.runs_from) {
                Ok(pb::RunsFrom::DepositaryReceipt) => Some(StoredRunsFrom::DepositaryReceipt),
                Ok(pb::RunsFrom::ParliamentaryApproval) => {
                    Some(StoredRunsFrom::ParliamentaryApproval)
                }
                Ok(pb::RunsFrom::Unspecified) | Err(_) => {
                    v.add(
                        "treaty.withdrawal_clause.runs_from",
                        "required: RUNS_FROM_DEPOSITARY_RECEIPT or RUNS_FROM_PARLIAMENTARY_APPROVAL",
                    );
                    None
                }
            };
            let article = text(
                &mut v,
                "treaty.withdrawal_clause.article",
                &c.article,
                false,
                MAX_TEXT,
            );
            runs_from.map(|runs_from| StoredClause {
                notice_months,
                runs_from,
                armed_conflict_defers: c.armed_conflict_defers,
                article,
            })
        }
    };
    let sources = sources(&mut v, "treaty.sources", &t.sources);
    match (id, in_force_on, clause) {
        (Some(id), Some(in_force_on), Some(clause)) if v.is_empty() => Ok(StoredTreaty {
            id: id.as_str().to_owned(),
            title,
            short_title,
            depositary,
            in_force_on,
            entry_into_force_months: eif,
            clause,
            sources,
        }),
        _ => Err(v),
    }
}

fn threshold(v: &mut Violations, field: &str, t: Option<&pb::Threshold>) -> Option<Threshold> {
    let Some(t) = t else {
        v.add(
            format!("{field}.kind"),
            "required: the threshold the chamber's final vote must reach",
        );
        return None;
    };
    let extra = |v: &mut Violations, name: &str, value: u32| {
        if value != 0 {
            v.add(
                format!("{field}.{name}"),
                "not used by this kind of threshold; leave it 0",
            );
        }
    };
    match pb::ThresholdKind::try_from(t.kind) {
        Ok(pb::ThresholdKind::SimpleMajority) => {
            extra(v, "yes_votes", t.yes_votes);
            extra(v, "of_seats", t.of_seats);
            Some(Threshold::SimpleMajority)
        }
        Ok(pb::ThresholdKind::AtLeast) => Some(Threshold::AtLeast {
            yes: t.yes_votes,
            of_seats: t.of_seats,
        }),
        Ok(pb::ThresholdKind::AbsoluteMajority) => {
            extra(v, "yes_votes", t.yes_votes);
            Some(Threshold::AbsoluteMajority {
                of_seats: t.of_seats,
            })
        }
        Ok(pb::ThresholdKind::Unspecified) | Err(_) => {
            v.add(
                format!("{field}.kind"),
                "required: THRESHOLD_KIND_SIMPLE_MAJORITY, THRESHOLD_KIND_AT_LEAST or THRESHOLD_KIND_ABSOLUTE_MAJORITY",
            );
            None
        }
    }
}

fn stored_threshold(t: Threshold) -> StoredThreshold {
    match t {
        Threshold::SimpleMajority => StoredThreshold::SimpleMajority,
        Threshold::AtLeast { yes, of_seats } => StoredThreshold::AtLeast { yes, of_seats },
        Threshold::AbsoluteMajority { of_seats } => StoredThreshold::AbsoluteMajority { of_seats },
    }
}

/// Validates an approval procedure with the domain's rules, one violation per wrong field.
pub fn procedure(
    v: &mut Violations,
    field: &str,
    p: Option<&pb::ApprovalProcedure>,
) -> Option<StoredProcedure> {
    let Some(p) = p else {
        v.add(
            field,
            "required: the chambers that must approve, and whether the head of state assents",
        );
        return None;
    };
    let before = v.iter().count();
    if p.chambers.len() > MAX_CHAMBERS {
        v.add(
            format!("{field}.chambers"),
            format!("at most {MAX_CHAMBERS} chambers"),
        );
    }
    let mut chambers = Vec::new();
    for (i, c) in p.chambers.iter().enumerate() {
        let at = format!("{field}.chambers[{i}]");
        let name = text(v, &format!("{at}.name"), &c.name, true, 256);
        let Some(threshold) = threshold(v, &format!("{at}.threshold"), c.threshold.as_ref()) else {
            continue;
        };
        let chamber = Chamber {
            name: if name.is_empty() {
                format!("chamber {}", i + 1)
            } else {
                name.clone()
            },
            threshold,
        };
        // Each chamber alone, so that every impossible threshold gets its own violation.
        if let Err(e) = ApprovalProcedure::new(vec![chamber.clone()], false) {
            v.add(format!("{at}.threshold"), e.to_string());
        }
        let lower = name.to_lowercase();
        if !name.is_empty()
            && chambers
                .iter()
                .any(|c: &Chamber| c.name.to_lowercase() == lower)
        {
            v.add(
                format!("{at}.name"),
                treaty_domain::DomainError::DuplicateChamber { name: name.clone() }.to_string(),
            );
        }
        chambers.push(chamber);
    }
    let sources = sources(v, &format!("{field}.sources"), &p.sources);
    if v.iter().count() > before {
        return None;
    }
    match ApprovalProcedure::new(chambers, p.head_of_state_assent) {
        Ok(ok) => Some(StoredProcedure {
            chambers: ok
                .chambers
                .into_iter()
                .map(|c| StoredChamber {
                    name: c.name,
                    threshold: stored_threshold(c.threshold),
                })
                .collect(),
            head_of_state_assent: ok.head_of_state_assent,
            sources,
        }),
        Err(e) => {
            let at = if p.chambers.is_empty() {
                format!("{field}.chambers")
            } else {
                field.to_owned()
            };
            v.add(at, e.to_string());
            None
        }
    }
}
