//! The lettre transports the outbox worker sends through: SMTP, or files
//! in a directory for development and tests.

use std::time::Duration;

use kartei_persistence::outbox::OutboxMail;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{MailSettings, MailTransport, SmtpTls};

/// The longest one message may take to send, connection from the pool
/// included, before the attempt counts as failed and is retried later.
const SEND_DEADLINE: Duration = Duration::from_secs(30);

/// Sends outbox mail through the configured transport.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Why a message could not be sent, without the server's words (they can
/// name the recipient).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the message could not be built")]
    Build,
    #[error("the mail server refused the message for good")]
    Permanent,
    #[error("the mail server could not be reached or refused for now")]
    Transient,
    #[error("the mail file could not be written")]
    File,
}

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("mail.from is not a valid mailbox")]
    From,
    #[error("mail.file_dir cannot be created: {0}")]
    FileDir(std::io::Error),
    #[error("the SMTP transport cannot be set up: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Mailer, MailerError> {
        let from: Mailbox = settings.from.parse().map_err(|_| MailerError::From)?;
        let transport = match settings.transport {
            MailTransport::File => {
                std::fs::create_dir_all(&settings.file_dir).map_err(MailerError::FileDir)?;
                Transport::File(AsyncFileTransport::new(&settings.file_dir))
            }
            MailTransport::Smtp => {
                let host = settings.smtp_host.as_str();
                let builder = match settings.smtp_tls {
                    SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
                    SmtpTls::Starttls => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                            .tls(Tls::Required(TlsParameters::new(host.to_owned())?))
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                        .tls(Tls::Wrapper(TlsParameters::new(host.to_owned())?)),
                };
                let mut builder = builder
                    .port(settings.smtp_port)
                    .timeout(Some(Duration::from_secs(15)));
                if !settings.smtp_username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        settings.smtp_username.clone(),
                        settings.smtp_password.expose_secret().to_owned(),
                    ));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Mailer { from, transport })
    }

    pub async fn send(&self, mail: &OutboxMail) -> Result<(), SendError> {
        let to: Mailbox = mail.recipient.parse().map_err(|_| SendError::Build)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(mail.message_id.clone()))
            .date(mail.created_at.into())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|_| SendError::Build)?;
        match &self.transport {
            Transport::File(file) => file
                .send(message)
                .await
                .map(drop)
                .map_err(|_| SendError::File),
            // A deadline over the whole send, pool included: lettre's 15 s
            // timeout covers each SMTP command, not the wait for a pooled
            // connection, and one stuck send must not stop the worker.
            Transport::Smtp(smtp) => {
                match tokio::time::timeout(SEND_DEADLINE, smtp.send(message)).await {
                    Err(_) => Err(SendError::Transient),
                    Ok(sent) => sent.map(drop).map_err(|err| {
                        if err.is_permanent() {
                            SendError::Permanent
                        } else {
                            SendError::Transient
                        }
                    }),
                }
            }
        }
    }
}
