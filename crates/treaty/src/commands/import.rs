//! `treaty import`: load CSV files of the bundled shapes into a running suite.

use std::error::Error;

use treaty_bundle::{Loader, OneToken, Progress};

use super::shared::{bearer, connect, connect_as, issuer_key, minted};
use crate::cli::ImportArgs;

/// Prints a load's progress on stderr.
#[derive(Debug, Default)]
pub struct Printed {
    name: String,
    calls: usize,
    done: usize,
}

impl Progress for Printed {
    fn phase(&mut self, name: &str, calls: usize) {
        if self.calls > 0 {
            eprintln!();
        }
        self.name = name.to_owned();
        self.calls = calls;
        self.done = 0;
        if calls == 0 {
            self.calls = 0;
        } else {
            eprint!("  {name}: 0/{calls}");
        }
    }
    fn tick(&mut self) {
        self.done += 1;
        eprint!("\r  {}: {}/{}", self.name, self.done, self.calls);
        if self.done == self.calls {
            eprintln!();
            self.calls = 0;
        }
    }
}

/// Runs `treaty import`.
pub async fn run(args: ImportArgs) -> Result<(), Box<dyn Error>> {
    if args.files.is_empty() && !args.bundled {
        return Err(
            "nothing to import: name CSV files, or pass --bundled for the bundled treaties".into(),
        );
    }
    // Parse everything first: a file with a bad row loads nothing.
    let mut parsed = Vec::new();
    let mut bad = 0;
    for path in &args.files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {name}: {e}"))?;
        match treaty_bundle::parse_file(&name, &text, args.treaty.as_ref().map(|t| t.as_str())) {
            Ok(facts) => parsed.push((name, facts)),
            Err(errors) => {
                bad += 1;
                for e in &errors {
                    eprintln!("{e}");
                }
                eprintln!(
                    "{name}: {} bad rows; nothing from this file is loaded",
                    errors.len()
                );
            }
        }
    }
    let registry = connect(&args.endpoint).await?;
    let approvals = match &args.approvals_endpoint {
        Some(url) => connect_as(&args.endpoint, url).await?,
        None => registry.clone(),
    };
    let loader = Loader::with_channels(registry, approvals);
    let token = bearer(&args.endpoint)?;
    let loader = if args.endpoint.token.is_some() || args.endpoint.token_file.is_some() {
        loader.with_credentials(OneToken(token))
    } else if let Some(key) = issuer_key(args.issuer_key.as_deref())? {
        loader.with_credentials(minted(key)?)
    } else {
        return Err(
            "importing changes the record: pass --token (a token holding registry:admin, depositary:record and state:XX:record for each withdrawing state), or --issuer-key to mint one token per actor".into(),
        );
    };
    let mut progress = Printed::default();
    if args.bundled {
        loader.load_bundle(&mut progress).await?;
        eprintln!("loaded the bundled treaties apmbc and ccm");
    }
    for (name, facts) in parsed {
        let consents = facts.consents.len();
        let steps = facts.steps.len();
        loader.load_facts(&facts, &mut progress).await?;
        eprintln!("{name}: loaded {consents} signatures and consents and {steps} steps");
    }
    if bad > 0 {
        return Err(format!(
            "{bad} file(s) refused; fix the rows listed above and import them again"
        )
        .into());
    }
    Ok(())
}
