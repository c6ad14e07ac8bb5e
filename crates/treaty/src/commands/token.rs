//! `treaty token issue` and `treaty token keygen`: bearer tokens and issuer keys.

use std::error::Error;
use std::io::Write as _;

use treaty_auth::token::SigningKey;

use super::shared::issuer_key;
use crate::cli::{TokenCommand, TokenIssueArgs, TokenKeygenArgs};

/// Runs `treaty token …`.
pub fn run(command: TokenCommand) -> Result<(), Box<dyn Error>> {
    match command {
        TokenCommand::Issue(args) => issue(args),
        TokenCommand::Keygen(args) => keygen(&args),
    }
}

/// Prints a token signed by the issuer key (`--key`, else the development issuer under
/// `--data-dir`).
fn issue(args: TokenIssueArgs) -> Result<(), Box<dyn Error>> {
    let key = match &args.key {
        Some(path) => issuer_key(Some(path))?,
        None => {
            let path = treaty_node::DevCredentials::issuer_key_path(&args.data_dir);
            if !path.exists() {
                return Err(format!(
                    "no issuer key at {}: `treaty serve` creates this development issuer on its first start on loopback; elsewhere pass --key with your issuer's private key",
                    path.display()
                )
                .into());
            }
            issuer_key(Some(&path))?
        }
    }
    .ok_or("no issuer key")?;
    if args.subject.trim().is_empty() {
        return Err("--subject must name who the token is for".into());
    }
    if args.permissions.is_empty() {
        eprintln!("treaty: note: a token without --permission may only read, which needs no token");
    }
    let token = key.issue(
        &args.issuer,
        &args.audience,
        &args.subject,
        &args.permissions,
        jiff::Timestamp::now().as_second(),
        args.ttl,
    );
    println!("{token}");
    Ok(())
}

/// Writes a new issuer key pair: the private key (owner-only) and `<out>.pub`.
fn keygen(args: &TokenKeygenArgs) -> Result<(), Box<dyn Error>> {
    let key = SigningKey::generate();
    let public = args.out.with_extension("pub");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    file.write_all(key.to_pem().as_bytes())?;
    file.sync_all()?;
    std::fs::write(&public, key.public_pem())
        .map_err(|e| format!("cannot write {}: {e}", public.display()))?;
    println!(
        "private key {} (keep it secret: it signs tokens); public key {} (give it to the servers in TREATY_AUTH_ISSUER_KEYS); key id {}",
        args.out.display(),
        public.display(),
        key.kid()
    );
    Ok(())
}
