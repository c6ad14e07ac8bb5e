//! Authentication at the edge, authorization at the top of every handler.
//!
//! [`AuthLayer`] runs before any handler: it reads who a request comes from — the person or
//! system of its bearer token, else the service its connection's verified client certificate
//! names, else nobody — and puts the [`Principal`] in the request's extensions. A token that is
//! presented and does not verify is UNAUTHENTICATED at once, whatever the connection; no other
//! header names a principal.
//!
//! [`Caller::authorize`] is the one seam every handler calls first: the rule table
//! (`treaty_auth::authorize`) for the RPC and what the request is about; UNAUTHENTICATED without
//! credentials, PERMISSION_DENIED naming what is missing, and nothing changes.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tonic::codegen::http;
use tonic::{Code, Status};
use tower::{Layer, Service};
use treaty_auth::token::{SigningKey, Verifier};
use treaty_auth::{Denied, Principal, Rpc, ServiceName, Target};
use treaty_ledger::{Fingerprint, Once, RequestKey};
use treaty_proto::fields::RequestId;
use treaty_proto::status;

use crate::listener::Peer;

/// The principal [`AuthLayer`] found for a request.
#[derive(Clone, Debug)]
struct Authenticated(Principal);

/// Marks a request of a server without a trust boundary (see [`Authenticator::unchecked`]).
#[derive(Clone, Copy, Debug)]
struct Unchecked;

/// Verifies bearer tokens (when issuers are trusted) and names the principal of a request.
#[derive(Clone, Debug, Default)]
pub struct Authenticator {
    verifier: Option<Verifier>,
    unchecked: bool,
}

impl Authenticator {
    /// Trusts the tokens `verifier` accepts; with `None`, a presented token is refused.
    pub fn new(verifier: Option<Verifier>) -> Authenticator {
        Authenticator {
            verifier,
            unchecked: false,
        }
    }

    /// No trust boundary at all: every caller is anonymous and every call allowed. Only the
    /// benchmark's baseline uses it (the same server "without TLS and tokens", same run); a
    /// [`crate::Server`] refuses it on any address but loopback, and no setting enables it.
    pub fn unchecked() -> Authenticator {
        Authenticator {
            verifier: None,
            unchecked: true,
        }
    }

    /// Whether this is [`Authenticator::unchecked`].
    pub fn is_unchecked(&self) -> bool {
        self.unchecked
    }

    fn principal<B>(&self, request: &http::Request<B>) -> Result<Principal, Status> {
        let Some(value) = request.headers().get(http::header::AUTHORIZATION) else {
            let service = request.extensions().get::<Peer>().and_then(|p| p.service);
            return Ok(service.map_or(Principal::Anonymous, Principal::Service));
        };
        let domain = package(request.uri().path());
        let refuse = |reason: &str, message: String| {
            status::error(
                Code::Unauthenticated,
                domain,
                reason,
                message,
                Vec::<(&str, String)>::new(),
            )
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                refuse(
                    "MALFORMED_AUTHORIZATION",
                    "the authorization header must be `Bearer <token>`".to_owned(),
                )
            })?;
        let verifier = self.verifier.as_ref().ok_or_else(|| {
            refuse(
                "NO_TRUSTED_ISSUER",
                "this server trusts no token issuer; configure TREATY_AUTH_ISSUER_KEYS".to_owned(),
            )
        })?;
        verifier
            .verify(token)
            .map(Principal::User)
            .map_err(|e| refuse("INVALID_TOKEN", e.to_string()))
    }
}

/// The layer that authenticates every request (see the module docs).
#[derive(Clone, Debug)]
pub struct AuthLayer {
    authenticator: Arc<Authenticator>,
}

impl AuthLayer {
    /// Authenticates with `authenticator`.
    pub fn new(authenticator: Authenticator) -> AuthLayer {
        AuthLayer {
            authenticator: Arc::new(authenticator),
        }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Authenticate<S>;

    fn layer(&self, inner: S) -> Authenticate<S> {
        Authenticate {
            inner,
            authenticator: self.authenticator.clone(),
        }
    }
}

/// See [`AuthLayer`].
#[derive(Clone, Debug)]
pub struct Authenticate<S> {
    inner: S,
    authenticator: Arc<Authenticator>,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for Authenticate<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        if self.authenticator.unchecked {
            request.extensions_mut().insert(Unchecked);
            return Box::pin(self.inner.call(request));
        }
        match self.authenticator.principal(&request) {
            Ok(principal) => {
                request.extensions_mut().insert(Authenticated(principal));
                Box::pin(self.inner.call(request))
            }
            Err(status) => Box::pin(std::future::ready(Ok(status.into_http()))),
        }
    }
}

