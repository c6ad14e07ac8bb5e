//! The accept loop: TLS on every connection, and plaintext beside it only where the listen
//! address is loopback. One port serves both: a connection that opens with a TLS handshake
//! record (`0x16`) is TLS, anything else is plaintext HTTP/2 — refused unless plaintext is
//! allowed. Every connection carries its [`Peer`] into each request's extensions: whether it is
//! TLS, and which service its verified client certificate names.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tonic::transport::server::Connected;
use treaty_auth::ServiceName;

use crate::tls::{ServerTls, service_of};

/// How long a new connection has to show whether it speaks TLS and to finish its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// What a request knows about the connection it came on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    pub remote: Option<SocketAddr>,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The service its client certificate names, verified against the trusted client CA.
    pub service: Option<ServiceName>,
    /// Whether it presented a client certificate (one naming no service authenticates nothing).
    pub certificate: bool,
}

/// An accepted connection, TLS or plaintext.
pub(crate) enum Conn {
    Plain(TcpStream, Peer),
    Tls(Box<TlsStream<TcpStream>>, Peer),
}

impl Connected for Conn {
    type ConnectInfo = Peer;

    fn connect_info(&self) -> Peer {
        match self {
            Conn::Plain(_, peer) | Conn::Tls(_, peer) => peer.clone(),
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s, _) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s, _) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s, _) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s, _) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s, _) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s, _) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s, _) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s, _) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s, _) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s, _) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s, _) => s.is_write_vectored(),
            Conn::Tls(s, _) => s.is_write_vectored(),
        }
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
pub(crate) fn incoming(listener: TcpListener, tls: Option<ServerTls>, plaintext: bool) -> Incoming {
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
                let conn =
                    tokio::time::timeout(HANDSHAKE, open(stream, remote, acceptor, plaintext))
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
            };
            Ok(Conn::Tls(Box::new(tls), peer))
        }
        (false, _) if plaintext => Ok(Conn::Plain(
            stream,
            Peer {
                remote: Some(remote),
                tls: false,
                service: None,
                certificate: false,
            },
        )),
        (true, None) => Err(io::Error::other(
            "a TLS handshake on a listener without a certificate",
        )),
        (false, _) => Err(io::Error::other(
            "plaintext on a listener that accepts TLS only",
        )),
    }
}
