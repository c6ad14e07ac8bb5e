//! What can go wrong starting or running a node.

/// What went wrong starting or running a node.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The server could not be set up or failed, or a node started in-process
    /// did not report SERVING in time.
    #[error(transparent)]
    Runtime(#[from] treaty_runtime::Error),
    /// A service's storage could not be opened.
    #[error("cannot open the {service} store in {dir}: {reason}")]
    Storage {
        service: &'static str,
        /// Its data directory.
        dir: String,
        reason: String,
    },
    /// A service this process runs needs a peer that is neither local nor configured.
    #[error(
        "{service} needs the {peer} service: run it in this process or set {variable} (e.g. http://{peer}:50051)"
    )]
    MissingPeer {
        /// The service that needs it.
        service: &'static str,
        peer: &'static str,
        /// The variable to set.
        variable: &'static str,
    },
    /// The node's certificates, identities or token issuers cannot be used.
    #[error("{0}")]
    Trust(String),
    /// An in-process node could not get a temporary data directory.
    #[error("cannot create a temporary data directory: {0}")]
    TemporaryDir(#[source] std::io::Error),
    /// An in-process node's task panicked, or stopped before it was asked to.
    #[error("the in-process node ended unexpectedly: {0}")]
    Ended(String),
}
