//! `latchkey`: see `latchkey --help`.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = latchkey_server::cli::Cli::parse();
    match latchkey_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("latchkey: {e:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
