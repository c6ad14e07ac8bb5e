//! Server streams with a byte budget: what a streaming handler sends waits for the transport in
//! a buffer of at most [`StreamLimits::buffer_bytes`], and a client that stops reading is cut
//! off instead of making the server hold the rest of its stream.
//!
//! A handler's producer task sends with [`StreamSender::send`]; the handler returns the
//! [`BoundedStream`] to tonic. While the buffer has room, `send` returns at once; when it is
//! full, `send` waits for the transport to take a message, so a client that reads slowly slows
//! the producer down and is never cut off. When the buffer is full and the transport takes
//! nothing for [`StreamLimits::stall_timeout`], the stream is cut off: the buffered messages
//! are dropped at once, `send` fails, and the client gets RESOURCE_EXHAUSTED (`ErrorInfo`
//! reason [`STREAM_STALLED`], in the service's domain) after whatever it had already been
//! handed. The budget counts each message at its [`footprint`] (what it takes in memory, not
//! only on the wire), so one stream holds at most `buffer_bytes` plus one message; HTTP/2 flow
//! control and the transport's own buffers come on top (see the README, "Memory of server
//! streams").
//!
//! [`StreamSender::taken`] counts the messages the transport has taken, so a handler that
//! records what it streamed (a notice's delivery) records only what left this buffer.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_stream::Stream;
use tonic::{Code, Status};
use treaty_proto::status::Service;

/// The `ErrorInfo` reason of a stream cut off because its client stopped reading.
pub const STREAM_STALLED: &str = "STREAM_STALLED";

/// How much one server stream may hold for its client, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// The bytes of messages, at their [`footprint`], that may wait for the transport
    /// (`TREATY_STREAM_BUFFER_BYTES`).
    pub buffer_bytes: usize,
    /// How long a full buffer waits for the transport to take a message before the stream is
    /// cut off (`TREATY_STREAM_STALL_MS`).
    pub stall_timeout: Duration,
}

impl StreamLimits {
    /// The default buffer: 256 KiB, three of the largest journal entries or some 340 small ones;
    /// enough to keep HTTP/2's own 400 KiB send buffer fed, which a client's throughput rests on.
    pub const DEFAULT_BUFFER_BYTES: usize = 256 * 1024;
    /// The default stall timeout: 30 s, far beyond a pause of a client that still reads.
    pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            buffer_bytes: StreamLimits::DEFAULT_BUFFER_BYTES,
            stall_timeout: StreamLimits::DEFAULT_STALL_TIMEOUT,
        }
    }
}

/// Why a send failed: the stream is over, and the producer should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamEnded {
    /// The client went away (or tonic dropped the stream).
    #[error("the client went away")]
    ClientGone,
    /// The client read nothing for the stall timeout while the buffer was full.
    #[error("the client stopped reading; the stream was cut off")]
    CutOff,
}

/// What the heap blocks of a message's fields cost beyond their bytes, in all: a small journal
/// entry (12 strings and byte fields) takes about 760 bytes in memory for 180 encoded.
const ALLOCATION_OVERHEAD: usize = 256;

/// What `message` is counted as while it waits in a stream's buffer: its encoded size, the size
/// of its struct and [`ALLOCATION_OVERHEAD`], so a stream of many small messages keeps to its
/// budget in memory as well as on the wire.
pub fn footprint<T: prost::Message>(message: &T) -> usize {
    message.encoded_len() + std::mem::size_of::<T>() + ALLOCATION_OVERHEAD
}

