//! The command line every program built on pipewright gets: hand your [`App`] to [`main`].
//!
//! ```no_run
//! use pipewright::model::App;
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let app = App::new("shop");
//!     pipewright::cli::main(app).await
//! }
//! ```
//!
//! Commands:
//!
//! - `synth [--out DIR]` writes the CloudFormation template(s) and the pipeline graph (Mermaid and
//!   DOT) into `DIR` (default `pipewright.out`) and prints what it wrote;
//! - `graph [--format mermaid|dot]` prints the graph;
//! - `plan [--json] [--detailed-exitcode] [--concurrency N]` reads AWS and shows what `apply` would change, field by
//!   field (the JSON form is [`Plan`](crate::engine::Plan)'s, versioned by `format_version`);
//! - `apply [--yes|-y] [--prune] [--concurrency N]` shows the plan, asks (unless `--yes`; without a
//!   terminal it refuses), makes the changes with progress per resource (a line per finished
//!   step, and on a terminal a live line of what is in flight), and ends with a summary; at most
//!   `N` AWS calls are in flight (default [`engine::DEFAULT_CONCURRENCY`](crate::engine::DEFAULT_CONCURRENCY), 64);
//! - `destroy [--yes|-y] [--concurrency N]` deletes everything the app owns (retained buckets stay);
//! - `drift [--json] [--concurrency N]` reports resources changed outside pipewright, field by field
//!   (`--json`: `{"format_version", "app", "drifted": [...], "missing": [...]}`: `drifted` holds the
//!   plan's update and replace entries, `missing` its create entries, resources deleted outside or
//!   never applied, each in the plan's JSON form and `format_version`);
//! - `policy [--account ID]` prints the least-privilege IAM policy (JSON) of the principal that
//!   runs the commands below and above for this app, scoped to its resources and to the roles
//!   under `/pipewright/<app>/<region>/` (see [`deployer_policy`](crate::synth::deployer_policy));
//!   with `--account` nothing is sent to AWS;
//! - `push [DIR] [--pipeline NAME] [--branch B]` puts DIR on the branch the pipeline's CodeCommit
//!   source watches (the git `HEAD` of a work tree, else one commit of DIR's files), over the
//!   repository's HTTPS URL with SigV4-signed credentials on AWS and none on the emulator;
//! - `run [--pipeline NAME] [--var NAME=VALUE]... [--no-wait] [--approve] [--json]` starts an
//!   execution and follows it to its end (`--approve` approves each manual approval it reaches);
//!   `watch [--pipeline NAME] [--execution ID] [--json]` follows the latest (or a given)
//!   execution; both, and `push --watch`, draw a live tree of stages and actions when stdout is a
//!   terminal, print a timestamped line per change otherwise, or NDJSON events with `--json`
//!   (each with `"v": 1`; the README lists them), report each failed action's failing command
//!   and log tail at the end, and exit 0 when the execution succeeds and 1 when it fails, is
//!   stopped or superseded; Ctrl-C stops watching (never the execution), says how to stop it,
//!   and exits 130; `executions [--limit N] [--json]` lists recent executions; `approve
//!   [--action STAGE/ACTION] [--reject] [--comment TEXT]`, `stop [--abandon]` and `retry [--stage
//!   NAME] [--all-actions]` drive them. `--pipeline` may be left out when the app has one;
//! - `logs [--pipeline NAME] [--execution ID] [--action STAGE/ACTION] [--follow]` prints the
//!   CloudWatch Logs build log of an action's build (by default the latest execution's failed
//!   build action, else its last build action, and it says which), `--follow` until the build
//!   ends (Ctrl-C: exit 130, the build goes on);
//! - `local start|status|stop` manages the bundled LocalStack (`status` exits 3 when it is not
//!   running).
//!
//! Global options: `--local` (the bundled LocalStack, started in the background if it is not
//! running, and left running), `--region`, `--profile`, `--endpoint-url URL` (every call goes to
//! that URL: a proxy, a VPC endpoint, an emulator; with `--local`, an emulator already running
//! there, reached with the emulator's test credentials instead of starting the bundled one);
//! otherwise the standard AWS configuration chain and `AWS_ENDPOINT_URL` apply. `-v` / `-vv` (or `RUST_LOG`) turn on tracing on stderr.
//!
//! Every command validates the app first: an invalid app is refused with every violation, before
//! any AWS call.
//!
//! Exit codes: 0 success; 1 an error (invalid app, AWS error, failed apply, refused
//! confirmation, or an `apply` left with nothing to do but a conflict); 2 the command line is
//! wrong, or, with `plan --detailed-exitcode` and `drift`, there are changes / drift; 3 `local
//! status` found no emulator running; 130 Ctrl-C stopped a watch.
//!
//! # Adding a command
//!
//! A command is one file, `src/cli/commands/<verb>.rs`, as in cargo: a `clap::Args` struct with
//! its flags, and a `run` method that calls one library operation, renders what comes back, and
//! returns an `Exit`: `Ok(code)` when it did its job, or a `CliError` carrying the message and the
//! exit code, which [`run`] prints once. Declare the file in `commands/mod.rs`, add a variant (its
//! doc comment is the help line) to `Command` here and an arm to the dispatch in `run_on`.
//! Commands that talk to AWS start from `connect::connect` (validate → clients → provider, the
//! bundled LocalStack started off the runtime's threads) and get `--local`, `--region`,
//! `--profile` and `--endpoint-url` from the global `Target`; `Calls` is the shared
//! `--concurrency` flag. What the engine reports while it runs is rendered in `progress` only.

