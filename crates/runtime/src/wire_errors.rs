//! The statuses tonic itself answers before a handler runs, made precise: a request whose
//! protobuf cannot be decoded is INVALID_ARGUMENT (tonic says INTERNAL), and one over the
//! message size limit is RESOURCE_EXHAUSTED (tonic says OUT_OF_RANGE), each with an
//! `ErrorInfo` whose domain is the called service's package.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tonic::codegen::http;
use tonic::{Code, Status};
use tower::{Layer, Service};
use treaty_proto::status;

/// The layer that rewrites tonic's own decode and size errors.
#[derive(Clone, Copy, Debug, Default)]
pub struct WireErrorsLayer;

impl<S> Layer<S> for WireErrorsLayer {
    type Service = WireErrors<S>;

    fn layer(&self, inner: S) -> WireErrors<S> {
        WireErrors { inner }
    }
}

/// See [`WireErrorsLayer`].
#[derive(Clone, Debug)]
pub struct WireErrors<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<http::Request<ReqBody>> for WireErrors<S>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let domain = package(request.uri().path()).to_owned();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let mut response = answer.await?;
            rewrite(&domain, response.headers_mut());
            Ok(response)
        })
    }
}

/// `treaty.registry.v1` of `/treaty.registry.v1.RegistryService/GetTreaty`.
fn package(path: &str) -> &str {
    let service = path
        .strip_prefix('/')
        .and_then(|p| p.split('/').next())
        .unwrap_or("");
    service
        .rsplit_once('.')
        .map_or(service, |(package, _)| package)
}

fn rewrite(domain: &str, headers: &mut http::HeaderMap) {
    let Some(found) = Status::from_header_map(headers) else {
        return;
    };
    let replacement = match (found.code(), found.message()) {
        (Code::Internal, m) if m.starts_with("failed to decode Protobuf message") => status::error(
            Code::InvalidArgument,
            domain,
            "UNDECODABLE_REQUEST",
            "the request is not a valid protobuf message of this method's request type; check the method and the message",
            [("detail", m.to_owned())],
        ),
        (Code::OutOfRange, m) if m.starts_with("Error, decoded message length too large") => {
            status::error(
                Code::ResourceExhausted,
                domain,
                "MESSAGE_TOO_LARGE",
                format!(
                    "the request is larger than this server accepts ({m}); send less per request"
                ),
                Vec::<(&str, String)>::new(),
            )
        }
        _ => return,
    };
    for name in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        headers.remove(name);
    }
    if let Err(e) = replacement.add_header(headers) {
        tracing::error!(error = %e, "cannot rewrite a decode error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_is_the_called_services_package() {
        assert_eq!(
            package("/treaty.registry.v1.RegistryService/GetTreaty"),
            "treaty.registry.v1"
        );
        assert_eq!(package("/grpc.health.v1.Health/Check"), "grpc.health.v1");
        assert_eq!(package("/odd"), "odd");
    }

    #[test]
    fn a_decode_error_becomes_invalid_argument_and_a_size_error_resource_exhausted() {
        let mut headers = http::HeaderMap::new();
        Status::internal("failed to decode Protobuf message: buffer underflow")
            .add_header(&mut headers)
            .unwrap();
        rewrite("treaty.registry.v1", &mut headers);
        let got = Status::from_header_map(&headers).unwrap();
        assert_eq!(got.code(), Code::InvalidArgument);
        assert_eq!(status::reason(&got).as_deref(), Some("UNDECODABLE_REQUEST"));

        let mut headers = http::HeaderMap::new();
        Status::out_of_range("Error, decoded message length too large: found 5000000 bytes, the limit is: 4194304 bytes")
            .add_header(&mut headers)
            .unwrap();
        rewrite("treaty.registry.v1", &mut headers);
        assert_eq!(
            Status::from_header_map(&headers).unwrap().code(),
            Code::ResourceExhausted
        );

        let mut headers = http::HeaderMap::new();
        Status::internal("a handler's own error")
            .add_header(&mut headers)
            .unwrap();
        rewrite("treaty.registry.v1", &mut headers);
        assert_eq!(
            Status::from_header_map(&headers).unwrap().code(),
            Code::Internal
        );
    }
}
