//! Channels to peers, with connect and request deadlines, and polling a peer's health.

use std::time::Duration;

use tokio::time::Instant;
use tonic::codegen::http;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::tls::ClientTls;
use crate::{Config, Error};

/// Deadlines for calls to a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConfig {
    /// How long establishing a connection may take.
    pub connect_timeout: Duration,
    /// The deadline of each unary call, or of the response headers of a streaming call.
    pub request_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// Takes both deadlines from `TREATY_REQUEST_TIMEOUT_MS`: a connection is part of a call's budget.
impl From<&Config> for ClientConfig {
    fn from(config: &Config) -> Self {
        ClientConfig {
            connect_timeout: config.request_timeout,
            request_timeout: config.request_timeout,
        }
    }
}

impl ClientConfig {
    /// Wraps `message` in a request whose `grpc-timeout` header tells the server the deadline too.
    ///
    /// The channel from [`connect`] enforces the deadline on the client either way; the header
    /// lets the server stop work nobody waits for.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.request_timeout);
        request
    }
}

/// The bearer token a client sends with each request (`authorization: Bearer …`), or none.
#[derive(Clone, Default)]
pub struct Bearer(Option<std::sync::Arc<str>>);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Bearer(<redacted>)"
        } else {
            "Bearer(none)"
        })
    }
}

impl Bearer {
    /// Sends `token`.
    pub fn new(token: impl Into<String>) -> Bearer {
        Bearer(Some(token.into().into()))
    }

    /// Sends no token: the caller is anonymous (or a service, by its certificate).
    pub fn none() -> Bearer {
        Bearer(None)
    }

    /// Adds the token to `request`.
    pub fn attach<T>(&self, request: &mut tonic::Request<T>) {
        if let Some(token) = &self.0 {
            let value = format!("Bearer {token}")
                .parse()
                .expect("a JWT is ASCII without control characters");
            request
                .metadata_mut()
                .insert(http::header::AUTHORIZATION.as_str(), value);
        }
    }

    /// `message` as a request carrying the token.
    pub fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        self.attach(&mut request);
        request
    }
}

/// Returns a plaintext channel to `url` (such as `http://127.0.0.1:50051`) that connects on
/// first use; [`connect_with`] for TLS.
pub async fn connect(url: &str, config: &ClientConfig) -> Result<Channel, Error> {
    connect_with(url, config, None).await
}

/// Returns a channel to `url` that connects on first use: TLS trusting `tls`'s CA (and
/// presenting its identity, if it has one) for `https://`, plaintext for `http://`.
///
/// Nothing is dialled here, so a peer that is down does not stop this process from starting;
/// calls to it fail with UNAVAILABLE until it is up, which [`crate::with_retry`] retries. A call
/// that passes the request deadline fails with CANCELLED, which [`crate::is_timeout`] recognises.
pub async fn connect_with(
    url: &str,
    config: &ClientConfig,
    tls: Option<&ClientTls>,
) -> Result<Channel, Error> {
    let invalid = |reason: String| Error::InvalidPeerUrl {
        url: url.to_owned(),
        reason,
    };
    crate::config::parse_peer_url(url).map_err(invalid)?;
    let mut endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|e| invalid(e.to_string()))?
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .tcp_nodelay(true);
    if url.starts_with("https://") {
        let tls = tls.ok_or_else(|| {
            invalid(
                "an https:// peer needs the CA its certificate chains to (TREATY_TLS_CA, or --ca)"
                    .to_owned(),
            )
        })?;
        endpoint = endpoint
            .tls_config(tls.tonic())
            .map_err(|e| invalid(e.to_string()))?;
    }
    Ok(endpoint.connect_lazy())
}

/// Polls `grpc.health.v1.Health/Check` for the overall service until it answers SERVING.
///
/// Tests use it instead of sleeping. Fails with the last answer seen once `timeout` has passed.
pub async fn wait_until_serving(channel: &Channel, timeout: Duration) -> Result<(), Error> {
    wait_until_service_serving(channel, "", timeout).await
}

/// Polls the health of the named `service` (`""` for the whole server) until it answers SERVING.
///
/// Polls start 10 ms apart and back off to 200 ms; each check gets at most one second or what is
/// left of `timeout`.
pub async fn wait_until_service_serving(
    channel: &Channel,
    service: &str,
    timeout: Duration,
) -> Result<(), Error> {
    let start = Instant::now();
    let deadline = start + timeout;
    let mut client = HealthClient::new(channel.clone());
    let mut pause = Duration::from_millis(10);
    let mut last = None;
    loop {
        let budget = deadline
            .saturating_duration_since(Instant::now())
            .min(Duration::from_secs(1));
        let mut request = tonic::Request::new(HealthCheckRequest {
            service: service.to_owned(),
        });
        request.set_timeout(budget);
        match tokio::time::timeout(budget, client.check(request)).await {
            Ok(Ok(response)) => match response.get_ref().status() {
                ServingStatus::Serving => return Ok(()),
                other => last = Some(other.as_str_name().to_owned()),
            },
            Ok(Err(status)) => last = Some(format!("{:?}: {}", status.code(), status.message())),
            // Keep the last real answer: it says more than a check cut short by the deadline.
            Err(_) => {
                last.get_or_insert_with(|| "no answer within the time left".to_owned());
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::NotServing {
                service: service.to_owned(),
                waited: start.elapsed(),
                last: last.unwrap_or_default(),
            });
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_url_without_an_http_scheme_or_an_https_url_without_a_ca_is_refused() {
        for url in [
            "registry:50051",
            "ftp://registry:50051",
            "https://registry:50051",
            "http://",
            "",
        ] {
            let err = connect(url, &ClientConfig::default()).await.unwrap_err();
            assert!(matches!(err, Error::InvalidPeerUrl { .. }), "{url}: {err}");
        }
    }

    #[tokio::test]
    async fn waiting_for_a_peer_that_is_down_gives_up_with_the_last_answer() {
        // Bind then drop, so the port is very likely closed.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let channel = connect(&format!("http://{addr}"), &ClientConfig::default())
            .await
            .unwrap();
        let err = wait_until_serving(&channel, Duration::from_millis(300))
            .await
            .unwrap_err();
        match err {
            Error::NotServing { waited, last, .. } => {
                assert!(waited >= Duration::from_millis(300), "{waited:?}");
                assert!(last.contains("Unavailable"), "{last}");
            }
            other => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn a_request_carries_the_deadline() {
        let config = ClientConfig {
            request_timeout: Duration::from_millis(1234),
            ..ClientConfig::default()
        };
        let request = config.request(());
        assert!(request.metadata().get("grpc-timeout").is_some());
        let from_config = ClientConfig::from(&Config::default());
        assert_eq!(from_config.request_timeout, Duration::from_millis(5000));
    }
}
