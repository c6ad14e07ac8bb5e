//! `treaty log keygen`: the audit log's signing key, with its verifier key beside it. `treaty log export` writes
//! the log as C2SP tlog-tiles; `treaty log verify` checks such an export offline.

use std::error::Error;
use std::path::{Path, PathBuf};

use serde_json::json;
use treaty_proto::audit::{self as au, audit_service_client::AuditServiceClient};
use treaty_transparency::LogKey;
use treaty_transparency::commitment::committed;
use treaty_transparency::offline::{self, CHECKPOINTS_DIR, Files};
use treaty_transparency::tiles::Tiler;

use super::keys::Keys;
use super::shared::{CliError, connect, print_json};
use crate::cli::{LogCommand, LogExportArgs, LogVerifyArgs};

/// Runs `treaty log …`.
pub async fn run(command: LogCommand) -> Result<(), Box<dyn Error>> {
    match command {
        LogCommand::Export(args) => Ok(export(args).await?),
        LogCommand::Verify(args) => Ok(verify(args)?),
        LogCommand::Keygen(args) => {
            let (key, private) = LogKey::generate(&args.origin)?;
            write(&args.out, &private, key.verifier_key())?;
            println!(
                "log key {} (keep it secret: TREATY_AUDIT_LOG_KEY); verifier key {} (publish it: clients check checkpoints with it): {}",
                args.out.display(),
                args.out.with_extension("vkey").display(),
                key.verifier_key()
            );
            Ok(())
        }
    }
}

pub(super) fn write(out: &Path, private: &str, verifier: &str) -> Result<(), Box<dyn Error>> {
    treaty_node::log::write_private(out, private)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let vkey = out.with_extension("vkey");
    std::fs::write(&vkey, format!("{verifier}\n"))
        .map_err(|e| format!("cannot write {}: {e}", vkey.display()))?;
    Ok(())
}

/// `treaty log export`: the latest checkpoint's tree, as static files.
async fn export(args: LogExportArgs) -> Result<(), CliError> {
    let refuse = |what: String| CliError::Refused(what);
    let out = &args.out;
    if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(refuse(format!(
            "{} is not empty: export into a new or empty directory",
            out.display()
        )));
    }
    let mut client = AuditServiceClient::new(connect(&args.endpoint).await?);
    let latest = client
        .get_checkpoint(au::GetCheckpointRequest::default())
        .await?
        .into_inner();
    let size = latest.tree_size;
    let mut tiler = Tiler::new();
    let mut commitments = Vec::new();
    let mut written = 0_u64;
    while tiler.size() < size {
        let want = (size - tiler.size()).min(1000) as i32;
        let page = client
            .get_entries(au::GetEntriesRequest {
                start: tiler.size(),
                count: want,
            })
            .await?
            .into_inner();
        if page.leaves.is_empty() {
            return Err(refuse(format!(
                "the log answered no leaves from {}, below its checkpoint of {size}",
                tiler.size()
            )));
        }
        for leaf in page.leaves.iter().take(want as usize) {
            let index = tiler.size();
            for file in tiler.push(leaf).map_err(|e| refuse(e.to_string()))? {
                write_file(out, &file.path, &file.data)?;
                written += 1;
            }
            let record = treaty_ledger::Record::decode(leaf)
                .map_err(|e| refuse(format!("log entry {} is not a log entry: {e}", index + 1)))?;
            if committed(&record).is_some() {
                commitments.push(index + 1);
            }
        }
    }
    for file in tiler.partial() {
        write_file(out, &file.path, &file.data)?;
        written += 1;
    }
    // The exporter trusts the server no more than a verifier does: the leaves it was given
    // must hash to the root the checkpoint signs.
    let body = latest
        .checkpoint
        .split_once("\n\n")
        .map_or(latest.checkpoint.as_str(), |(b, _)| b);
    let root_line = body.lines().nth(2).unwrap_or_default();
    let root = treaty_transparency::proof::hash(
        "the checkpoint's root",
        &base64_decode(root_line).unwrap_or_default(),
    )
    .map_err(|e| refuse(e.to_string()))?;
    if tiler.root() != root {
        return Err(refuse(format!(
            "the log's {size} leaves do not hash to its checkpoint's root: the server's answer is not its own tree"
        )));
    }
    let mut kept = 0;
    for at in &commitments {
        match client
            .get_checkpoint(au::GetCheckpointRequest { tree_size: *at })
            .await
        {
            Ok(c) => {
                let c = c.into_inner();
                write_file(
                    out,
                    &format!("{CHECKPOINTS_DIR}/{at}"),
                    c.checkpoint.as_bytes(),
                )?;
                kept += 1;
            }
            Err(s) if s.code() == tonic::Code::NotFound => {}
            Err(s) => return Err(s.into()),
        }
    }
    // The checkpoint last: an export with one is complete.
    write_file(out, "checkpoint", latest.checkpoint.as_bytes())?;
    println!(
        "exported the log's {size} entries as of its checkpoint of {size} to {}: {written} tiles and entry bundles, {kept} earlier checkpoints",
        out.display()
    );
    Ok(())
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn write_file(root: &Path, path: &str, data: &[u8]) -> Result<(), CliError> {
    let full = root.join(path);
    let fail =
        |e: std::io::Error| CliError::Refused(format!("cannot write {}: {e}", full.display()));
    if let Some(dir) = full.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    std::fs::write(&full, data).map_err(fail)
}

