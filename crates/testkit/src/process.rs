//! [`TreatyProcess`]: the real `treaty` binary as a child of the test.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tonic::transport::Channel;
use treaty_runtime::ClientConfig;

use crate::{eventually, ready_timeout};

/// A `treaty` child process that has printed its `listening on <addr>` line.
///
/// Dropping it (also when a test fails) kills it with SIGKILL and reaps it.
#[derive(Debug)]
pub struct TreatyProcess {
    child: Child,
    addr: SocketAddr,
    /// What it wrote to stderr, when spawned with [`TreatyProcess::spawn_logged`].
    log: Option<Arc<Mutex<Vec<String>>>>,
}

impl TreatyProcess {
    /// Starts `exe` (tests pass `env!("CARGO_BIN_EXE_treaty")`) with `args`
    /// and, after `TREATY_LOG=warn`, the variables in `env`; its stderr is the
    /// test's. Returns once it has printed its `listening on <addr>` line;
    /// it may not answer SERVING yet (see [`TreatyProcess::serving`]).
    ///
    /// # Panics
    ///
    /// When it cannot start, or exits or stays silent for [`ready_timeout`]
    /// instead of printing that line.
    pub fn spawn<A, K, V>(
        exe: impl AsRef<OsStr>,
        args: impl IntoIterator<Item = A>,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> TreatyProcess
    where
        A: AsRef<OsStr>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        Self::start(exe.as_ref(), args, env, false)
    }

    /// [`TreatyProcess::spawn`], keeping the lines it writes to stderr so the test can wait
    /// for what only its log shows ([`TreatyProcess::logged`]); each line is also copied to
    /// the test's stderr.
    pub fn spawn_logged<A, K, V>(
        exe: impl AsRef<OsStr>,
        args: impl IntoIterator<Item = A>,
        env: impl IntoIterator<Item = (K, V)>,
    ) -> TreatyProcess
    where
        A: AsRef<OsStr>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        Self::start(exe.as_ref(), args, env, true)
    }

    fn start<A, K, V>(
        exe: &OsStr,
        args: impl IntoIterator<Item = A>,
        env: impl IntoIterator<Item = (K, V)>,
        logged: bool,
    ) -> TreatyProcess
    where
        A: AsRef<OsStr>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let mut child = Command::new(exe)
            .args(args)
            .env("TREATY_LOG", "warn")
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(if logged {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let log = child.stderr.take().map(|stderr| {
            let log = Arc::new(Mutex::new(Vec::new()));
            let lines = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { return };
                    eprintln!("{line}");
                    lines.lock().expect("the log").push(line);
                }
            });
            log
        });
        let stdout = child.stdout.take().expect("stdout is piped");
        // A thread reads the first line (so a silent child cannot hang the
        // test), then drains the rest so the child never blocks on a full pipe.
        let (first, line) = mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            let read = stdout.read_line(&mut line).map(|_| line);
            let _ = first.send(read);
            let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        });
        let mut process = TreatyProcess {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            log,
        };
        let line = match line.recv_timeout(ready_timeout()) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => panic!("cannot read the stdout of {}: {e}", exe.display()),
            Err(_) => panic!(
                "{} printed no line within {:?}",
                exe.display(),
                ready_timeout()
            ),
        };
        if line.is_empty() {
            let status = exit_status(&mut process.child);
            panic!(
                "{} exited without printing `listening on <addr>` ({status})",
                exe.display()
            );
        }
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            panic!(
                "{} printed {line:?} instead of `listening on <addr>`",
                exe.display()
            );
        };
        process.addr = addr
            .parse()
            .unwrap_or_else(|e| panic!("{addr:?} is not a socket address: {e}"));
        process
    }

    /// The address of its `listening on` line.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// How many of the lines it has written to stderr so far contain `text`.
    ///
    /// # Panics
    ///
    /// When it was not started with [`TreatyProcess::spawn_logged`].
    pub fn logged(&self, text: &str) -> usize {
        let log = self
            .log
            .as_ref()
            .expect("a process started with TreatyProcess::spawn_logged");
        let lines = log.lock().expect("the log");
        lines.iter().filter(|line| line.contains(text)).count()
    }

    /// A channel to it, once its health reports SERVING (polled for at most
    /// [`ready_timeout`]).
    pub async fn serving(&self) -> Channel {
        let channel = treaty_runtime::connect(&self.url(), &ClientConfig::default())
            .await
            .expect("a channel to the process");
        treaty_runtime::wait_until_serving(&channel, ready_timeout())
            .await
            .unwrap_or_else(|e| panic!("the process at {} is not serving: {e}", self.addr));
        channel
    }

    /// Its TLS URL, e.g. `https://127.0.0.1:40123`.
    pub fn tls_url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// A TLS channel to it with `tls` (a CA, and the identity to present, if any), once its
    /// health reports SERVING.
    pub async fn tls_channel(&self, tls: &treaty_runtime::tls::ClientTls) -> Channel {
        let channel =
            treaty_runtime::connect_with(&self.tls_url(), &ClientConfig::default(), Some(tls))
                .await
                .expect("a TLS channel to the process");
        treaty_runtime::wait_until_serving(&channel, ready_timeout())
            .await
            .unwrap_or_else(|e| {
                panic!("the process at {} is not serving over TLS: {e}", self.addr)
            });
        channel
    }

    /// Kills it with SIGKILL, as a crash would, and reaps it.
    pub fn kill(mut self) -> ExitStatus {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("the killed process is reaped")
    }

    /// Sends SIGTERM and waits (at most the [`crate::patience`]) until it exits.
    pub async fn terminate(mut self) -> ExitStatus {
        let pid = Pid::from_raw(i32::try_from(self.child.id()).expect("a pid"));
        kill(pid, Signal::SIGTERM).expect("SIGTERM");
        // Polled, so this task's runtime keeps serving the test's connections
        // (which must see the server's GOAWAY) while the process drains.
        eventually("the process to exit after SIGTERM", async || {
            self.child
                .try_wait()
                .expect("the process can be waited for")
        })
        .await
    }
}

