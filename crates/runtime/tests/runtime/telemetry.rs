//! Request spans, in a test binary of its own: `tracing` caches per-callsite interest across
//! threads, so a thread-local subscriber is only reliable when no other test logs concurrently.

use std::time::Duration;

use crate::common::{call_slow, finishes, start};

/// A log sink that keeps what is written, for checking log lines.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_handlers_log_lines_carry_the_grpc_method_path() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // The test runtime has one thread, so the server's tasks log through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut running = start(Duration::ZERO, Duration::from_secs(30)).await;
    running.make_ready();
    call_slow(&running.channel).await.unwrap_err();
    running.shutdown.trigger();
    finishes(running.task).await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("fake called"))
        .unwrap_or_else(|| panic!("no handler line in {logs}"));
    assert!(
        line.contains("path=\"/treaty.test.v1.FakeService/Slow\""),
        "{line}"
    );
    assert!(line.contains("method=\"Slow\""), "{line}");
}