/// `treaty.registry.v1` of `/treaty.registry.v1.RegistryService/GetTreaty`.
pub(crate) fn package(path: &str) -> &str {
    let service = path
        .strip_prefix('/')
        .and_then(|p| p.split('/').next())
        .unwrap_or("");
    service
        .rsplit_once('.')
        .map_or(service, |(package, _)| package)
}

/// The authenticated principal of a request, and the service it came to: who the journal
/// records and whose request ids these are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Who the request comes from, as the server authenticated them.
    pub principal: Principal,
    /// The principal as the journal records it (see `Principal::recorded`).
    pub actor: String,
    scope: String,
}

impl Caller {
    /// The caller of `request` to `service`, if the rule table lets it call `rpc` about
    /// `target`: the one check every handler makes before anything else.
    pub fn authorize<T>(
        request: &tonic::Request<T>,
        service: &status::Service,
        rpc: Rpc,
        target: &Target,
    ) -> Result<Caller, Status> {
        let principal = request
            .extensions()
            .get::<Authenticated>()
            .map_or(Principal::Anonymous, |a| a.0.clone());
        if request.extensions().get::<Unchecked>().is_some() {
            return Ok(Caller::new(principal, via(service)));
        }
        treaty_auth::authorize(&principal, rpc, target).map_err(|denied| match &denied {
            Denied::Unauthenticated { .. } => service.error(
                Code::Unauthenticated,
                "CREDENTIALS_REQUIRED",
                denied.to_string(),
                [("rpc", rpc.name().to_owned())],
            ),
            Denied::PermissionDenied { needed, .. } => service.error(
                Code::PermissionDenied,
                "PERMISSION_DENIED",
                denied.to_string(),
                [("rpc", rpc.name().to_owned()), ("needed", needed.clone())],
            ),
        })?;
        Ok(Caller::new(principal, via(service)))
    }

    /// [`Caller::authorize`] for an RPC whose target is in the request: a caller without
    /// credentials is UNAUTHENTICATED before the request is read; then `read` reads it (its
    /// violations answer INVALID_ARGUMENT) and the rule is applied to what `target` says it
    /// is about. Returns the caller and the request read.
    pub fn authorize_read<T, C>(
        request: &tonic::Request<T>,
        service: &status::Service,
        rpc: Rpc,
        read: impl FnOnce(&T) -> Result<C, Status>,
        target: impl FnOnce(&C) -> Target,
    ) -> Result<(Caller, C), Status> {
        let anonymous = request
            .extensions()
            .get::<Authenticated>()
            .is_none_or(|a| a.0 == Principal::Anonymous);
        if anonymous && request.extensions().get::<Unchecked>().is_none() {
            // Anonymous callers are refused whatever the target: see `treaty_auth::authorize`.
            Caller::authorize(request, service, rpc, &Target::none())?;
        }
        let command = read(request.get_ref())?;
        let caller = Caller::authorize(request, service, rpc, &target(&command))?;
        Ok((caller, command))
    }

    fn new(principal: Principal, via: ServiceName) -> Caller {
        Caller {
            actor: principal.recorded(via),
            scope: principal.scope(),
            principal,
        }
    }

    /// A service recording a step on its own, by one of its tasks (the approvals scheduler).
    pub fn task(service: ServiceName, task: &str) -> Caller {
        Caller {
            actor: Principal::recorded_task(service, task),
            scope: format!("task\u{0}{service}\u{0}{task}"),
            principal: Principal::Service(service),
        }
    }

    /// The scope of this caller's request ids: one principal can never claim or read
    /// another's key.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The request `request` of `operation` made at most once under `request_id` (none without
    /// one): its key scoped to this caller, and the fingerprint of the whole request.
    pub fn once<M: prost::Message>(
        &self,
        operation: &str,
        request_id: Option<&RequestId>,
        request: &M,
    ) -> Option<Once> {
        request_id.map(|id| Once {
            key: RequestKey::new(self.scope(), operation, id.as_str()),
            fingerprint: Fingerprint::of(&request.encode_to_vec()),
        })
    }
}

fn via(service: &status::Service) -> ServiceName {
    service
        .name
        .parse()
        .unwrap_or_else(|e| panic!("a service's name is one of the suite's: {e}"))
}

/// The development issuer key under `dir`, created on first use (loopback only: the caller
/// decides), with its public key beside it for verifiers.
pub fn dev_issuer(dir: &Path) -> std::io::Result<SigningKey> {
    let private = dir.join("issuer.key");
    if let Ok(pem) = std::fs::read_to_string(&private) {
        return SigningKey::from_pem(&pem).map_err(std::io::Error::other);
    }
    std::fs::create_dir_all(dir)?;
    let key = SigningKey::generate();
    write_secret(&private, key.to_pem().as_bytes())?;
    std::fs::write(dir.join("issuer.pub"), key.public_pem())?;
    Ok(key)
}

fn write_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
