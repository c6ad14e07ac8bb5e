//! Which histories a recorded step belongs to: the one rule the audit log uses to link each
//! entry into every subject's history, and a reader to ask for one.
//!
//! A step about a state, a treaty and a case belongs to four histories: the state's, the
//! treaty's, the state's under that treaty, and the case's. Each has a key, the text the log
//! links and commits to (`state/LT`, `treaty/apmbc`, `state/LT/treaty/apmbc`, `case/…`).

/// The history of one subject.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HistoryKey {
    /// Everything recorded about a state.
    State(String),
    /// Everything recorded about a treaty.
    Treaty(String),
    /// Everything recorded about a state under one treaty.
    StateTreaty(String, String),
    /// Everything recorded in one withdrawal case.
    Case(String),
}

impl HistoryKey {
    /// The key as the log links and commits to it.
    pub fn key(&self) -> String {
        match self {
            Self::State(s) => format!("state/{s}"),
            Self::Treaty(t) => format!("treaty/{t}"),
            Self::StateTreaty(s, t) => format!("state/{s}/treaty/{t}"),
            Self::Case(c) => format!("case/{c}"),
        }
    }

    /// The history a reader asks for: a state's, or a state's under one treaty.
    pub fn of_state(state: &str, treaty: Option<&str>) -> Self {
        match treaty {
            Some(t) => Self::StateTreaty(state.to_owned(), t.to_owned()),
            None => Self::State(state.to_owned()),
        }
    }
}

/// Every history a step about `state`, `treaty` and `case` belongs to, by key, sorted (the
/// order of its links in the log).
pub fn histories(state: Option<&str>, treaty: Option<&str>, case: Option<&str>) -> Vec<String> {
    let mut keys = Vec::with_capacity(4);
    if let Some(s) = state {
        keys.push(HistoryKey::State(s.to_owned()));
        if let Some(t) = treaty {
            keys.push(HistoryKey::StateTreaty(s.to_owned(), t.to_owned()));
        }
    }
    if let Some(t) = treaty {
        keys.push(HistoryKey::Treaty(t.to_owned()));
    }
    if let Some(c) = case {
        keys.push(HistoryKey::Case(c.to_owned()));
    }
    let mut keys: Vec<String> = keys.iter().map(HistoryKey::key).collect();
    keys.sort();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_step_belongs_to_four_histories_in_key_order() {
        assert_eq!(
            histories(Some("LT"), Some("apmbc"), Some("lt-apmbc-2025")),
            [
                "case/lt-apmbc-2025",
                "state/LT",
                "state/LT/treaty/apmbc",
                "treaty/apmbc"
            ]
        );
        assert_eq!(histories(None, Some("apmbc"), None), ["treaty/apmbc"]);
        assert!(histories(None, None, None).is_empty());
        assert_eq!(HistoryKey::of_state("LT", None).key(), "state/LT");
    }
}