use std::error::Error;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::model::App;

mod commands;
mod confirm;
mod connect;
mod error;
mod follow;
mod logging;
mod progress;
mod render;

use error::CliError;

/// Something the CLI can run on: an [`App`], or the result of building one (a build error is
/// printed and exits 1).
pub trait IntoApp {
    /// The app, or why it could not be built.
    ///
    /// # Errors
    /// The error that stopped the app from being built.
    fn into_app(self) -> Result<App, Box<dyn Error>>;
}

impl IntoApp for App {
    fn into_app(self) -> Result<App, Box<dyn Error>> {
        Ok(self)
    }
}

impl<E: Error + 'static> IntoApp for Result<App, E> {
    fn into_app(self) -> Result<App, Box<dyn Error>> {
        self.map_err(|e| Box::new(e) as Box<dyn Error>)
    }
}

#[derive(Debug, Parser)]
#[command(about = "Define AWS CI/CD pipelines as typed Rust code", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    target: connect::Target,
    /// More diagnostics on stderr (-v: pipewright's tracing, -vv: the AWS SDK's too).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the CloudFormation template(s) and the pipeline graph to a directory.
    Synth(commands::synth::Args),
    /// Print the pipeline graph.
    Graph(commands::graph::Args),
    /// Show what apply would change, field by field.
    Plan(commands::plan::Args),
    /// Make AWS match the app.
    Apply(commands::apply::Args),
    /// Delete everything the app owns (buckets marked retained stay).
    Destroy(commands::destroy::Args),
    /// Report resources changed outside pipewright (exit 2 on drift).
    Drift(commands::drift::Args),
    /// Print the least-privilege IAM policy that running this app's commands needs.
    Policy(commands::policy::Args),
    /// Put a directory on the branch a pipeline's CodeCommit source watches.
    Push(commands::push::Args),
    /// Start an execution of a pipeline and follow it to its end (exit 1 unless it succeeds).
    Run(commands::run::Args),
    /// Follow a pipeline's latest (or a given) execution to its end.
    Watch(commands::watch::Args),
    /// List a pipeline's recent executions.
    Executions(commands::executions::Args),
    /// Approve or reject a manual approval that waits.
    Approve(commands::approve::Args),
    /// Stop a running execution.
    Stop(commands::stop::Args),
    /// Run a failed stage again and follow the execution.
    Retry(commands::retry::Args),
    /// Print the build log of an action's build (the failing or last build by default).
    Logs(commands::logs::Args),
    /// Manage the bundled LocalStack (what --local uses).
    Local(commands::local::Args),
}

