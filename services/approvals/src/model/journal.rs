//! The payloads of the approvals journal's entries (JSON of these structs).

use serde::{Deserialize, Serialize};

use super::{Day, StoredOpening, StoredStep};

/// A joint statement as stored in the `statements` tree, and as the payload of its
/// journal entry.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredStatement {
    /// The stored format, [`FORMAT`].
    pub format: u8,
    /// The statement id.
    pub id: String,
    /// The treaty.
    pub treaty: String,
    /// The states, in the request's order.
    pub states: Vec<String>,
    /// The date of the statement.
    pub issued_on: Day,
    /// What it says.
    pub text: String,
    /// The cases it opened, in the order of `states`.
    pub cases: Vec<String>,
}

/// The payload of a case's journal entry: the step and what the case looked like after it,
/// enough for the outbox relay to tell the registry and publish the notice without reading
/// the case again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseEvent {
    /// The stored format, [`FORMAT`].
    pub format: u8,
    /// The case id.
    pub case_id: String,
    /// The treaty.
    pub treaty: String,
    /// The state.
    pub state: String,
    /// The status after the step (the domain's stable name).
    pub status: String,
    /// The step; unset for a case opened without a recommendation.
    pub step: Option<StoredStep>,
    /// For the entry that opens the case: who opened it, when and why.
    pub opened: Option<StoredOpening>,
    /// The joint statement that opened the case, if any.
    pub joint_statement: Option<String>,
    /// The date parliament's approval was completed, if known.
    pub approved_on: Option<Day>,
    /// The day the depositary received the instrument, once deposited.
    pub received_on: Option<Day>,
    /// The statement of reasons, once deposited.
    pub reasons: Option<String>,
    /// The expiry of the notice period, once deposited.
    pub expires_on: Option<Day>,
    /// The day the withdrawal takes or took effect, as far as known.
    pub effective_on: Option<Day>,
}