/// Starts a stream of `service` within `limits`: the producer's half and the half tonic polls.
pub fn bounded<T: prost::Message>(
    service: Service,
    limits: StreamLimits,
) -> (StreamSender<T>, BoundedStream<T>) {
    let (ended, ended_rx) = watch::channel(false);
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            bytes: 0,
            sent: 0,
            taken: 0,
            end: End::Open,
            waker: None,
        }),
        room: Notify::new(),
        ended,
    });
    let sender = StreamSender {
        shared: shared.clone(),
        ended: ended_rx,
        service,
        limits,
    };
    (sender, BoundedStream { shared })
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Signalled when the transport takes a message or the stream goes away.
    room: Notify,
    /// Turns true once no more messages can reach the client (gone or cut off).
    ended: watch::Sender<bool>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while holding the lock leaves only counters and a queue behind: keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct State<T> {
    /// Messages waiting for the transport, with their footprints.
    queue: VecDeque<(T, usize)>,
    bytes: usize,
    /// Messages accepted by `send` so far.
    sent: u64,
    /// Messages the transport has taken so far.
    taken: u64,
    end: End,
    /// The transport's task, when it waits for a message.
    waker: Option<Waker>,
}

enum End {
    Open,
    /// The producer is done: the queue, then this status if any, then the end.
    Finished(Option<Status>),
    /// The client stopped reading: this status (once), then the end.
    CutOff(Option<Status>),
    /// The transport dropped the stream.
    Gone,
}

impl<T> State<T> {
    fn ended(&self) -> Option<StreamEnded> {
        match self.end {
            End::Open | End::Finished(_) => None,
            End::CutOff(_) => Some(StreamEnded::CutOff),
            End::Gone => Some(StreamEnded::ClientGone),
        }
    }
}

/// The producer's half of a [`bounded`] stream. Dropping it ends the stream after the
/// messages already buffered.
pub struct StreamSender<T> {
    shared: Arc<Shared<T>>,
    ended: watch::Receiver<bool>,
    service: Service,
    limits: StreamLimits,
}

