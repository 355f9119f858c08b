//! `local start|status|stop`: the bundled LocalStack that `--local` uses.

use std::io::Write;

use clap::Subcommand;

use crate::cli::connect::{LOCAL_UNAVAILABLE, off_runtime};
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
        self.run_with(LocalOptions::default().show_progress(true), out)
            .await
    }

    /// [`run`](Self::run) with these options.
    async fn run_with(self, options: LocalOptions, out: &mut dyn Write) -> Exit {
        let unavailable = |e| CliError::new(LOCAL_UNAVAILABLE, e);
        // The launcher blocks (a start waits up to two minutes): keep it off the runtime.
        match self.command {
            LocalCommand::Start => {
                let emulator = off_runtime(move || options.start())
                    .await
                    .map_err(unavailable)?;
                let _ = writeln!(out, "{}", emulator.endpoint());
            }
            LocalCommand::Status => match off_runtime(move || options.status())
                .await
                .map_err(unavailable)?
            {
                Some(emulator) => {
                    let _ = writeln!(out, "{}", emulator.endpoint());
                }
                None => {
                    let not_running = "the bundled LocalStack is not running \
                                       (`local start` or `--local` starts it)";
                    return Err(CliError::lines(vec![not_running.into()]).exit_code(3));
                }
            },
            LocalCommand::Stop => off_runtime(move || options.stop())
                .await
                .map_err(unavailable)?,
        }
        Ok(0)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Bug 5, for `local start|status|stop`: the launcher ran on the runtime's threads.
    #[tokio::test(flavor = "current_thread")]
    async fn a_slow_local_command_leaves_the_runtime_free() {
        for (name, command) in [
            ("start", LocalCommand::Start),
            ("status", LocalCommand::Status),
            ("stop", LocalCommand::Stop),
        ] {
            let dir = std::env::temp_dir().join(format!(
                "pipewright-slow-local-{name}-{}",
                std::process::id()
            ));
            let python = crate::cli::connect::slow_launcher(&dir);
            let ticker = tokio::spawn(async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Instant::now()
            });
            let options = LocalOptions::default().state_dir(&dir).python(&python);
            let Err(e) = Args { command }.run_with(options, &mut Vec::new()).await else {
                panic!("{name}: the launcher fails");
            };
            let returned = Instant::now();
            let mut err = Vec::new();
            assert_eq!(e.print(&mut err), 1, "{name}");
            let err = String::from_utf8_lossy(&err);
            let said = format!("{LOCAL_UNAVAILABLE}: `localstack {name}` failed (exit 1)");
            assert!(err.starts_with(&format!("error: {said}")), "{err}");
            let ticked = ticker.await.expect("the ticker ran");
            assert!(
                ticked + Duration::from_secs(1) < returned,
                "{name}: the timer fired only after the launcher returned"
            );
            std::fs::remove_dir_all(&dir).expect("cleanup");
        }
    }
}
