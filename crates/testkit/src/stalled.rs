//! [`StalledStream`]: a server stream whose client stops reading, for tests of what the server
//! holds for such a client and how it cuts it off.
//!
//! A tonic client cannot stall this way: its connection task keeps reading the socket, and its
//! HTTP/2 window lets the server send megabytes before the transport pushes back. This is a raw
//! HTTP/2 client instead, one connection per stream, that sends one gRPC request, reads the
//! response headers and then reads nothing until [`StalledStream::resume`].

use std::net::SocketAddr;

use bytes::{Buf, Bytes, BytesMut};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::Status;
use tonic::codegen::http;

use crate::patience;

/// The largest HTTP/2 flow-control window.
const MAX_WINDOW: u32 = (1 << 31) - 1;

/// How a [`StalledStream`]'s client stops reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// It grants the largest window, then reads nothing from its socket (nor answers pings):
    /// the server sends until the kernel's buffers are full and then holds the rest itself.
    /// The worst case for the server.
    Socket,
    /// It keeps reading its socket (and answering pings) but grants the stream no window at
    /// all: the server can send nothing, and what it holds is exactly what it did not send.
    Window,
}

/// A server stream whose client read its response headers and nothing since.
///
/// Dropping it closes its connection, as a client that goes away would.
#[derive(Debug)]
pub struct StalledStream {
    body: h2::RecvStream,
    resume: Option<oneshot::Sender<()>>,
    driver: JoinHandle<()>,
}

impl StalledStream {
    /// Calls the server-streaming method `path` (such as `/treaty.audit.v1.AuditService/Tail`)
    /// of the server at `addr` with `request` (its message and metadata), on a connection of
    /// its own, and returns once the response headers have arrived: the handler has started
    /// its stream.
    ///
    /// # Panics
    ///
    /// When the server cannot be reached or answers anything but 200.
    pub async fn open(
        addr: SocketAddr,
        path: &str,
        request: tonic::Request<impl prost::Message>,
        stall: Stall,
    ) -> StalledStream {
        let tcp = TcpStream::connect(addr)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
        let window = match stall {
            Stall::Socket => MAX_WINDOW,
            Stall::Window => 0,
        };
        let (mut send, conn) = h2::client::Builder::new()
            .initial_window_size(window)
            .initial_connection_window_size(MAX_WINDOW)
            .handshake::<_, Bytes>(tcp)
            .await
            .expect("an HTTP/2 handshake");
        let (metadata, _, message) = request.into_parts();
        let mut head = http::Request::post(format!("http://{addr}{path}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())
            .expect("a request head");
        head.headers_mut().extend(metadata.into_headers());
        let (response, mut body) = send.send_request(head, false).expect("a request");
        body.send_data(frame(&message), true)
            .expect("the request message");
        let (headers_tx, headers) = oneshot::channel();
        let (resume, resumed) = oneshot::channel();
        let driver = tokio::spawn(async move {
            let mut conn = conn;
            let answered = tokio::select! {
                answered = response => answered,
                ended = &mut conn => panic!("the connection ended before the response: {ended:?}"),
            };
            let _ = headers_tx.send(answered);
            match stall {
                // The connection is not polled: nothing more is read from the socket.
                Stall::Socket => {
                    let _ = resumed.await;
                }
                Stall::Window => {
                    tokio::select! {
                        _ = &mut conn => return,
                        _ = resumed => {}
                    }
                    conn.set_initial_window_size(MAX_WINDOW)
                        .expect("a larger window");
                }
            }
            let _ = conn.await;
            drop((send, body));
        });
        let response = headers
            .await
            .expect("the response headers")
            .expect("a response");
        assert_eq!(response.status(), http::StatusCode::OK, "{response:?}");
        StalledStream {
            body: response.into_body(),
            resume: Some(resume),
            driver,
        }
    }

    /// Starts reading again, with the largest window, and reads the stream to its end: the
    /// messages, then the status of its trailers.
    ///
    /// # Panics
    ///
    /// When the stream does not end within the [`patience`] (a live stream that was not cut
    /// off goes on), or is not well-formed gRPC.
    pub async fn resume<T: prost::Message + Default>(mut self) -> (Vec<T>, Status) {
        if let Some(resume) = self.resume.take() {
            let _ = resume.send(());
        }
        tokio::time::timeout(patience(), self.read_to_end())
            .await
            .unwrap_or_else(|_| panic!("the stream did not end within {:?}", patience()))
    }

    async fn read_to_end<T: prost::Message + Default>(&mut self) -> (Vec<T>, Status) {
        let mut buffer = BytesMut::new();
        let mut messages = Vec::new();
        while let Some(chunk) = self.body.data().await {
            let chunk = chunk.expect("a data frame");
            let _ = self.body.flow_control().release_capacity(chunk.len());
            buffer.extend_from_slice(&chunk);
            while let Some(message) = unframe(&mut buffer) {
                messages.push(T::decode(message).expect("a message of the stream's type"));
            }
        }
        assert!(buffer.is_empty(), "the stream ended inside a message");
        let trailers = self
            .body
            .trailers()
            .await
            .expect("the trailers")
            .expect("trailers with a status");
        let status = Status::from_header_map(&trailers).expect("a grpc-status");
        (messages, status)
    }
}

impl Drop for StalledStream {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// `message` as one gRPC frame: uncompressed, its length, its bytes.
fn frame(message: &impl prost::Message) -> Bytes {
    let body = message.encode_to_vec();
    let mut framed = Vec::with_capacity(5 + body.len());
    framed.push(0);
    framed.extend_from_slice(
        &u32::try_from(body.len())
            .expect("a small message")
            .to_be_bytes(),
    );
    framed.extend_from_slice(&body);
    framed.into()
}

/// Takes the first whole gRPC frame's message off `buffer`, if it holds one.
fn unframe(buffer: &mut BytesMut) -> Option<Bytes> {
    let header: [u8; 5] = buffer.get(..5)?.try_into().expect("five bytes");
    assert_eq!(header[0], 0, "a compressed message");
    let len = u32::from_be_bytes(header[1..].try_into().expect("four bytes")) as usize;
    if buffer.len() < 5 + len {
        return None;
    }
    buffer.advance(5);
    Some(buffer.split_to(len).freeze())
}
