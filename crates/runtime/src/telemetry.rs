//! Logging to stderr and one `tracing` span per gRPC request.
//!
//! Stdout is reserved for the single `listening on IP:PORT` line and for CLI output, so every log
//! line goes to stderr, as plain text for a terminal or JSON for Kubernetes.

use std::io::IsTerminal as _;
use std::sync::OnceLock;

use tonic::codegen::http;
use tracing_subscriber::EnvFilter;

use crate::{Error, LogFormat};

/// Parses a `TREATY_LOG` filter, returning the parser's message when it is malformed.
pub(crate) fn parse_filter(filter: &str) -> Result<EnvFilter, String> {
    EnvFilter::builder()
        .with_regex(false)
        .parse(filter)
        .map_err(|e| e.to_string())
}

/// Installs the global subscriber: `filter` selects events, `format` shapes lines on stderr.
///
/// The first call in a process installs; later calls only check their filter and return `Ok`,
/// so tests and a binary that both call it do not panic. An invalid filter is an error on every
/// call. If some other subscriber was installed first, this one is not installed and a debug
/// event says so.
pub fn init_tracing(filter: &str, format: LogFormat) -> Result<(), Error> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    let env_filter = parse_filter(filter).map_err(|reason| Error::InvalidLogFilter {
        filter: filter.to_owned(),
        reason,
    })?;
    INSTALLED.get_or_init(|| {
        let builder = tracing_subscriber::fmt()
            .with_env_filter(env_filter)
            .with_writer(std::io::stderr);
        let installed = match format {
            LogFormat::Plain => builder
                .with_ansi(std::io::stderr().is_terminal())
                .try_init(),
            LogFormat::Json => builder
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .try_init(),
        };
        if let Err(err) = installed {
            tracing::debug!(%err, "a tracing subscriber was already installed; keeping it");
        }
    });
    Ok(())
}

/// Returns the span for one inbound gRPC request, named `grpc` with the method path and its parts.
///
/// The server adds this through `tonic::transport::Server::trace_fn`, so every event a handler
/// logs carries `path` (such as `/treaty.audit.v1.AuditService/Append`), `service` and `method`.
pub fn request_span(request: &http::Request<()>) -> tracing::Span {
    let path = request.uri().path();
    let (service, method) = split_path(path);
    tracing::info_span!("grpc", path, service, method)
}

/// Splits `/package.Service/Method` into the service and method names; odd paths keep the whole path.
fn split_path(path: &str) -> (&str, &str) {
    path.strip_prefix('/')
        .and_then(|p| p.split_once('/'))
        .unwrap_or((path, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_filter_is_refused_and_a_good_one_installs_twice() {
        let err = init_tracing("treaty=loud", LogFormat::Plain).unwrap_err();
        assert!(err.to_string().contains("treaty=loud"), "{err}");
        init_tracing("warn", LogFormat::Json).unwrap();
        init_tracing("warn", LogFormat::Plain).unwrap();
    }

    #[test]
    fn a_request_path_splits_into_service_and_method() {
        assert_eq!(
            split_path("/grpc.health.v1.Health/Check"),
            ("grpc.health.v1.Health", "Check")
        );
        assert_eq!(split_path("/odd"), ("/odd", ""));
    }
}
