use std::process::ExitCode;

use clap::Parser;
use kartei_api::cli::{Cli, run};

/// mimalloc gives freed memory back to the system. With glibc's malloc
/// every thread that had hashed a password kept its 19 MiB Argon2 block in
/// its arena: 376 MiB resident after a burst of 24 logins, where mimalloc
/// stays near the idle size (docs/benchmarks.md, memory).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
