//! `run [--pipeline NAME] [--var NAME=VALUE]... [--no-wait] [--approve]`: starts an execution and
//! follows it to its end.

use std::io::Write;

use crate::cli::connect::{Target, connect};
use crate::cli::error::{CliError, Exit};
use crate::cli::follow::{Console, PipelineArg, View, follow_with, layout};
use crate::cli::render::{JSON_VERSION, Style};
use crate::executions::{Follow, StartRequest};
use crate::model::App;

/// Example: `run --var Env=staging --approve` starts the pipeline with a variable and approves
/// each manual approval it reaches; exit 0 when the execution succeeds, 1 otherwise.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: run --var Env=staging --approve starts the pipeline with a variable and approves each manual approval it reaches; exit 0 when the execution succeeds, 1 otherwise. On a terminal it draws a live tree of stages and actions; --json prints NDJSON events instead. Ctrl-C stops watching (exit 130), never the execution."
)]
pub(crate) struct Args {
    #[command(flatten)]
    pipeline: PipelineArg,
    /// A pipeline variable, NAME=VALUE (repeatable; V2 pipelines).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// Start it and print its id, without following it.
    #[arg(long)]
    no_wait: bool,
    /// Approve each manual approval this execution reaches (for scripts, tests and demos).
    #[arg(long, conflicts_with = "no_wait")]
    approve: bool,
    /// NDJSON events on stdout, one per line, each with `"v": 1` (the README lists them).
    #[arg(long)]
    json: bool,
}

fn parse_var(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .filter(|(name, _)| !name.is_empty())
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("\"{raw}\" is not NAME=VALUE"))
}

impl Args {
    /// Starts the execution and follows it on `out`: a live tree on a terminal, else a line
    /// per change, or JSON events.
    pub(crate) async fn run(
        self,
        app: &App,
        target: &Target,
        console: &mut Console,
        out: &mut dyn Write,
    ) -> Exit {
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        let mut request = StartRequest::default();
        for (name, value) in self.vars {
            request = request.variable(name, value);
        }
        let id = session
            .executions
            .start(&pipeline, &request)
            .await
            .map_err(|e| {
                CliError::new(
                    format!("cannot start pipeline \"{pipeline}\" (has the app been applied?)"),
                    e,
                )
            })?;
        if self.no_wait {
            if self.json {
                let event = serde_json::json!({"v": JSON_VERSION, "type": "started", "execution": id.as_ref()});
                let _ = writeln!(out, "{event}");
            } else {
                let _ = writeln!(out, "{id}");
            }
            return Ok(0);
        }
        let view = View {
            style: Style::pick(self.json, console.terminal),
            layout: layout(&session, &pipeline),
        };
        follow_with(
            &session.executions,
            &pipeline,
            Follow::Id(id),
            self.approve,
            view,
            &mut console.interrupt,
            out,
        )
        .await
    }
}
