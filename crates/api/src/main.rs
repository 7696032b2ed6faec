use std::process::ExitCode;

use clap::Parser;
use kartei_api::cli::{Cli, run};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("kartei: {err:#}");
            ExitCode::FAILURE
        }
    }
}
