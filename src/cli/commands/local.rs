//! `local start|status|stop|instances`: the bundled LocalStack that `--local` uses, and the EC2
//! instances in it that CodeDeploy deploys to.

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
    #[command(after_help = "Examples:\n  \
        local start\n  \
        local start --run-hooks    # CodeDeploy runs the AppSpec's hook scripts on this machine")]
    Start {
        /// Let CodeDeploy deployments run the AppSpec's hook scripts on this machine (each in
        /// its own process group, with the revision as working directory and its timeout).
        /// Without it, hook events are `Skipped` and say why. Replaces a running emulator that
        /// was started without it.
        #[arg(long)]
        run_hooks: bool,
    },
    /// EC2 instances in the bundled LocalStack, for CodeDeploy deployment groups to deploy to.
    #[command(subcommand)]
    Instances(InstancesCommand),
    /// Print the endpoint of the running LocalStack (exit 3 when it is not running).
    Status,
    /// Stop the bundled LocalStack and wait until it is gone.
    Stop,
}

/// `local instances` subcommands.
#[derive(Debug, Subcommand)]
enum InstancesCommand {
    /// Start EC2 instances in the emulator with these tags (starting the emulator if needed) and
    /// print their ids. A deployment group whose EC2 tag filters match them deploys to them: the
    /// revision's files land under the emulator's state folder, never on this machine's paths.
    #[command(after_help = "Examples:\n  \
        local instances add --tag Name=shop-web\n  \
        local instances add --tag Name=shop-web --tag Environment=prod --count 3")]
    Add {
        /// A tag `KEY=VALUE`; repeat for several.
        #[arg(long = "tag", value_name = "KEY=VALUE", required = true, value_parser = parse_tag)]
        tags: Vec<String>,
        /// How many instances (1 to 100).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
        count: u32,
    },
    /// List the instances `local instances add` made: `ID STATE TAGS` per line.
    #[command(after_help = "Example:\n  local instances list")]
    List,
    /// Terminate instances `local instances add` made: the ones named, those with a tag, or all.
    #[command(after_help = "Examples:\n  \
        local instances remove i-0123456789abcdef0\n  \
        local instances remove --tag Name=shop-web\n  \
        local instances remove             # every instance made by `local instances add`")]
    Remove {
        /// Instance ids.
        ids: Vec<String>,
        /// Only instances with this tag `KEY=VALUE`; repeat for several (all must match).
        #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = parse_tag)]
        tags: Vec<String>,
    },
}

fn parse_tag(text: &str) -> Result<String, String> {
    match text.split_once('=') {
        Some((key, _)) if !key.is_empty() => Ok(text.to_owned()),
        _ => Err(format!("expected KEY=VALUE, got `{text}`")),
    }
}

impl InstancesCommand {
    fn launcher_args(self) -> Vec<String> {
        let tag_args = |tags: Vec<String>| tags.into_iter().flat_map(|t| ["--tag".to_owned(), t]);
        match self {
            Self::Add { tags, count } => ["add".to_owned()]
                .into_iter()
                .chain(tag_args(tags))
                .chain(["--count".to_owned(), count.to_string()])
                .collect(),
            Self::List => vec!["list".to_owned()],
            Self::Remove { ids, tags } => ["remove".to_owned()]
                .into_iter()
                .chain(ids)
                .chain(tag_args(tags))
                .collect(),
        }
    }
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
            LocalCommand::Start { run_hooks } => {
                let options = options.run_hooks(run_hooks);
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
            LocalCommand::Instances(command) => {
                let args = command.launcher_args();
                let printed = off_runtime(move || {
                    options.clone().quiet_if_running(true).start()?;
                    options.instances(args)
                })
                .await
                .map_err(unavailable)?;
                let _ = write!(out, "{printed}");
            }
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
            ("start", LocalCommand::Start { run_hooks: false }),
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
