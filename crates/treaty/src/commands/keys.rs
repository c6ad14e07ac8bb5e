//! The keys a client checks the log with: the log's verifier key and its witnesses', given
//! on the command line (a key, or the file that holds it) — never taken from the server.

use std::path::Path;

use treaty_transparency::checkpoint::LogKey;

use super::shared::CliError;

/// The keys a proof is checked with.
pub(crate) struct Keys {
    pub(crate) log: String,
    pub(crate) witnesses: Vec<String>,
    pub(crate) needed: usize,
}

impl Keys {
    /// The log key given (a verifier key or its file), else the development key `treaty
    /// serve` made in the data directory; the witnesses' keys, and how many must have cosigned.
    pub(crate) fn new(
        log_key: Option<&str>,
        witnesses: &[String],
        needed: usize,
    ) -> Result<Keys, CliError> {
        let log = match log_key {
            Some(given) => key_or_file(given, "log key")?,
            None => dev_log_key()?,
        };
        let witnesses = witnesses
            .iter()
            .map(|w| key_or_file(w, "witness key"))
            .collect::<Result<Vec<_>, _>>()?;
        if needed > witnesses.len() {
            return Err(CliError::Refused(format!(
                "--need-witnesses {} but only {} --witness key{} given",
                needed,
                witnesses.len(),
                if witnesses.len() == 1 { " is" } else { "s are" }
            )));
        }
        Ok(Keys {
            log,
            witnesses,
            needed,
        })
    }
}

/// A verifier key given on the command line, or the file that holds one.
pub(crate) fn key_or_file(given: &str, what: &str) -> Result<String, CliError> {
    let path = Path::new(given);
    if given.contains('+') && !path.exists() {
        return Ok(given.trim().to_owned());
    }
    std::fs::read_to_string(path)
        .map(|t| t.trim().to_owned())
        .map_err(|e| {
            CliError::Refused(format!(
                "the {what} {given:?} is neither a verifier key (name+hash+base64) nor a readable file: {e}"
            ))
        })
}

/// The verifier key of the development log key `treaty serve` made in the data directory.
fn dev_log_key() -> Result<String, CliError> {
    let data_dir = std::env::var_os("TREATY_DATA_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| std::path::PathBuf::from("./data"), Into::into);
    let path = treaty_node::log::dev_key_path(&data_dir);
    let text = std::fs::read_to_string(&path).map_err(|_| {
        CliError::Refused(format!(
            "--verify needs the log's verifier key: pass --log-key (or TREATY_LOG_KEY) with the key `treaty serve` prints at start (\"audit log: checkpoints are signed with this key\") or the .vkey file beside the key `treaty log keygen` made; there is no development key at {} to fall back on. Do not take the key from GetCheckpoint: that is the server's own word and proves nothing",
            path.display()
        ))
    })?;
    LogKey::from_private(&text)
        .map(|k| k.verifier_key().to_owned())
        .map_err(|e| CliError::Refused(format!("the development log key {}: {e}", path.display())))
}
