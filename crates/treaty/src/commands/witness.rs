//! `treaty witness`: a state (or anyone) watching the audit log so that it cannot show one
//! history to one party and another to the next. `keygen` makes the cosigning key; `run`
//! follows the log's checkpoints, demands a consistency proof from the last checkpoint it
//! accepted (kept on disk, written durably before it cosigns), cosigns the ones that extend it
//! (C2SP tlog-cosignature) and submits them with `AddCosignature`. A checkpoint that does not
//! extend it — a fork under the log's key, a rollback — is refused: both signed checkpoints
//! are written as evidence and the witness stops, loudly, never to cosign that log again
//! without a person looking.

use std::error::Error;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};
use treaty_transparency::checkpoint::open;
use treaty_transparency::witness::{Verdict, check};
use treaty_transparency::{Checkpoint, WitnessKey};

use super::keys::Keys;
use super::shared::{CliError, connect};
use crate::cli::{WitnessCommand, WitnessRunArgs};

/// The file in the state directory holding the last checkpoint accepted, as the log signed it.
pub const ACCEPTED: &str = "accepted.checkpoint";
/// The directory in the state directory where refusals leave their evidence.
pub const EVIDENCE: &str = "evidence";

/// Runs `treaty witness …`.
pub async fn run(command: WitnessCommand) -> Result<(), Box<dyn Error>> {
    match command {
        WitnessCommand::Keygen(args) => {
            let (key, private) = WitnessKey::generate(&args.name)?;
            super::log::write(&args.out, &private, &key.verifier_key())?;
            println!(
                "witness key {} (keep it secret); verifier key {} (give it to the log's TREATY_AUDIT_WITNESSES): {}",
                args.out.display(),
                args.out.with_extension("vkey").display(),
                key.verifier_key()
            );
            Ok(())
        }
        WitnessCommand::Run(args) => Ok(follow(args).await?),
    }
}

/// What the witness holds while it runs.
struct Witness {
    key: WitnessKey,
    log_key: String,
    state: PathBuf,
    last: Option<(Checkpoint, Vec<u8>)>,
}

/// Follows the log until it forks (or, with `--once`, for one round).
async fn follow(args: WitnessRunArgs) -> Result<(), CliError> {
    let refuse = CliError::Refused;
    let private = std::fs::read_to_string(&args.key).map_err(|e| {
        refuse(format!(
            "cannot read the witness key {}: {e}",
            args.key.display()
        ))
    })?;
    let key = WitnessKey::from_private(&private)
        .map_err(|e| refuse(format!("the witness key {}: {e}", args.key.display())))?;
    let log_key = Keys::new(args.log_key.as_deref(), &[], 0)?.log;
    std::fs::create_dir_all(&args.state).map_err(|e| {
        refuse(format!(
            "cannot create the state directory {}: {e}",
            args.state.display()
        ))
    })?;
    let mut witness = Witness {
        last: read_accepted(&args.state, &log_key)?,
        key,
        log_key,
        state: args.state.clone(),
    };
    match &witness.last {
        Some((c, _)) => println!(
            "witness {}: following {} from the tree of {} leaves it accepted",
            witness.key.name(),
            c.origin,
            c.size
        ),
        None => println!(
            "witness {}: no checkpoint accepted yet in {}; the first one the log shows is trusted",
            witness.key.name(),
            args.state.display()
        ),
    }
    loop {
        match witness.round(&args).await {
            Ok(()) => {}
            Err(Round::Refused(e)) => return Err(e),
            // The log down or busy: said, and tried again next round.
            Err(Round::Unreachable(e)) if !args.once => {
                eprintln!("treaty witness: {e}; trying again")
            }
            Err(Round::Unreachable(e)) => return Err(e),
        }
        if args.once {
            return Ok(());
        }
        tokio::time::sleep(args.every).await;
    }
}

/// How a round can end badly: the log cannot be reached (tried again), or it is refused.
enum Round {
    Unreachable(CliError),
    Refused(CliError),
}

impl From<tonic::Status> for Round {
    fn from(s: tonic::Status) -> Self {
        match s.code() {
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown => {
                Round::Unreachable(s.into())
            }
            _ => Round::Refused(s.into()),
        }
    }
}

