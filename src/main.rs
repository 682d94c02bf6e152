//! `crm`: config → database → migrations → router → serve (and the command line).

use clap::Parser;
use crm::server::cli;
use crm::server::config::Cli;

fn main() -> std::process::ExitCode {
    cli::init_tracing();
    let args = Cli::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    // Look at tasks woken from outside (by SQLite's connection threads, the writer thread,
    // the hashing threads) on every turn rather than every 61st: under load they otherwise wait
    // behind dozens of local tasks, and a write's critical section with them (32 writers and
    // 32 readers at 200k leads: create p99 242 → 133 ms, reads unchanged; docs/benchmarks.md).
    rt.global_queue_interval(1);
    match rt.build() {
        Ok(rt) => rt.block_on(cli::run(args)),
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
