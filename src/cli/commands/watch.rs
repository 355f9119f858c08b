//! `watch [--pipeline NAME] [--execution ID]`: follows the latest (or a given) execution to its
//! end.

use std::io::Write;

use crate::cli::connect::{Target, connect};
use crate::cli::error::Exit;
use crate::cli::follow::{Console, PipelineArg, View, follow_with, layout};
use crate::cli::render::Style;
use crate::executions::{ExecutionId, Follow};
use crate::model::App;

/// Example: `watch` follows the pipeline's latest execution; Ctrl-C stops watching, never the
/// execution. Exit 0 when the execution succeeds, 1 otherwise.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: watch follows the pipeline's latest execution; Ctrl-C stops watching (exit 130), never the execution, and says how to stop it. Exit 0 when the execution succeeds, 1 otherwise. --json prints NDJSON events. When AWS stops answering, the watch gives up once a poll has gone 25 s without an answer (at most 35 s after the outage began) and exits 1, saying the execution may still be running."
)]
pub(crate) struct Args {
    #[command(flatten)]
    pipeline: PipelineArg,
    /// The execution to follow (default: the latest).
    #[arg(long, value_name = "ID")]
    execution: Option<String>,
    /// Approve each manual approval the execution reaches (for scripts, tests and demos).
    #[arg(long)]
    approve: bool,
    /// NDJSON events on stdout, one per line, each with `"v": 1` (the README lists them).
    #[arg(long)]
    json: bool,
}

impl Args {
    /// Follows the execution on `out`: a live tree on a terminal, else a line per change, or
    /// JSON events.
    pub(crate) async fn run(
        self,
        app: &App,
        target: &Target,
        console: &mut Console,
        out: &mut dyn Write,
    ) -> Exit {
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        let which = self
            .execution
            .map_or(Follow::Latest, |id| Follow::Id(ExecutionId::new(id)));
        let view = View {
            style: Style::pick(self.json, console.terminal),
            layout: layout(&session, &pipeline),
        };
        follow_with(
            &session.executions,
            &pipeline,
            which,
            self.approve,
            view,
            &mut console.interrupt,
            out,
        )
        .await
    }
}