/// An export in a directory.
struct Dir(PathBuf);

impl Files for Dir {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        match std::fs::read(self.0.join(path)) {
            Ok(data) => Ok(Some(data)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn list(&self, path: &str) -> Result<Vec<String>, String> {
        let entries = match std::fs::read_dir(self.0.join(path)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e.to_string()),
        };
        entries
            .map(|e| {
                e.map(|e| e.file_name().to_string_lossy().into_owned())
                    .map_err(|e| e.to_string())
            })
            .collect()
    }
}

/// `treaty log verify`.
fn verify(args: LogVerifyArgs) -> Result<(), CliError> {
    let keys = Keys::new(
        args.log_key.as_deref(),
        &args.witnesses,
        args.need_witnesses,
    )?;
    let histories = |s: &treaty_ledger::Subject| {
        treaty_domain::histories(s.state.as_deref(), s.treaty.as_deref(), s.case.as_deref())
    };
    let started = std::time::Instant::now();
    let verified = offline::verify(
        &Dir(args.dir.clone()),
        &keys.log,
        &keys.witnesses,
        keys.needed,
        &histories,
    )
    .map_err(|e| {
        CliError::Refused(format!(
            "the export in {} does NOT verify: {e}",
            args.dir.display()
        ))
    })?;
    let c = &verified.checkpoint;
    let root = String::from_utf8_lossy(&c.text)
        .lines()
        .nth(2)
        .unwrap_or_default()
        .to_owned();
    let cosigned: Vec<&str> = c.cosigned_by.iter().map(|(n, _)| n.as_str()).collect();
    if args.json {
        print_json(&json!({
            "origin": c.origin, "size": c.size, "root": root, "cosigned_by": cosigned,
            "sources": verified.sources, "commitments": verified.commitments,
            "earlier_checkpoints": verified.checkpoints, "hash_tiles": verified.tiles,
            "leaf_bytes": verified.bytes, "receipts": verified.receipts,
        }));
        return Ok(());
    }
    let sources: Vec<String> = verified
        .sources
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    println!(
        "verified offline: {} entries ({} bytes rehashed), {} hash tiles rebuilt, {} commitments, {} earlier checkpoints consistent, source journals: {}; {} signed receipt{} checked",
        c.size,
        verified.bytes,
        verified.tiles,
        verified.commitments,
        verified.checkpoints,
        if sources.is_empty() {
            "none".to_owned()
        } else {
            sources.join(", ")
        },
        verified.receipts,
        if verified.receipts == 1 { "" } else { "s" }
    );
    println!(
        "checkpoint {} of {} (root {root}){} verified in {:.2} s",
        c.size,
        c.origin,
        if cosigned.is_empty() {
            String::new()
        } else {
            format!(", cosigned by {}", cosigned.join(", "))
        },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
