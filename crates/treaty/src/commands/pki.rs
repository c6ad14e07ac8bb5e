//! `treaty pki create`: a CA, a server certificate and one identity per service, for
//! development, tests and the image tier (production PKIs issue their own; see the README).

use std::error::Error;

use treaty_runtime::tls::DevPki;

use crate::cli::{PkiCommand, PkiCreateArgs};

/// Runs `treaty pki …`.
pub fn run(command: PkiCommand) -> Result<(), Box<dyn Error>> {
    match command {
        PkiCommand::Create(args) => create(&args),
    }
}

fn create(args: &PkiCreateArgs) -> Result<(), Box<dyn Error>> {
    if args.dir.join("ca.crt").exists() {
        return Err(format!(
            "{} already holds a CA; choose an empty directory",
            args.dir.display()
        )
        .into());
    }
    let dns: Vec<&str> = args.dns.iter().map(String::as_str).collect();
    let ips: Vec<&str> = args.ips.iter().map(String::as_str).collect();
    let pki = DevPki::write(&args.dir, &dns, &ips)?;
    println!(
        "wrote {}: ca.crt (and ca.key), server.crt/.key, and registry, approvals, notification, audit .crt/.key (URI SAN spiffe://treaty/<service>), valid for {}",
        pki.dir().display(),
        dns.iter()
            .chain(ips.iter())
            .copied()
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
