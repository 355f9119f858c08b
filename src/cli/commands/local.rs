//! `local start|status|stop`: the bundled LocalStack that `--local` uses.

use std::io::Write;

use clap::Subcommand;

use crate::cli::connect::LOCAL_UNAVAILABLE;
use crate::cli::error::{CliError, Exit};
use crate::local::LocalOptions;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: LocalCommand,
}

/// `local` subcommands.
#[derive(Debug, Subcommand)]
enum LocalCommand {
    /// Start the bundled LocalStack (or find it running) and print its endpoint.
    Start,
    /// Print the endpoint of the running LocalStack (exit 3 when it is not running).
    Status,
    /// Stop the bundled LocalStack and wait until it is gone.
    Stop,
}

impl Args {
    /// Starts, finds or stops the emulator; `start` and `status` print its endpoint on `out`.
    pub(crate) async fn run(self, out: &mut dyn Write) -> Exit {
        let options = LocalOptions::default().show_progress(true);
        let unavailable = |e| CliError::new(LOCAL_UNAVAILABLE, e);
        match self.command {
            LocalCommand::Start => {
                let emulator = options.start().map_err(unavailable)?;
                let _ = writeln!(out, "{}", emulator.endpoint());
            }
            LocalCommand::Status => match options.status().map_err(unavailable)? {
                Some(emulator) => {
                    let _ = writeln!(out, "{}", emulator.endpoint());
                }
                None => {
                    let not_running = "the bundled LocalStack is not running \
                                       (`local start` or `--local` starts it)";
                    return Err(CliError::lines(vec![not_running.into()]).exit_code(3));
                }
            },
            LocalCommand::Stop => options.stop().map_err(unavailable)?,
        }
        Ok(0)
    }
}
