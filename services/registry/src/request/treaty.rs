//! Treaties and approval procedures, validated with the domain's rules.

use jiff::civil::Date;
use treaty_domain::{
    ApprovalProcedure, Chamber, DomainError, EntryIntoForceRule, RunsFrom, StateCode, Threshold,
    TreatyId, TreatyRules, WithdrawalClause,
};
use treaty_proto::Violations;
use treaty_proto::fields::{self, RequestId};
use treaty_proto::registry as pb;

/// The most chambers a procedure may list.
const MAX_CHAMBERS: usize = 8;
/// The longest notice or entry-into-force period, in months.
const MAX_MONTHS: u32 = 120;

/// A validated `CreateTreaty`.
#[derive(Clone, Debug)]
pub struct CreateTreaty {
    pub request_id: Option<RequestId>,
    pub id: TreatyId,
    pub title: String,
    pub short_title: String,
    pub depositary: String,
    pub in_force_on: Date,
    pub rules: TreatyRules,
    /// Where the withdrawal clause is, e.g. `Article 20`.
    pub article: String,
    pub sources: Vec<String>,
}

/// A validated `SetApprovalProcedure`.
#[derive(Clone, Debug)]
pub struct SetProcedure {
    pub request_id: Option<RequestId>,
    pub state: StateCode,
    pub procedure: ApprovalProcedure,
    pub sources: Vec<String>,
}

fn months(v: &mut Violations, field: &str, n: u32) -> u8 {
    if !(1..=MAX_MONTHS).contains(&n) {
        v.add(
            field,
            format!("give a number of months from 1 to {MAX_MONTHS}, e.g. 6"),
        );
    }
    u8::try_from(n).unwrap_or(0)
}

fn clause(
    v: &mut Violations,
    c: Option<&pb::WithdrawalClause>,
) -> Option<(WithdrawalClause, String)> {
    let Some(c) = c else {
        v.add(
            "treaty.withdrawal_clause",
            "required: the treaty's withdrawal clause",
        );
        return None;
    };
    let notice_months = months(v, "treaty.withdrawal_clause.notice_months", c.notice_months);
    let runs_from: Option<pb::RunsFrom> = fields::required_enum(
        v,
        "treaty.withdrawal_clause.runs_from",
        c.runs_from,
        "RUNS_FROM_DEPOSITARY_RECEIPT or RUNS_FROM_PARLIAMENTARY_APPROVAL",
    );
    let article = fields::text(v, "treaty.withdrawal_clause.article", &c.article);
    let runs_from = match runs_from? {
        pb::RunsFrom::DepositaryReceipt => RunsFrom::DepositaryReceipt,
        pb::RunsFrom::ParliamentaryApproval => RunsFrom::ParliamentaryApproval,
        pb::RunsFrom::Unspecified => return None,
    };
    let clause = WithdrawalClause {
        notice_months,
        runs_from,
        armed_conflict_defers: c.armed_conflict_defers,
    };
    Some((clause, article))
}

/// A `CreateTreaty` request.
pub fn create_treaty(req: &pb::CreateTreatyRequest) -> Result<CreateTreaty, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let Some(t) = req.treaty.as_ref() else {
        v.add("treaty", "required: the treaty to register");
        return Err(v);
    };
    let id = fields::treaty(&mut v, "treaty.treaty_id", &t.treaty_id);
    let title = fields::required_text(&mut v, "treaty.title", &t.title);
    let short_title = fields::text(&mut v, "treaty.short_title", &t.short_title);
    let depositary = fields::text(&mut v, "treaty.depositary", &t.depositary);
    let in_force_on = fields::required_date(&mut v, "treaty.in_force_on", t.in_force_on.as_ref());
    let eif = months(
        &mut v,
        "treaty.entry_into_force_months",
        t.entry_into_force_months,
    );
    let clause = clause(&mut v, t.withdrawal_clause.as_ref());
    let sources = fields::sources(&mut v, "treaty.sources", &t.sources);
    let command = (|| {
        let in_force_on = in_force_on?;
        let (withdrawal, article) = clause?;
        Some(CreateTreaty {
            request_id,
            id: id?,
            title,
            short_title,
            depositary,
            in_force_on,
            rules: TreatyRules {
                entry_into_force: EntryIntoForceRule {
                    treaty_in_force_on: in_force_on,
                    months_after_deposit: eif,
                },
                withdrawal,
            },
            article,
            sources,
        })
    })();
    v.finish(command)
}

