//! `crm`: config → database → migrations → router → serve (and the command line).

use clap::Parser;
use crm::server::cli;
use crm::server::config::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cli::init_tracing();
    let args = Cli::parse();
    cli::run(args).await
}
