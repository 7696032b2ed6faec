//! Configuration: `config/default.toml`, overlaid by `config/<KARTEI_ENV>.toml`,
//! overlaid by `KARTEI__<SECTION>__<KEY>` environment variables. Every section
//! refuses unknown keys, so a typo stops the start instead of being ignored.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use kartei_domain::integration::IntegrationPlan;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The signing secret shipped in `config/default.toml`; production refuses it.
pub const DEVELOPMENT_JWT_SECRET: &str = "kartei-development-secret-change-me";

/// OWASP's minimum Argon2id cost (m = 19 MiB, t = 2, p = 1).
pub const OWASP_ARGON2_MEMORY_KIB: u32 = 19_456;
pub const OWASP_ARGON2_ITERATIONS: u32 = 2;

/// Whether `host` names this machine: `localhost` or a loopback address.
fn is_loopback_host(host: &str) -> bool {
    let host = host.trim().trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The defaults, compiled in so that the binary also starts outside the
/// repository; `config/default.toml` on disk is the same file.
const EMBEDDED_DEFAULTS: &str = include_str!("../../../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub mail: MailSettings,
    pub service_levels: ServiceLevels,
    pub admission: AdmissionSettings,
    pub reminders: ReminderSettings,
    pub retention: RetentionSettings,
    pub demo: DemoSettings,
    pub import: ImportSettings,
    pub integration: IntegrationSettings,
    pub log: LogSettings,
    /// The name of the environment the settings were loaded for.
    #[serde(skip)]
    pub environment: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub address: SocketAddr,
    /// Where people reach the web application, as e-mails link to it
    /// (`https://kartei.example.org`).
    pub public_url: String,
    /// Largest request body of every route but the CSV import.
    pub max_body_bytes: usize,
    /// Largest body of `POST /api/v1/members/import`.
    pub max_import_bytes: usize,
    pub trust_forwarded_for: bool,
    /// A request not answered within this many seconds gets 503.
    pub request_timeout_seconds: u64,
    /// Requests handled at once; more are answered 503 at once instead of
    /// waiting in a queue.
    pub max_concurrent_requests: usize,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSettings {
    /// Largest number of data rows one CSV import may hold (413 beyond).
    pub max_rows: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub jwt_secret: SecretString,
    pub access_token_minutes: u32,
    pub refresh_token_days: u32,
    /// How long a session (refresh-token family) lasts at most, however
    /// often it is refreshed.
    pub refresh_family_max_days: u32,
    /// How long after a refresh the spent token still gets a pair instead of
    /// revoking the session: two tabs refreshing at once.
    pub refresh_reuse_grace_seconds: u32,
    pub max_failed_logins: u32,
    pub lockout_minutes: u32,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub file_dir: PathBuf,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: String,
    pub smtp_password: SecretString,
    pub from: String,
    pub poll_seconds: u64,
    /// How long a worker's claim on a batch holds; after a crash, the
    /// batch it held is sent again once this has passed.
    pub lease_seconds: u64,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLevels {
    pub handover_days: u32,
    pub first_contact_days: u32,
    pub entered_days: u32,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionSettings {
    pub objection_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderSettings {
    pub digest_time: String,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub years_after_leaving: u32,
    pub days_after_closing: u32,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSettings {
    pub seed_on_empty: bool,
}

/// The integration steps after admission and their service levels.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSettings {
    /// Step names in the order they are owed, lower-case `[a-z_]+`.
    pub steps: Vec<String>,
    /// Days from the member's entry until each step is due.
    pub service_level_days: BTreeMap<String, u32>,
    /// The checked plan, set when the settings are loaded.
    #[serde(skip)]
    plan: IntegrationPlan,
}

impl IntegrationSettings {
    /// The configured steps in order, with their levels.
    pub fn plan(&self) -> &IntegrationPlan {
        &self.plan
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(Box<figment::Error>),
    #[error("configuration: {key}: {message}")]
    Refused { key: &'static str, message: String },
}

impl From<figment::Error> for ConfigError {
    fn from(err: figment::Error) -> Self {
        ConfigError::Invalid(Box::new(err))
    }
}

impl Settings {
    /// Loads the settings the way `kartei` does at start: the environment
    /// name from `KARTEI_ENV`, files from `KARTEI_CONFIG_DIR` (default
    /// `config`), overrides from `KARTEI__…` variables.
    pub fn load() -> Result<Settings, ConfigError> {
        let environment = std::env::var("KARTEI_ENV").unwrap_or_else(|_| "development".into());
        let dir = std::env::var_os("KARTEI_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        Settings::from_figment(Settings::figment(&dir, &environment), &environment)
    }

    /// The layers for `environment`, without reading them yet; tests add
    /// their own overrides on top.
    pub fn figment(dir: &Path, environment: &str) -> Figment {
        Figment::new()
            .merge(Toml::string(EMBEDDED_DEFAULTS))
            .merge(Toml::file(dir.join("default.toml")))
            .merge(Toml::file(dir.join(format!("{environment}.toml"))))
            .merge(Env::prefixed("KARTEI__").split("__"))
    }

    pub fn from_figment(figment: Figment, environment: &str) -> Result<Settings, ConfigError> {
        let mut settings: Settings = figment.extract()?;
        settings.environment = environment.to_owned();
        settings.check()?;
        let integration = &settings.integration;
        settings.integration.plan =
            IntegrationPlan::new(&integration.steps, &integration.service_level_days).map_err(
                |err| ConfigError::Refused {
                    key: err.key(),
                    message: err.to_string(),
                },
            )?;
        Ok(settings)
    }

    pub fn is_production(&self) -> bool {
        self.environment == "production"
    }

    /// What only a development or demo installation may do: production
    /// stops here, naming the key to change.
    fn check_production(&self) -> Result<(), ConfigError> {
        let refuse = |key, message: &str| {
            Err(ConfigError::Refused {
                key,
                message: message.to_owned(),
            })
        };
        if self.auth.jwt_secret.expose_secret() == DEVELOPMENT_JWT_SECRET {
            return refuse(
                "auth.jwt_secret",
                "production refuses the development secret; set KARTEI__AUTH__JWT_SECRET",
            );
        }
        if self.mail.transport == MailTransport::File {
            return refuse(
                "mail.transport",
                "production refuses the file transport; use smtp",
            );
        }
        // OWASP's minimum for Argon2id: 19 MiB and two passes. Less is for
        // the test suite only, where hundreds of logins must stay fast.
        if self.auth.argon2_memory_kib < OWASP_ARGON2_MEMORY_KIB {
            return refuse(
                "auth.argon2_memory_kib",
                "production refuses less than 19456 (19 MiB, OWASP's minimum)",
            );
        }
        if self.auth.argon2_iterations < OWASP_ARGON2_ITERATIONS {
            return refuse(
                "auth.argon2_iterations",
                "production refuses fewer than 2 (OWASP's minimum)",
            );
        }
        // Mail carries names and addresses of members: in clear text only
        // to a relay on this machine.
        if self.mail.transport == MailTransport::Smtp
            && self.mail.smtp_tls == SmtpTls::None
            && !is_loopback_host(&self.mail.smtp_host)
        {
            return refuse(
                "mail.smtp_tls",
                "production refuses \"none\" to a relay on another host; use starttls or tls",
            );
        }
        if self.demo.seed_on_empty {
            return refuse(
                "demo.seed_on_empty",
                "production refuses to load the demo organisation",
            );
        }
        Ok(())
    }

    /// Rules that serde cannot express.
    fn check(&self) -> Result<(), ConfigError> {
        let refuse = |key, message: &str| {
            Err(ConfigError::Refused {
                key,
                message: message.to_owned(),
            })
        };
        if self.is_production() {
            self.check_production()?;
        }
        if self.auth.jwt_secret.expose_secret().len() < 32 {
            return refuse("auth.jwt_secret", "must be at least 32 characters");
        }
        if self.auth.access_token_minutes == 0 || self.auth.refresh_token_days == 0 {
            return refuse("auth", "token lifetimes must be at least 1");
        }
        if self.auth.refresh_family_max_days < self.auth.refresh_token_days {
            return refuse(
                "auth.refresh_family_max_days",
                "must be at least auth.refresh_token_days",
            );
        }
        if self.auth.refresh_reuse_grace_seconds > 60 {
            return refuse(
                "auth.refresh_reuse_grace_seconds",
                "must be at most 60; a longer grace lets a stolen token through",
            );
        }
        if self.auth.lockout_minutes == 0 {
            return refuse("auth.lockout_minutes", "must be at least 1");
        }
        if argon2::Params::new(
            self.auth.argon2_memory_kib,
            self.auth.argon2_iterations,
            self.auth.argon2_parallelism,
            None,
        )
        .is_err()
        {
            return refuse("auth.argon2_*", "not valid Argon2 parameters");
        }
        if self.server.max_body_bytes == 0 || self.server.max_import_bytes == 0 {
            return refuse("server.max_body_bytes", "body limits must be at least 1");
        }
        let public_url = &self.server.public_url;
        if !(public_url.starts_with("https://") || public_url.starts_with("http://"))
            || public_url.trim_end_matches('/').len() <= "https://".len()
        {
            return refuse(
                "server.public_url",
                "must be the web application's address, http:// or https://",
            );
        }
        if self.server.request_timeout_seconds == 0 {
            return refuse("server.request_timeout_seconds", "must be at least 1");
        }
        if self.server.max_concurrent_requests == 0 {
            return refuse("server.max_concurrent_requests", "must be at least 1");
        }
        if self.import.max_rows == 0 {
            return refuse("import.max_rows", "must be at least 1");
        }
        if self.mail.poll_seconds == 0 {
            return refuse("mail.poll_seconds", "must be at least 1");
        }
        if self.mail.lease_seconds < 10 {
            return refuse("mail.lease_seconds", "must be at least 10");
        }
        if self.database.max_connections == 0 {
            return refuse("database.max_connections", "must be at least 1");
        }
        if chrono::NaiveTime::parse_from_str(&self.reminders.digest_time, "%H:%M").is_err() {
            return refuse("reminders.digest_time", "must be a time HH:MM");
        }
        Ok(())
    }
}

#[cfg(test)]
// figment's Jail wants closures returning its own large error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    fn repo_config() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
    }

    fn load(environment: &str) -> Result<Settings, ConfigError> {
        Settings::from_figment(Settings::figment(&repo_config(), environment), environment)
    }

    #[test]
    fn development_defaults_match_the_contract() {
        Jail::expect_with(|_jail| {
            let s = load("development").map_err(|e| e.to_string())?;
            assert_eq!(s.server.address.to_string(), "127.0.0.1:8080");
            assert_eq!(
                s.database.url.expose_secret(),
                "sqlite://data/kartei.db?mode=rwc"
            );
            assert_eq!(s.auth.access_token_minutes, 15);
            assert_eq!(s.auth.refresh_token_days, 14);
            assert_eq!(s.auth.refresh_family_max_days, 30);
            assert_eq!(s.auth.refresh_reuse_grace_seconds, 5);
            assert_eq!(s.auth.max_failed_logins, 5);
            assert_eq!(s.auth.lockout_minutes, 15);
            assert_eq!(s.mail.transport, MailTransport::File);
            assert_eq!(s.mail.file_dir, PathBuf::from("data/mail"));
            assert_eq!(s.mail.smtp_tls, SmtpTls::Starttls);
            assert_eq!(s.service_levels.handover_days, 3);
            assert_eq!(s.service_levels.first_contact_days, 14);
            assert_eq!(s.service_levels.entered_days, 28);
            assert_eq!(s.admission.objection_days, 42);
            assert_eq!(s.reminders.digest_time, "07:00");
            assert_eq!(s.retention.years_after_leaving, 10);
            assert_eq!(s.retention.days_after_closing, 365);
            assert!(s.demo.seed_on_empty);
            assert_eq!(s.import.max_rows, 200_000);
            assert_eq!(s.server.max_body_bytes, 64 * 1024);
            assert_eq!(
                s.integration.plan().names(),
                ["welcome", "first_invitation"]
            );
            let levels: Vec<u32> = s
                .integration
                .plan()
                .steps()
                .iter()
                .map(|step| step.level_days)
                .collect();
            assert_eq!(levels, [14, 42]);
            Ok(())
        });
    }

    #[test]
    fn the_environment_file_and_variables_overlay_the_defaults() {
        Jail::expect_with(|jail| {
            assert!(!load("test").map_err(|e| e.to_string())?.demo.seed_on_empty);
            jail.set_env("KARTEI__DATABASE__URL", "postgres://db.example/kartei");
            jail.set_env("KARTEI__SERVICE_LEVELS__HANDOVER_DAYS", "5");
            let s = load("test").map_err(|e| e.to_string())?;
            assert_eq!(
                s.database.url.expose_secret(),
                "postgres://db.example/kartei"
            );
            assert_eq!(s.service_levels.handover_days, 5);
            Ok(())
        });
    }

    /// The error of loading development with this configuration file as
    /// `custom.toml` on top, or "" when it loads.
    fn custom_error(jail: &mut Jail, toml: &str) -> Result<String, figment::Error> {
        jail.create_file("custom.toml", toml)?;
        let dir = jail.directory().to_path_buf();
        Ok(
            Settings::from_figment(Settings::figment(&dir, "custom"), "custom")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn integration_steps_are_configured_with_a_level_each() {
        Jail::expect_with(|jail| {
            // Other steps, in another order; the defaults' levels of steps
            // no longer listed are ignored.
            let err = custom_error(
                jail,
                "[integration]\nsteps = [\"first_invitation\", \"mentoring\"]\n\
                 [integration.service_level_days]\nmentoring = 90\n",
            )?;
            assert_eq!(err, "");
            jail.set_env("KARTEI__INTEGRATION__SERVICE_LEVEL_DAYS__WELCOME", "7");
            let s = load("development").map_err(|e| e.to_string())?;
            assert_eq!(
                s.integration.plan().step("welcome").map(|s| s.level_days),
                Some(7)
            );
            Ok(())
        });
        Jail::expect_with(|jail| {
            let s = Settings::from_figment(
                Settings::figment(&repo_config(), "development").merge(
                    figment::providers::Serialized::default(
                        "integration.steps",
                        Vec::<String>::new(),
                    ),
                ),
                "development",
            )
            .map_err(|e| e.to_string())?;
            assert!(s.integration.plan().steps().is_empty());
            let _ = jail;
            Ok(())
        });
    }

    #[test]
    fn integration_steps_without_a_level_or_with_bad_names_stop_the_start() {
        let cases = [
            (
                "[integration]\nsteps = [\"welcome\", \"mentoring\"]\n",
                "integration.service_level_days: step \"mentoring\" has no service level",
            ),
            (
                "[integration.service_level_days]\nwelcome = 0\n",
                "integration.service_level_days: the service level of step \"welcome\" must be at least 1 day",
            ),
            (
                "[integration.service_level_days]\nfirst_invitation = 10000\n",
                "integration.service_level_days: the service level of step \"first_invitation\" must be at most 3650 days",
            ),
            (
                "[integration]\nsteps = [\"Welcome\"]\n[integration.service_level_days]\nWelcome = 3\n",
                "integration.steps: step name \"Welcome\" must be lower-case letters and _",
            ),
            (
                "[integration]\nsteps = [\"erster-anruf\"]\n[integration.service_level_days]\nerster-anruf = 3\n",
                "integration.steps: step name \"erster-anruf\"",
            ),
            (
                "[integration]\nsteps = [\"welcome\", \"welcome\"]\n",
                "integration.steps: step \"welcome\" is listed twice",
            ),
            ("[integration]\nstep = [\"welcome\"]\n", "step"),
        ];
        for (toml, want) in cases {
            Jail::expect_with(|jail| {
                let err = custom_error(jail, toml)?;
                assert!(err.contains(want), "{toml}: {err}");
                Ok(())
            });
        }
    }

    #[test]
    fn the_public_url_must_be_a_web_address() {
        for bad in ["kartei.example.org", "ftp://kartei.example.org", "https://"] {
            Jail::expect_with(|jail| {
                jail.set_env("KARTEI__SERVER__PUBLIC_URL", bad);
                let err = load("development").err().map(|e| e.to_string());
                assert!(
                    err.unwrap_or_default().contains("server.public_url"),
                    "{bad} taken"
                );
                Ok(())
            });
        }
        Jail::expect_with(|jail| {
            jail.set_env("KARTEI__SERVER__PUBLIC_URL", "https://kartei.example.org/");
            let s = load("development").map_err(|e| e.to_string())?;
            assert_eq!(s.server.public_url, "https://kartei.example.org/");
            Ok(())
        });
    }

    #[test]
    fn an_unknown_key_is_refused_and_named() {
        Jail::expect_with(|jail| {
            jail.set_env("KARTEI__SERVER__ADRESS", "0.0.0.0:80");
            let err = load("development").err().map(|e| e.to_string());
            let err = err.unwrap_or_default();
            assert!(err.contains("adress"), "{err}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file("custom.toml", "[mail]\nsmtp_hots = \"relay\"\n")?;
            let dir = jail.directory().to_path_buf();
            let err = Settings::from_figment(Settings::figment(&dir, "custom"), "custom")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("smtp_hots"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn production_refuses_the_development_secret_and_file_mail() {
        Jail::expect_with(|jail| {
            let err = load("production")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("auth.jwt_secret"), "{err}");
            jail.set_env(
                "KARTEI__AUTH__JWT_SECRET",
                "a-real-secret-of-enough-length-0123456789",
            );
            jail.set_env("KARTEI__MAIL__TRANSPORT", "file");
            let err = load("production")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("mail.transport"), "{err}");
            jail.set_env("KARTEI__MAIL__TRANSPORT", "smtp");
            let s = load("production").map_err(|e| e.to_string())?;
            assert!(s.is_production());
            assert!(!s.demo.seed_on_empty);
            Ok(())
        });
    }

    /// The error of loading production with these variables on top of a
    /// valid production setting, or "" when it loads.
    fn production_error(jail: &mut Jail, vars: &[(&str, &str)]) -> String {
        jail.set_env(
            "KARTEI__AUTH__JWT_SECRET",
            "a-real-secret-of-enough-length-0123456789",
        );
        jail.set_env("KARTEI__MAIL__SMTP_HOST", "relay.example.org");
        for (key, value) in vars {
            jail.set_env(key, value);
        }
        load("production")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn production_refuses_weak_argon2_clear_text_smtp_and_the_demo() {
        Jail::expect_with(|jail| {
            assert_eq!(production_error(jail, &[]), "");
            let err = production_error(jail, &[("KARTEI__AUTH__ARGON2_MEMORY_KIB", "19455")]);
            assert!(err.contains("auth.argon2_memory_kib"), "{err}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            let err = production_error(jail, &[("KARTEI__AUTH__ARGON2_ITERATIONS", "1")]);
            assert!(err.contains("auth.argon2_iterations"), "{err}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            let err = production_error(jail, &[("KARTEI__MAIL__SMTP_TLS", "none")]);
            assert!(err.contains("mail.smtp_tls"), "{err}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            let err = production_error(jail, &[("KARTEI__DEMO__SEED_ON_EMPTY", "true")]);
            assert!(err.contains("demo.seed_on_empty"), "{err}");
            Ok(())
        });
        // What production may do: clear text to a relay on this machine,
        // a stronger hash.
        for host in ["localhost", "127.0.0.1", "::1"] {
            Jail::expect_with(|jail| {
                let err = production_error(
                    jail,
                    &[
                        ("KARTEI__MAIL__SMTP_TLS", "none"),
                        ("KARTEI__MAIL__SMTP_HOST", host),
                        ("KARTEI__AUTH__ARGON2_MEMORY_KIB", "65536"),
                        ("KARTEI__AUTH__ARGON2_ITERATIONS", "3"),
                    ],
                );
                assert_eq!(err, "", "{host}");
                Ok(())
            });
        }
        // Development and tests keep their cheap settings.
        Jail::expect_with(|jail| {
            jail.set_env("KARTEI__MAIL__SMTP_TLS", "none");
            jail.set_env("KARTEI__MAIL__SMTP_HOST", "relay.example.org");
            assert!(load("test").is_ok());
            Ok(())
        });
    }
}