fn threshold(v: &mut Violations, field: &str, t: Option<&pb::Threshold>) -> Option<Threshold> {
    let Some(t) = t else {
        v.add(
            format!("{field}.kind"),
            "required: the threshold the chamber's final vote must reach",
        );
        return None;
    };
    let unused = |v: &mut Violations, name: &str, value: u32| {
        if value != 0 {
            v.add(
                format!("{field}.{name}"),
                "not used by this kind of threshold; leave it 0",
            );
        }
    };
    let kind: pb::ThresholdKind = fields::required_enum(
        v,
        &format!("{field}.kind"),
        t.kind,
        "THRESHOLD_KIND_SIMPLE_MAJORITY, THRESHOLD_KIND_AT_LEAST or THRESHOLD_KIND_ABSOLUTE_MAJORITY",
    )?;
    match kind {
        pb::ThresholdKind::SimpleMajority => {
            unused(v, "yes_votes", t.yes_votes);
            unused(v, "of_seats", t.of_seats);
            Some(Threshold::SimpleMajority)
        }
        pb::ThresholdKind::AtLeast => Some(Threshold::AtLeast {
            yes: t.yes_votes,
            of_seats: t.of_seats,
        }),
        pb::ThresholdKind::AbsoluteMajority => {
            unused(v, "yes_votes", t.yes_votes);
            Some(Threshold::AbsoluteMajority {
                of_seats: t.of_seats,
            })
        }
        pb::ThresholdKind::Unspecified => None,
    }
}

/// Reads an approval procedure with the domain's rules, one violation per wrong field.
fn procedure(
    v: &mut Violations,
    field: &str,
    p: Option<&pb::ApprovalProcedure>,
) -> Option<(ApprovalProcedure, Vec<String>)> {
    let Some(p) = p else {
        v.add(
            field,
            "required: the chambers that must approve, and whether the head of state assents",
        );
        return None;
    };
    let before = v.len();
    if p.chambers.len() > MAX_CHAMBERS {
        v.add(
            format!("{field}.chambers"),
            format!("at most {MAX_CHAMBERS} chambers"),
        );
    }
    let mut chambers: Vec<Chamber> = Vec::new();
    for (i, c) in p.chambers.iter().enumerate().take(MAX_CHAMBERS) {
        let at = format!("{field}.chambers[{i}]");
        let name = fields::required_text(v, &format!("{at}.name"), &c.name);
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
        if !name.is_empty() && chambers.iter().any(|c| c.name.to_lowercase() == lower) {
            v.add(
                format!("{at}.name"),
                DomainError::DuplicateChamber { name: name.clone() }.to_string(),
            );
        }
        chambers.push(chamber);
    }
    let sources = fields::sources(v, &format!("{field}.sources"), &p.sources);
    if v.len() > before {
        return None;
    }
    match ApprovalProcedure::new(chambers, p.head_of_state_assent) {
        Ok(procedure) => Some((procedure, sources)),
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

/// A `SetApprovalProcedure` request.
pub fn set_procedure(req: &pb::SetApprovalProcedureRequest) -> Result<SetProcedure, Violations> {
    let mut v = Violations::new();
    let request_id = fields::request_id(&mut v, &req.request_id);
    let state = fields::state(&mut v, "state", &req.state);
    let procedure = procedure(&mut v, "procedure", req.procedure.as_ref());
    let command = (|| {
        let (procedure, sources) = procedure?;
        Some(SetProcedure {
            request_id,
            state: state?,
            procedure,
            sources,
        })
    })();
    v.finish(command)
}