/// Runs the CLI on the process's arguments, writing to stdout and stderr.
///
/// `run`, `watch` and `push --watch` draw a live tree when stdout is a terminal, and Ctrl-C
/// stops them watching (never the execution) with exit code 130, as it stops `logs --follow`.
pub async fn main(app: impl IntoApp) -> ExitCode {
    let live = std::io::stderr().is_terminal();
    let console = follow::Console {
        terminal: std::io::stdout().is_terminal(),
        interrupt: follow::Interrupt::ctrl_c(),
    };
    let code = run_on(
        app,
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
        live,
        console,
    )
    .await;
    ExitCode::from(code)
}

/// Runs the CLI on `args` (the first is the program name), writing to `out` and `err`, and
/// returns the exit code.
///
/// `apply` and `destroy` ask for confirmation on the process's terminal unless `--yes` is given.
/// Their progress is plain lines on `err` (the live display is for [`main`] on a terminal).
pub async fn run(
    app: impl IntoApp,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    run_on(app, args, out, err, false, follow::Console::plain()).await
}

/// [`run`], and when `interrupt` completes while `run`, `watch`, `push --watch` or `logs
/// --follow` follows an execution, it stops following (never the execution), says how to stop
/// the execution, and returns 130, as [`main`] does on Ctrl-C. Pass `tokio::signal::ctrl_c()`
/// (mapped to `()`) to get [`main`]'s behaviour with other arguments or writers.
///
/// ```no_run
/// # async fn demo(app: pipewright::model::App) {
/// let ctrl_c = async {
///     let _ = tokio::signal::ctrl_c().await;
/// };
/// let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
/// let code = pipewright::cli::run_interruptible(app, ["app", "watch"], &mut out, &mut err, ctrl_c).await;
/// # let _ = code;
/// # }
/// ```
pub async fn run_interruptible(
    app: impl IntoApp,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    interrupt: impl std::future::Future<Output = ()> + Send + 'static,
) -> u8 {
    let console = follow::Console {
        terminal: false,
        interrupt: follow::Interrupt::on(interrupt),
    };
    run_on(app, args, out, err, false, console).await
}