/// How a child that closed its stdout exited, in words (waiting at most [`ready_timeout`]).
fn exit_status(child: &mut Child) -> String {
    let deadline = Instant::now() + ready_timeout();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status.to_string(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => return "still running".to_owned(),
            Err(e) => return format!("cannot wait for it: {e}"),
        }
    }
}

impl Drop for TreatyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use nix::errno::Errno;

    use super::*;

    const NO_ENV: [(&str, &str); 0] = [];

    fn sh(script: &str) -> TreatyProcess {
        TreatyProcess::spawn("sh", ["-c", script], NO_ENV)
    }

    #[test]
    fn a_process_is_found_by_its_listening_line_and_killed_and_reaped_when_dropped() {
        let process = sh("echo listening on 127.0.0.1:7; exec sleep 600");
        assert_eq!(process.addr(), SocketAddr::from(([127, 0, 0, 1], 7)));
        assert_eq!(process.url(), "http://127.0.0.1:7");
        let pid = Pid::from_raw(i32::try_from(process.id()).expect("a pid"));
        drop(process);
        assert_eq!(kill(pid, None), Err(Errno::ESRCH), "no such process left");
    }

    #[tokio::test]
    async fn terminate_sends_sigterm_and_returns_the_exit_status() {
        let process =
            sh("trap 'exit 7' TERM; echo listening on 127.0.0.1:7; while :; do sleep 0.05; done");
        assert_eq!(process.terminate().await.code(), Some(7));
    }

    #[test]
    fn kill_ends_the_process_with_sigkill() {
        use std::os::unix::process::ExitStatusExt;
        let process = sh("trap '' TERM; echo listening on 127.0.0.1:7; exec sleep 600");
        assert_eq!(process.kill().signal(), Some(9));
    }

    #[test]
    #[should_panic(expected = "sh exited without printing `listening on <addr>` (exit status: 3)")]
    fn a_process_that_exits_without_its_listening_line_fails_the_test_with_its_status() {
        sh("exit 3");
    }

    #[test]
    #[should_panic(expected = "sh printed \"oops\\n\" instead of `listening on <addr>`")]
    fn a_process_that_prints_something_else_first_fails_the_test_with_that_line() {
        sh("echo oops; exec sleep 600");
    }
}
