//! Why a run stops. Every figure is measured on answers checked to be right,
//! so a refused or wrong answer ends the run instead of skewing a figure.

/// Why a benchmark run stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// An in-process suite did not start or stop cleanly.
    #[error(transparent)]
    Node(#[from] treaty_node::NodeError),
    /// Loading the Ottawa parties into a suite failed.
    #[error(transparent)]
    Load(#[from] treaty_bundle::LoadError),
    /// A suite refused a call the benchmark makes.
    #[error("a benchmark call was refused: {0}")]
    Refused(#[from] tonic::Status),
    /// The audit child process could not be reached.
    #[error(transparent)]
    Client(#[from] treaty_runtime::Error),
    /// The benchmark's own audit log could not be written or read.
    #[error("the benchmark's audit log: {0}")]
    Audit(#[from] treaty_audit::AuditError),
    /// The benchmark's own audit log does not verify.
    #[error("the benchmark's audit log: {0}")]
    Ledger(#[from] treaty_ledger::LedgerError),
    /// The raw sled baseline failed.
    #[error("the raw sled baseline: {0}")]
    Sled(#[from] sled::Error),
    /// A temporary directory, or the audit child process, failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A measured operation answered wrongly or not in time.
    #[error("{0}")]
    Wrong(String),
}

impl From<String> for BenchError {
    fn from(what: String) -> Self {
        BenchError::Wrong(what)
    }
}

impl From<&str> for BenchError {
    fn from(what: &str) -> Self {
        BenchError::Wrong(what.to_owned())
    }
}
