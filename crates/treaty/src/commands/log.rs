//! `treaty log keygen` and `treaty witness keygen`: the audit log's signing key and a
//! witness's cosigning key, each with its verifier key beside it.

use std::error::Error;
use std::path::Path;

use treaty_transparency::{LogKey, WitnessKey};

use crate::cli::{LogCommand, WitnessCommand};

/// Runs `treaty log …`.
pub fn run(command: LogCommand) -> Result<(), Box<dyn Error>> {
    match command {
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

/// Runs `treaty witness …`.
pub fn run_witness(command: WitnessCommand) -> Result<(), Box<dyn Error>> {
    match command {
        WitnessCommand::Keygen(args) => {
            let (key, private) = WitnessKey::generate(&args.name)?;
            write(&args.out, &private, &key.verifier_key())?;
            println!(
                "witness key {} (keep it secret); verifier key {} (give it to the log's TREATY_AUDIT_WITNESSES): {}",
                args.out.display(),
                args.out.with_extension("vkey").display(),
                key.verifier_key()
            );
            Ok(())
        }
    }
}

fn write(out: &Path, private: &str, verifier: &str) -> Result<(), Box<dyn Error>> {
    treaty_node::log::write_private(out, private)
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let vkey = out.with_extension("vkey");
    std::fs::write(&vkey, format!("{verifier}\n"))
        .map_err(|e| format!("cannot write {}: {e}", vkey.display()))?;
    Ok(())
}