/// [`run`], with `live` saying whether `err` is a terminal that can show a live progress line,
/// and `console` whether `out` is one and what interrupts a watch.
async fn run_on(
    app: impl IntoApp,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
    live: bool,
    mut console: follow::Console,
) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = if e.use_stderr() {
                write!(err, "{}", e.render())
            } else {
                write!(out, "{}", e.render())
            };
            return code;
        }
    };
    logging::init(cli.verbose);
    let target = &cli.target;
    let exit = match cli.command {
        // The emulator is the app's environment, not the app: no app needs building for it.
        Command::Local(local) => local.run(out).await,
        command => match app.into_app() {
            Err(e) => Err(CliError::new("the app could not be built", e)),
            Ok(app) => match command {
                Command::Synth(synth) => synth.run(&app, out),
                Command::Graph(graph) => graph.run(&app, out),
                Command::Plan(plan) => plan.run(&app, target, out).await,
                Command::Apply(apply) => apply.run(&app, target, live, out, err).await,
                Command::Destroy(destroy) => destroy.run(&app, target, live, out, err).await,
                Command::Drift(drift) => drift.run(&app, target, out).await,
                Command::Policy(policy) => policy.run(&app, target, out).await,
                Command::Push(push) => push.run(&app, target, &mut console, out).await,
                Command::Run(run) => run.run(&app, target, &mut console, out).await,
                Command::Watch(watch) => watch.run(&app, target, &mut console, out).await,
                Command::Executions(list) => list.run(&app, target, out).await,
                Command::Approve(approve) => approve.run(&app, target, out).await,
                Command::Stop(stop) => stop.run(&app, target, out).await,
                Command::Retry(retry) => retry.run(&app, target, out).await,
                Command::Logs(logs) => logs.run(&app, target, &mut console, out).await,
                Command::Local(_) => unreachable!("handled before the app is built"),
            },
        },
    };
    exit.unwrap_or_else(|e| e.print(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_str(app: impl IntoApp, args: &[&str]) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut argv = vec!["pipewright"];
        argv.extend(args);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let code = runtime.block_on(run(app, argv, &mut out, &mut err));
        (
            code,
            String::from_utf8_lossy(&out).into(),
            String::from_utf8_lossy(&err).into(),
        )
    }

    #[test]
    fn synth_refuses_a_role_policy_over_the_limit_in_every_region() {
        use crate::model::{Artifact, ArtifactBucket, BuildProject, CodeBuild, Pipeline, Stage};
        use crate::model::{CodeCommitSource, Repository};
        let app = || {
            let mut app = App::new("shop").unwrap();
            let repo = app.add(Repository::builder().name("shop-api").build().unwrap());
            let bucket = app.add(
                ArtifactBucket::builder()
                    .name("shop-artifacts")
                    .build()
                    .unwrap(),
            );
            let src = Artifact::new("Src");
            let mut b = Pipeline::builder()
                .name("ship")
                .artifact_store(&bucket)
                .stage(
                    Stage::new("Source")
                        .action(CodeCommitSource::new("Get", &repo, "main").output(&src)),
                );
            // 150 projects (each with its role and log group) fit one template; their long
            // names put the pipeline role's policy over IAM's limit.
            for s in 0..3 {
                let mut stage = Stage::new(format!("Check{s}"));
                for i in 0..50 {
                    let name = format!("shop-check-{s}-{i:02}-of-the-ledger-service-api-contract");
                    let p = app.add(BuildProject::builder().name(name).build().unwrap());
                    stage = stage.action(CodeBuild::new(format!("Check{i}"), &p).input(&src));
                }
                b = b.stage(stage);
            }
            app.add(b.build().unwrap());
            app
        };
        let dir =
            std::env::temp_dir().join(format!("pipewright-synth-limit-{}", std::process::id()));
        let (code, out, err) = run_str(app(), &["synth", "--out", dir.to_str().unwrap()]);
        assert_eq!(code, 1, "{err}");
        assert!(out.is_empty(), "{out}");
        assert!(
            err.starts_with("error: the app is invalid in every region: 1 violation:\n  role[shop-pipeline-ship-us-east-1].Policies "),
            "{err}"
        );
        assert!(!dir.exists(), "nothing written");
    }

    #[test]
    fn aws_commands_refuse_an_invalid_app_before_any_call() {
        // An endpoint nothing listens on: reaching it would fail differently.
        for cmd in ["plan", "apply", "destroy", "drift"] {
            let mut app = App::new("shop").unwrap();
            let b = app.add(
                crate::model::ArtifactBucket::builder()
                    .name("shop-artifacts")
                    .build()
                    .unwrap(),
            );
            app.add(
                crate::model::Pipeline::builder()
                    .name("ship")
                    .artifact_store(&b)
                    .build()
                    .unwrap(),
            );
            let (code, out, err) = run_str(app, &[cmd, "--region", "eu-west-1"]);
            assert_eq!(code, 1, "{cmd}: {err}");
            assert!(out.is_empty(), "{cmd}: {out}");
            assert!(
                err.starts_with("error: the app is invalid; nothing was sent to AWS"),
                "{cmd}: {err}"
            );
            assert!(
                err.contains("a pipeline needs at least 2 stages"),
                "{cmd}: {err}"
            );
        }
    }

    #[test]
    fn apply_flags_are_checked() {
        for command in ["apply", "plan", "drift"] {
            let (code, _, err) =
                run_str(App::new("shop").unwrap(), &[command, "--concurrency", "0"]);
            assert_eq!(code, 2, "{command}: {err}");
        }
        let (code, _, err) = run_str(
            App::new("shop").unwrap(),
            &["destroy", "--concurrency", "257"],
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("1..=256"), "{err}");
        let help = Cli::try_parse_from(["app", "apply", "--help"])
            .unwrap_err()
            .to_string();
        assert!(
            help.contains(&format!(
                "[default: {}]",
                crate::engine::DEFAULT_CONCURRENCY
            )),
            "{help}"
        );
        let (code, _, err) = run_str(
            App::new("shop").unwrap(),
            &["plan", "--local", "--profile", "ci"],
        );
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("--profile"), "{err}");
    }

    #[test]
    fn endpoint_urls_are_checked_before_any_call() {
        for bad in ["localhost:4566", "http://", "ftp://127.0.0.1"] {
            let (code, _, err) =
                run_str(App::new("shop").unwrap(), &["plan", "--endpoint-url", bad]);
            assert_eq!(code, 2, "{bad}: {err}");
            assert!(err.contains(bad), "{bad}: {err}");
        }
    }

    #[test]
    fn logs_checks_its_action_and_its_help_has_an_example() {
        let (code, _, err) = run_str(App::new("shop").unwrap(), &["logs", "--action", "Build"]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("is not STAGE/ACTION"), "{err}");
        let help = Cli::try_parse_from(["app", "logs", "--help"])
            .unwrap_err()
            .to_string();
        assert!(
            help.contains("logs --action Build/Compile --follow"),
            "{help}"
        );
    }

    /// The verbs that drive a pipeline, and `plan`, show an example in their `--help` (clap
    /// shows the variant's doc comment, not the arguments struct's, so the example must be an
    /// `after_help`).
    #[test]
    fn every_execution_verb_shows_an_example_in_its_help() {
        for verb in [
            "plan",
            "push",
            "run",
            "watch",
            "executions",
            "approve",
            "stop",
            "retry",
            "logs",
        ] {
            let help = Cli::try_parse_from(["app", verb, "--help"])
                .unwrap_err()
                .to_string();
            assert!(
                help.contains(&format!("Example: {verb}")),
                "{verb} --help has no example:\n{help}"
            );
        }
    }

    #[test]
    fn usage_errors_exit_2() {
        let (code, _, err) = run_str(App::new("shop").unwrap(), &["frobnicate"]);
        assert_eq!(code, 2);
        assert!(err.contains("frobnicate"));
    }

    #[test]
    fn invalid_app_prints_every_violation_and_exits_1() {
        let mut app = App::new("shop").unwrap();
        let b = app.add(
            crate::model::ArtifactBucket::builder()
                .name("shop-artifacts")
                .build()
                .unwrap(),
        );
        app.add(
            crate::model::Pipeline::builder()
                .name("ship")
                .artifact_store(&b)
                .build()
                .unwrap(),
        );
        let (code, out, err) = run_str(app, &["graph"]);
        assert_eq!(code, 1);
        assert!(out.is_empty());
        assert_eq!(
            err,
            "error: cannot draw the graph: the app is invalid\n  caused by: 1 violation:\n  pipeline[ship].stages \"0\": a pipeline needs at least 2 stages\n"
        );
    }

    #[test]
    fn build_errors_are_reported() {
        let r: Result<App, crate::model::NameError> = App::new("Bad");
        let (code, _, err) = run_str(r, &["synth"]);
        assert_eq!(code, 1);
        assert!(err.starts_with("error: the app could not be built: app name \"Bad\" is invalid"));
    }
}
