//! The domain's rules, in one test binary: the calendar, clauses, identifiers, procedures and
//! membership, recording and standing, notices, and the withdrawal state machine.

mod calendar;
mod clause;
mod facts;
mod ids;
mod notice;
mod procedure_and_membership;
mod recording;
mod standing;
mod withdrawal;
