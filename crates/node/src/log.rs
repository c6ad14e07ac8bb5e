//! The audit log's signing key, witnesses and rollback guard, from configuration.
//!
//! A configured key file is used as given (its name is the log's origin). On a loopback
//! address with none configured, a development key is made once in the data directory
//! (`audit-log.key`); off loopback nothing is made up and the audit service does not start
//! without `TREATY_AUDIT_LOG_KEY`.

use std::path::Path;

use treaty_audit::checkpointer::LogSettings;
use treaty_runtime::Config;
use treaty_transparency::LogKey;

use crate::NodeError;

/// The origin of a development log.
pub const DEV_ORIGIN: &str = "localhost/treaty-audit";

/// The development key's file in the data directory.
pub fn dev_key_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("audit-log.key")
}

fn refuse(reason: String) -> NodeError {
    NodeError::Trust(reason)
}

/// How the audit log signs and guards its checkpoints under `config`.
pub(crate) fn settings(config: &Config) -> Result<LogSettings, NodeError> {
    let log = &config.audit_log;
    let key = match &log.key {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                refuse(format!(
                    "cannot read the audit log key {} (TREATY_AUDIT_LOG_KEY): {e}",
                    path.display()
                ))
            })?;
            LogKey::from_private(&text).map_err(|e| {
                refuse(format!(
                    "the audit log key {} (TREATY_AUDIT_LOG_KEY): {e}",
                    path.display()
                ))
            })?
        }
        None if config.listen_addr.ip().is_loopback() => dev_key(
            &config.data_dir,
            log.origin.as_deref().unwrap_or(DEV_ORIGIN),
        )?,
        None => {
            return Err(refuse(
                "the audit log signs its checkpoints with a key of its own: set TREATY_AUDIT_LOG_KEY to a signed-note private key file (`treaty log keygen --origin <origin> --out <file>` makes one); only on a loopback address is a development key made".into(),
            ));
        }
    };
    if let Some(origin) = &log.origin
        && origin != key.origin()
    {
        return Err(refuse(format!(
            "TREATY_AUDIT_LOG_ORIGIN is {origin:?} but the log key is named {:?}: a checkpoint's origin is its key's name; make a key for {origin:?} or unset the origin",
            key.origin()
        )));
    }
    let mut witnesses = Vec::new();
    for path in &log.witnesses {
        let text = std::fs::read_to_string(path).map_err(|e| {
            refuse(format!(
                "cannot read the witness key {} (TREATY_AUDIT_WITNESSES): {e}",
                path.display()
            ))
        })?;
        let vkey = text.trim().to_owned();
        treaty_transparency::checkpoint::witness_name(&vkey).map_err(|e| {
            refuse(format!(
                "the witness key {} (TREATY_AUDIT_WITNESSES): {e}",
                path.display()
            ))
        })?;
        witnesses.push(vkey);
    }
    Ok(LogSettings {
        key,
        witnesses,
        guard: log
            .checkpoint_file
            .clone()
            .unwrap_or_else(|| config.data_dir.join("audit.checkpoint")),
        interval: log.interval,
    })
}

/// The development key in `data_dir`, made on first start.
fn dev_key(data_dir: &Path, origin: &str) -> Result<LogKey, NodeError> {
    let path = dev_key_path(data_dir);
    match std::fs::read_to_string(&path) {
        Ok(text) => LogKey::from_private(&text)
            .map_err(|e| refuse(format!("the development log key {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let (key, private) = LogKey::generate(origin).map_err(|e| refuse(e.to_string()))?;
            write_private(&path, &private).map_err(|e| {
                refuse(format!(
                    "cannot create the development log key {}: {e}",
                    path.display()
                ))
            })?;
            Ok(key)
        }
        Err(e) => Err(refuse(format!(
            "cannot read the development log key {}: {e}",
            path.display()
        ))),
    }
}

/// Writes a private key readable by its owner only.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")?;
    f.sync_all()
}
