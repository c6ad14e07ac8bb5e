//! `treaty receipt`: a recipient's key for signed receipts of notices — made here, its public
//! half registered with the notification service (and so recorded in the log, where anyone
//! checks the receipts against it). `treaty watch --acknowledge --receipt-key` signs them.

use std::error::Error;

use treaty_proto::notification::{
    self as nt, notification_service_client::NotificationServiceClient,
};
use treaty_transparency::receipt::RecipientKey;

use super::keys::key_or_file;
use super::shared::{CliError, bearer, connect, print_json};
use crate::cli::ReceiptCommand;

/// Runs `treaty receipt …`.
pub async fn run(command: ReceiptCommand) -> Result<(), Box<dyn Error>> {
    match command {
        ReceiptCommand::Keygen(args) => {
            let (key, private) = RecipientKey::generate(&args.recipient)?;
            super::log::write(&args.out, &private, key.verifier_key())?;
            println!(
                "receipt key of {} at {} (keep it secret); verifier key {} (register it: treaty receipt register {} --key {}): {}",
                args.recipient,
                args.out.display(),
                args.out.with_extension("vkey").display(),
                args.recipient,
                args.out.with_extension("vkey").display(),
                key.verifier_key()
            );
            Ok(())
        }
        ReceiptCommand::Register(args) => {
            let key = key_or_file(&args.key, "receipt key")?;
            let channel = connect(&args.endpoint).await?;
            let answer = NotificationServiceClient::new(channel)
                .register_recipient_key(bearer(&args.endpoint)?.request(
                    nt::RegisterRecipientKeyRequest {
                        request_id: String::new(),
                        recipient: args.recipient.clone(),
                        verifier_key: key,
                    },
                ))
                .await
                .map_err(CliError::from)?
                .into_inner();
            if args.endpoint.json {
                print_json(&serde_json::json!({
                    "recipient": answer.recipient, "verifier_key": answer.verifier_key,
                }));
            } else {
                println!(
                    "registered the receipt key of {}: {}",
                    answer.recipient, answer.verifier_key
                );
            }
            Ok(())
        }
    }
}
