//! The `kartei` command line.

use std::io::BufRead;

use clap::{Parser, Subcommand};
use kartei_app::accounts::{self, AccountInput};
use kartei_app::org_units;
use kartei_domain::Role;
use secrecy::SecretString;

use crate::clock::Clock;
use crate::config::Settings;
use crate::error::ApiError;
use crate::startup::{self, build_state};
use crate::{mail, seed, synthetic, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "kartei",
    version,
    about = "Membership administration of a party's state association"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (applies migrations first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load the demo organisation (Saxony: state, districts, branches,
    /// routing rules and one account per role).
    SeedDemo,
    /// Fill the database with synthetic members and applications for
    /// benchmarks and load tests (loads the demo organisation first).
    Generate {
        /// Members in all (those admitted from the applications included).
        #[arg(long, default_value_t = 100_000)]
        members: u64,
        #[arg(long, default_value_t = 25_000)]
        applications: u64,
        /// Applications are received over this many years up to today.
        #[arg(long, default_value_t = 5)]
        years: u32,
        /// The same seed gives the same people and dates.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, state_office, district_office, local_branch or board
        #[arg(long)]
        role: String,
        /// The org unit's id or short code.
        #[arg(long = "org-unit")]
        org_unit: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// Runs a command with the settings of the environment.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load()?;
    telemetry::init_tracing(&settings.log);
    run_with(cli, settings, &mut std::io::stdin().lock()).await
}

/// Runs a command with the given settings, reading a password from `stdin`
/// where the command asks for one.
pub async fn run_with(cli: Cli, settings: Settings, stdin: &mut dyn BufRead) -> anyhow::Result<()> {
    match cli.command {
        Command::Migrate => {
            build_state(settings, Clock::system()).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Serve => serve(settings).await,
        Command::SeedDemo => {
            refuse_in_production(&settings, "seed-demo")?;
            let state = build_state(settings, Clock::system()).await?;
            let report = seed::seed_demo(&state).await.map_err(describe)?;
            println!(
                "demo organisation: {} units and {} accounts created",
                report.created_units, report.created_accounts
            );
            print!(
                "{}",
                seed::login_help(&state.settings.server.address.to_string())
            );
            Ok(())
        }
        Command::User { command } => user(settings, command, stdin).await,
        Command::Generate {
            members,
            applications,
            years,
            seed,
        } => {
            refuse_in_production(&settings, "generate")?;
            let state = build_state(settings, Clock::system()).await?;
            let plan = synthetic::Plan {
                members,
                applications,
                years: years.max(1),
                seed,
            };
            let done = synthetic::generate(&state, &plan).await?;
            println!(
                "generated {} members ({} transfers) and {} applications ({} open) in {:.1} s",
                done.members,
                done.transfers,
                done.applications,
                done.open_applications,
                done.seconds
            );
            Ok(())
        }
    }
}

/// The demo organisation and synthetic members are for trying kartei out
/// and for benchmarks: in production they would mix invented people and
/// known demo passwords into the real register. Refused before the database
/// is touched.
fn refuse_in_production(settings: &Settings, command: &str) -> anyhow::Result<()> {
    if settings.is_production() {
        anyhow::bail!(
            "{command} is refused in production (KARTEI_ENV=production): it loads demo data and accounts"
        );
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let state = prepare(settings, Clock::system()).await?;
    let address = state.settings.server.address;
    let poll = std::time::Duration::from_secs(state.settings.mail.poll_seconds);
    mail::worker::spawn(state.clone(), state.mailer.clone(), poll);
    mail::digest::spawn(state.clone());
    crate::retention::spawn(state.clone());
    crate::resignations::spawn(state.clone());
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!(%address, environment = %state.settings.environment, "kartei listening");
    println!("kartei listening on http://{address} (API docs at http://{address}/docs)");
    let app = state.app.clone();
    startup::serve(listener, startup::router(state), startup::shutdown_signal()).await?;
    app.close().await;
    Ok(())
}

/// What `serve` does before it listens: migrate, and on an empty database
/// load the demo (organisation and a year of history) when
/// `demo.seed_on_empty` asks for it.
pub async fn prepare(settings: Settings, clock: Clock) -> anyhow::Result<crate::state::AppState> {
    let state = build_state(settings, clock).await?;
    if state.settings.demo.seed_on_empty
        && let Some(demo) = kartei_app::demo::load_on_empty(&state.app)
            .await
            .map_err(|err| describe(err.into()))?
    {
        println!(
            "demo: {} members and {} declarations of a year's history ({} still open)",
            demo.history.members, demo.history.applications, demo.history.open_applications
        );
        println!(
            "{}",
            seed::login_help(&state.settings.server.address.to_string())
        );
    }
    Ok(state)
}

async fn user(
    settings: Settings,
    command: UserCommand,
    stdin: &mut dyn BufRead,
) -> anyhow::Result<()> {
    let UserCommand::Add {
        email,
        name,
        role,
        org_unit,
        password_stdin,
    } = command;
    if !password_stdin {
        anyhow::bail!("pass the password on standard input with --password-stdin");
    }
    let role: Role = role.parse()?;
    let mut password = String::new();
    stdin.read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();

    let state = build_state(settings, Clock::system()).await?;
    let org_unit_id = match org_unit {
        None => None,
        Some(reference) => Some(
            org_units::by_reference(&state.app, &reference)
                .await
                .map_err(|err| describe(err.into()))?
                .id,
        ),
    };
    let account = accounts::create_by_operator(
        &state.app,
        AccountInput {
            email,
            display_name: name,
            role,
            org_unit_id,
            password: SecretString::from(password),
        },
    )
    .await
    .map_err(|err| describe(err.into()))?;
    println!("created {} account {}", account.role, account.id);
    Ok(())
}

/// An API error as a line for the terminal, naming every invalid field.
fn describe(err: ApiError) -> anyhow::Error {
    match err {
        ApiError::Validation(errors) => {
            let fields: Vec<String> = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect();
            anyhow::anyhow!("invalid input: {}", fields.join("; "))
        }
        ApiError::Internal(inner) => inner,
        other => anyhow::anyhow!("{other}"),
    }
}
