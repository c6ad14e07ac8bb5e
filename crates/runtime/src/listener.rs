//! The accept loop: TLS on every connection, and plaintext beside it only where the listen
//! address is loopback. One port serves both: a connection that opens with a TLS handshake
//! record (`0x16`) is TLS, anything else is plaintext HTTP/2 — refused unless plaintext is
//! allowed. Every connection carries its [`Peer`] into each request's extensions: whether it is
//! TLS, and which service its verified client certificate names.
//!
//! Connections are bounded in time: one that shows nothing within the handshake timeout is
//! dropped, and one with no open stream for the idle timeout is closed ([`ActivityLayer`]
//! counts each connection's open streams; its reads end once it has been idle that long).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tonic::codegen::http;
use tonic::transport::server::Connected;
use treaty_auth::ServiceName;

use crate::tls::{ServerTls, service_of};

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// How long connections may take and stay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// To show whether it speaks TLS and finish its handshake.
    pub(crate) handshake: Duration,
    /// Without an open stream, before it is closed.
    pub(crate) idle: Duration,
}

/// How many streams a connection has open, and since when it has had none.
#[derive(Debug)]
pub(crate) struct Activity {
    open: AtomicUsize,
    since: Mutex<Instant>,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            open: AtomicUsize::new(0),
            since: Mutex::new(Instant::now()),
        })
    }

    fn touch(&self) {
        *self.since.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
    }

    /// When the connection went idle, if it has no open stream.
    fn idle_since(&self) -> Option<Instant> {
        (self.open.load(Ordering::Acquire) == 0)
            .then(|| *self.since.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// One open stream of a connection, for as long as its response is being sent.
#[derive(Debug)]
struct OpenStream(Arc<Activity>);

impl OpenStream {
    fn open(activity: Arc<Activity>) -> OpenStream {
        activity.open.fetch_add(1, Ordering::AcqRel);
        activity.touch();
        OpenStream(activity)
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.touch();
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a request knows about the connection it came on.
#[derive(Clone, Debug)]
pub struct Peer {
    pub remote: Option<SocketAddr>,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The service its client certificate names, verified against the trusted client CA.
    pub service: Option<ServiceName>,
    /// Whether it presented a client certificate (one naming no service authenticates nothing).
    pub certificate: bool,
    /// Its open streams ([`ActivityLayer`]).
    activity: Arc<Activity>,
}

/// The bytes of an accepted connection, TLS or plaintext.
enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// An accepted connection: its bytes, its peer, and the timer that closes it once idle.
pub(crate) struct Conn {
    io: Io,
    peer: Peer,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
}

impl Conn {
    fn new(io: Io, peer: Peer, idle: Duration) -> Conn {
        Conn {
            io,
            peer,
            idle,
            timer: Box::pin(tokio::time::sleep(idle)),
        }
    }

    /// Whether the connection has been idle for the timeout; else sets the timer for when it
    /// could be.
    fn idle_out(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            let now = Instant::now();
            let next = match self.peer.activity.idle_since() {
                Some(since) if since + self.idle <= now => return true,
                Some(since) => since + self.idle,
                None => now + self.idle,
            };
            self.timer.as_mut().reset(next);
        }
    }
}

impl Connected for Conn {
    type ConnectInfo = Peer;

    fn connect_info(&self) -> Peer {
        self.peer.clone()
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let read = match &mut this.io {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        };
        match read {
            Poll::Pending if this.idle_out(cx) => {
                tracing::debug!(remote = ?this.peer.remote, idle = ?this.idle, "closing an idle connection");
                // The end of the stream: the server closes the connection.
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().io {
            Io::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.io {
            Io::Plain(s) => s.is_write_vectored(),
            Io::Tls(s) => s.is_write_vectored(),
        }
    }
}

/// Counts each connection's open streams: a request opens one, and it stays open until its
/// response (a server stream's too) is done or dropped.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ActivityLayer;

impl<S> tower::Layer<S> for ActivityLayer {
    type Service = CountStreams<S>;

    fn layer(&self, inner: S) -> CountStreams<S> {
        CountStreams { inner }
    }
}

/// See [`ActivityLayer`].
#[derive(Clone, Debug)]
pub(crate) struct CountStreams<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for CountStreams<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = http::Response<Counted<ResBody>>;
    type Error = S::Error;
    type Future =
        Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        let open = request
            .extensions()
            .get::<Peer>()
            .map(|p| OpenStream::open(p.activity.clone()));
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|body| Counted { body, _open: open }))
        })
    }
}

