//! The `grpc.health.v1` status of one server: NOT_SERVING until ready, SERVING, then NOT_SERVING
//! for good once shutdown starts.

use std::sync::Arc;

use tokio::sync::Mutex;
use tonic_health::ServingStatus;
use tonic_health::pb::health_server::HealthServer;
use tonic_health::server::{HealthReporter, HealthService};

/// A handle on the health statuses a server reports, for the overall `""` service and each named one.
///
/// Clones share the statuses. Once shutdown has started, [`Health::set_serving`] does nothing, so a
/// late readiness signal cannot make a draining server look ready again.
#[derive(Debug, Clone)]
pub struct Health {
    reporter: HealthReporter,
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    /// The named services, besides the overall `""`, whose status follows the server's.
    names: Vec<String>,
    /// Whether the server is shutting down.
    stopping: bool,
    /// The status last set, applied to services registered later.
    status: ServingStatus,
}

impl Health {
    /// Creates a handle whose every status is NOT_SERVING, and the gRPC service that reports them.
    pub(crate) async fn new() -> (Health, HealthServer<HealthService>) {
        let reporter = HealthReporter::new();
        let service = HealthServer::new(HealthService::from_health_reporter(reporter.clone()));
        let health = Health {
            reporter,
            state: Arc::new(Mutex::new(State {
                names: Vec::new(),
                stopping: false,
                status: ServingStatus::NotServing,
            })),
        };
        // The reporter starts the overall service as SERVING; nothing is ready yet.
        health.apply(&*health.state.lock().await).await;
        (health, service)
    }

    /// Adds named services (such as `treaty.audit.v1.AuditService`) that follow the server's status.
    pub async fn register<I, S>(&self, names: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut state = self.state.lock().await;
        for name in names {
            let name = name.into();
            if !name.is_empty() && !state.names.contains(&name) {
                state.names.push(name);
            }
        }
        self.apply(&state).await;
    }

    /// Reports SERVING for every service, unless shutdown has started.
    pub async fn set_serving(&self) {
        let mut state = self.state.lock().await;
        if !state.stopping {
            state.status = ServingStatus::Serving;
            self.apply(&state).await;
        }
    }

    /// Reports NOT_SERVING for every service, for example while a background task is down.
    pub async fn set_not_serving(&self) {
        let mut state = self.state.lock().await;
        state.status = ServingStatus::NotServing;
        self.apply(&state).await;
    }

    /// Reports NOT_SERVING for every service from now on.
    pub async fn begin_shutdown(&self) {
        let mut state = self.state.lock().await;
        state.stopping = true;
        state.status = ServingStatus::NotServing;
        self.apply(&state).await;
    }

    /// Tells whether the handle currently reports SERVING.
    pub async fn is_serving(&self) -> bool {
        self.state.lock().await.status == ServingStatus::Serving
    }

    /// Sends the state's status to the reporter for `""` and every named service.
    async fn apply(&self, state: &State) {
        self.reporter.set_service_status("", state.status).await;
        for name in &state.names {
            self.reporter.set_service_status(name, state.status).await;
        }
    }
}