impl<T> fmt::Debug for StreamSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamSender")
            .field("service", &self.service.name)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<T: prost::Message> StreamSender<T> {
    /// Buffers `message` for the client and returns its index in the stream (0 for the first).
    ///
    /// Returns at once while the buffer has room (an empty buffer always has room, so one
    /// message larger than the budget still goes out alone). Otherwise waits until the
    /// transport takes enough; if it takes nothing for the stall timeout, cuts the stream off
    /// and fails with [`StreamEnded::CutOff`]. Fails with [`StreamEnded::ClientGone`] once the
    /// client has gone. A send dropped before it completes sent nothing.
    pub async fn send(&mut self, message: T) -> Result<u64, StreamEnded> {
        let size = footprint(&message);
        let mut message = Some(message);
        loop {
            {
                let mut state = self.shared.lock();
                if let Some(ended) = state.ended() {
                    return Err(ended);
                }
                if state.queue.is_empty() || state.bytes + size <= self.limits.buffer_bytes {
                    let message = message.take().expect("a message is sent once");
                    state.queue.push_back((message, size));
                    state.bytes += size;
                    let index = state.sent;
                    state.sent += 1;
                    let waker = state.waker.take();
                    drop(state);
                    if let Some(waker) = waker {
                        waker.wake();
                    }
                    return Ok(index);
                }
            }
            // `notify_one` keeps a permit for a take that happens before we wait.
            let took = tokio::time::timeout(self.limits.stall_timeout, self.shared.room.notified());
            if took.await.is_err() {
                return Err(self.cut_off(size));
            }
        }
    }

    /// Ends the stream with `status` after the messages already buffered; the status itself
    /// does not count against the budget.
    pub fn fail(self, status: Status) {
        let waker = {
            let mut state = self.shared.lock();
            if matches!(state.end, End::Open) {
                state.end = End::Finished(Some(status));
            }
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Waits until the transport has taken every buffered message, or the stream has ended.
    /// It never cuts the stream off: a buffer that is not full holds no more than its budget.
    pub async fn flushed(&mut self) -> Result<(), StreamEnded> {
        loop {
            let room = self.shared.room.notified();
            {
                let state = self.shared.lock();
                if let Some(ended) = state.ended() {
                    return Err(ended);
                }
                if state.queue.is_empty() {
                    return Ok(());
                }
            }
            room.await;
        }
    }

    /// Drops the messages the transport has not taken yet and returns how many it took, so
    /// a producer that stops (and then [`fail`](Self::fail)s with where to resume) knows
    /// exactly what its client was handed.
    pub fn discard(&mut self) -> u64 {
        let (dropped, taken) = {
            let mut state = self.shared.lock();
            state.bytes = 0;
            (std::mem::take(&mut state.queue), state.taken)
        };
        drop(dropped);
        self.shared.room.notify_one();
        taken
    }

    /// How many messages the transport has taken: indexes below it have left this buffer.
    pub fn taken(&self) -> u64 {
        self.shared.lock().taken
    }

    /// Completes once nothing more can reach the client: it went away, or it was cut off.
    pub async fn closed(&self) {
        let mut ended = self.ended.clone();
        // `self.shared` holds the sender, so the channel cannot close while we wait.
        let _ = ended.wait_for(|ended| *ended).await;
    }

    /// Cuts the stream off (unless it ended meanwhile): drops what is buffered and queues the
    /// RESOURCE_EXHAUSTED for the client.
    fn cut_off(&self, waiting: usize) -> StreamEnded {
        let (dropped, waker, bytes) = {
            let mut state = self.shared.lock();
            if let Some(ended) = state.ended() {
                return ended;
            }
            let bytes = state.bytes;
            let status = self.stalled(bytes + waiting);
            state.end = End::CutOff(Some(status));
            state.bytes = 0;
            (std::mem::take(&mut state.queue), state.waker.take(), bytes)
        };
        // Freed here, outside the lock, not when the transport lets go of the stream.
        drop(dropped);
        if let Some(waker) = waker {
            waker.wake();
        }
        self.shared.ended.send_replace(true);
        tracing::warn!(
            service = self.service.name,
            buffered_bytes = bytes,
            stall_timeout = ?self.limits.stall_timeout,
            "a stream's client stopped reading; cut it off"
        );
        StreamEnded::CutOff
    }

    fn stalled(&self, bytes: usize) -> Status {
        let seconds = self.limits.stall_timeout.as_secs_f64();
        self.service.error(
            Code::ResourceExhausted,
            STREAM_STALLED,
            format!(
                "the stream was cut off: the client read nothing for {seconds} s while {bytes} bytes waited for it (the limit is {} bytes); read faster, or start again after the last message received",
                self.limits.buffer_bytes
            ),
            [
                ("bufferBytes", self.limits.buffer_bytes.to_string()),
                (
                    "stallTimeoutMs",
                    self.limits.stall_timeout.as_millis().to_string(),
                ),
            ],
        )
    }
}

impl<T> Drop for StreamSender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.shared.lock();
            if matches!(state.end, End::Open) {
                state.end = End::Finished(None);
            }
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The half of a [`bounded`] stream that a handler returns to tonic.
pub struct BoundedStream<T> {
    shared: Arc<Shared<T>>,
}

impl<T> fmt::Debug for BoundedStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedStream").finish_non_exhaustive()
    }
}

impl<T> Stream for BoundedStream<T> {
    type Item = Result<T, Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut state = self.shared.lock();
        if let Some((message, size)) = state.queue.pop_front() {
            state.bytes -= size;
            state.taken += 1;
            drop(state);
            self.shared.room.notify_one();
            return Poll::Ready(Some(Ok(message)));
        }
        match &mut state.end {
            End::Open => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
            End::Finished(status) | End::CutOff(status) => Poll::Ready(status.take().map(Err)),
            End::Gone => Poll::Ready(None),
        }
    }
}

impl<T> Drop for BoundedStream<T> {
    fn drop(&mut self) {
        let dropped = {
            let mut state = self.shared.lock();
            if !matches!(state.end, End::CutOff(_)) {
                state.end = End::Gone;
            }
            state.bytes = 0;
            std::mem::take(&mut state.queue)
        };
        drop(dropped);
        self.shared.room.notify_one();
        self.shared.ended.send_replace(true);
    }
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