/// A response body that keeps its stream counted as open until it is done or dropped.
#[derive(Debug)]
pub(crate) struct Counted<B> {
    body: B,
    _open: Option<OpenStream>,
}

impl<B: http_body::Body + Unpin> http_body::Body for Counted<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The connections a listener accepts, ready to serve.
pub(crate) struct Incoming {
    accepted: mpsc::Receiver<io::Result<Conn>>,
}

impl tokio_stream::Stream for Incoming {
    type Item = io::Result<Conn>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.accepted.poll_recv(cx)
    }
}

/// Accepts connections on `listener`: TLS with `tls`, plaintext when `plaintext` (loopback
/// only; the caller decides). Stops, closing the listener, once the [`Incoming`] is dropped.
pub(crate) fn incoming(
    listener: TcpListener,
    tls: Option<ServerTls>,
    plaintext: bool,
    timeouts: Timeouts,
) -> Incoming {
    let (tx, accepted) = mpsc::channel(256);
    let acceptor = tls.map(|t| TlsAcceptor::from(t.config));
    tokio::spawn(async move {
        loop {
            let (stream, remote) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment, go on.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = tx.closed() => return,
            };
            let (tx, acceptor) = (tx.clone(), acceptor.clone());
            tokio::spawn(async move {
                let conn = tokio::time::timeout(
                    timeouts.handshake,
                    open(stream, remote, acceptor, plaintext, timeouts.idle),
                )
                .await;
                match conn {
                    Ok(Ok(conn)) => {
                        let _ = tx.send(Ok(conn)).await;
                    }
                    Ok(Err(e)) => tracing::debug!(%remote, error = %e, "connection refused"),
                    Err(_) => tracing::debug!(%remote, "connection timed out before its handshake"),
                }
            });
        }
    });
    Incoming { accepted }
}

async fn open(
    stream: TcpStream,
    remote: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    plaintext: bool,
    idle: Duration,
) -> io::Result<Conn> {
    // Small gRPC frames must not wait for Nagle's algorithm and the peer's delayed ACK.
    stream.set_nodelay(true)?;
    let mut first = [0u8; 1];
    let n = stream.peek(&mut first).await?;
    let wants_tls = n == 1 && first[0] == TLS_HANDSHAKE;
    match (wants_tls, acceptor) {
        (true, Some(acceptor)) => {
            let tls = acceptor.accept(stream).await?;
            let chain = tls.get_ref().1.peer_certificates();
            let leaf = chain.and_then(|c| c.first());
            let peer = Peer {
                remote: Some(remote),
                tls: true,
                service: leaf.and_then(|c| service_of(c.as_ref())),
                certificate: leaf.is_some(),
                activity: Activity::new(),
            };
            Ok(Conn::new(Io::Tls(Box::new(tls)), peer, idle))
        }
        (false, _) if plaintext => Ok(Conn::new(
            Io::Plain(stream),
            Peer {
                remote: Some(remote),
                tls: false,
                service: None,
                certificate: false,
                activity: Activity::new(),
            },
            idle,
        )),
        (true, None) => Err(io::Error::other(
            "a TLS handshake on a listener without a certificate",
        )),
        (false, _) => Err(io::Error::other(
            "plaintext on a listener that accepts TLS only",
        )),
    }
}