impl Witness {
    /// One look at the log: its latest checkpoint, checked, cosigned and submitted.
    async fn round(&mut self, args: &WitnessRunArgs) -> Result<(), Round> {
        let channel = connect(&args.endpoint).await.map_err(Round::Unreachable)?;
        let mut log = AuditServiceClient::new(channel);
        let served = match log
            .get_checkpoint(au::GetCheckpointRequest::default())
            .await
        {
            Err(s) if s.code() == tonic::Code::NotFound => return Ok(()),
            other => other?.into_inner(),
        };
        let note = served.checkpoint.into_bytes();
        let next = open(&note, &self.log_key, &[self.key.verifier_key()]).map_err(|e| {
            Round::Refused(CliError::Refused(format!(
                "the log's checkpoint does not verify under its key: {e}"
            )))
        })?;
        let proof = match &self.last {
            Some((last, _)) if next.size > last.size => {
                log.get_consistency_proof(au::GetConsistencyProofRequest {
                    first: last.size,
                    second: next.size,
                })
                .await?
                .into_inner()
                .hashes
            }
            _ => Vec::new(),
        };
        let verdict = match check(self.last.as_ref().map(|(c, _)| c), &next, &proof) {
            Ok(v) => v,
            Err(refusal) => {
                let (last, last_note) = self.last.as_ref().expect("a refusal needs a checkpoint");
                let dir = self
                    .evidence(last_note, &note, &proof, &refusal.to_string())
                    .map_err(Round::Refused)?;
                return Err(Round::Refused(CliError::Refused(format!(
                    "refused to cosign {} at {} leaves: {refusal}; the witness had accepted {} leaves. Both signed checkpoints are in {}: the log signed them both, which is the proof. Not cosigning this log any more",
                    next.origin,
                    next.size,
                    last.size,
                    dir.display()
                ))));
            }
        };
        let mine = next
            .cosigned_by
            .iter()
            .any(|(name, _)| name == self.key.name());
        if verdict != Verdict::Same {
            // Accepted durably before the cosignature leaves: a witness that crashes then
            // comes back holding at least what it vouched for.
            write_durably(&self.state.join(ACCEPTED), &note).map_err(Round::Refused)?;
        }
        if mine {
            self.last = Some((next, note));
            return Ok(());
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let line = self.key.cosign(&next.text, now);
        let answer = log
            .add_cosignature(au::AddCosignatureRequest {
                request_id: String::new(),
                tree_size: next.size,
                cosignature: String::from_utf8(line).expect("a note line is text"),
            })
            .await;
        let how = match verdict {
            Verdict::First => "the first checkpoint seen".to_owned(),
            Verdict::Same => "the tree accepted before".to_owned(),
            Verdict::Extends => match &self.last {
                Some((last, _)) => format!("extends {} leaves", last.size),
                None => unreachable!("extends needs a checkpoint"),
            },
        };
        match answer {
            Ok(_) => println!(
                "witness {}: cosigned {} at {} leaves ({how})",
                self.key.name(),
                next.origin,
                next.size
            ),
            // Accepted, but the log would not keep the cosignature (it does not know this
            // witness, say): said each round, the cosigning itself goes on.
            Err(s) if s.code() != tonic::Code::Unavailable => eprintln!(
                "treaty witness: the log would not take the cosignature of {} leaves: {:?}: {}",
                next.size,
                s.code(),
                s.message()
            ),
            Err(s) => return Err(s.into()),
        }
        self.last = Some((next, note));
        Ok(())
    }

    /// Writes the evidence of a refusal: the checkpoint accepted, the one offered, the proof
    /// the log gave, and why. Returns the directory.
    fn evidence(
        &self,
        accepted: &[u8],
        offered: &[u8],
        proof: &[Vec<u8>],
        why: &str,
    ) -> Result<PathBuf, CliError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let dir = self.state.join(EVIDENCE).join(now.to_string());
        std::fs::create_dir_all(&dir).map_err(|e| {
            CliError::Refused(format!("cannot write evidence to {}: {e}", dir.display()))
        })?;
        write_durably(&dir.join("accepted.checkpoint"), accepted)?;
        write_durably(&dir.join("offered.checkpoint"), offered)?;
        let proof: String = proof
            .iter()
            .map(|h| {
                use base64::Engine as _;
                format!("{}\n", base64::engine::general_purpose::STANDARD.encode(h))
            })
            .collect();
        write_durably(&dir.join("consistency.proof"), proof.as_bytes())?;
        write_durably(&dir.join("refusal.txt"), format!("{why}\n").as_bytes())?;
        Ok(dir)
    }
}

/// The checkpoint accepted last, if any; one that no longer verifies under the log key is
/// refused (the key changed, or the file did).
fn read_accepted(state: &Path, log_key: &str) -> Result<Option<(Checkpoint, Vec<u8>)>, CliError> {
    let path = state.join(ACCEPTED);
    let note = match std::fs::read(&path) {
        Ok(note) => note,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(CliError::Refused(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let checkpoint = open(&note, log_key, &[]).map_err(|e| {
        CliError::Refused(format!(
            "{} does not verify under the log key: {e}. It is what this witness accepted; if the log's key really changed, start a new state directory",
            path.display()
        ))
    })?;
    Ok(Some((checkpoint, note)))
}

/// Writes `bytes` to `path` so that a crash leaves the old file or the new one, on disk.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail =
        |e: std::io::Error| CliError::Refused(format!("cannot write {}: {e}", path.display()));
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(fail)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)?;
    }
    Ok(())
}

/// How long a witness waits between looks at the log, e.g. `1s`, `500ms`, `1m`.
pub fn parse_every(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not an interval; write e.g. 500ms, 1s or 1m");
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let d = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => return Err(bad()),
    };
    if d < Duration::from_millis(100) || d > Duration::from_secs(3600) {
        return Err(format!("{s:?}: an interval is between 100ms and 1h"));
    }
    Ok(d)
}
