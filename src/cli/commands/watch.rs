//! `watch [--pipeline NAME] [--execution ID]`: follows the latest (or a given) execution to its
//! end.

use std::io::Write;

use crate::cli::connect::{Target, connect};
use crate::cli::error::Exit;
use crate::cli::follow::{PipelineArg, follow};
use crate::executions::{ExecutionId, Follow};
use crate::model::App;

/// Example: `watch` follows the pipeline's latest execution; Ctrl-C stops watching, never the
/// execution. Exit 0 when the execution succeeds, 1 otherwise.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: watch follows the pipeline's latest execution; Ctrl-C stops watching, never the execution. Exit 0 when the execution succeeds, 1 otherwise."
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
}

impl Args {
    /// Follows the execution, a line per change on `out`.
    pub(crate) async fn run(self, app: &App, target: &Target, out: &mut dyn Write) -> Exit {
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        let which = self
            .execution
            .map_or(Follow::Latest, |id| Follow::Id(ExecutionId::new(id)));
        follow(&session.executions, &pipeline, which, self.approve, out).await
    }
}
