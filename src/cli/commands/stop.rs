//! `stop [--pipeline NAME] [--execution ID] [--abandon]`: stops a running execution.

use std::io::Write;

use crate::cli::connect::{Target, connect};
use crate::cli::error::{CliError, Exit};
use crate::cli::follow::{PipelineArg, execution_or_latest};
use crate::executions::ExecutionStatus;
use crate::model::App;

/// Example: `stop --abandon` stops the running execution without waiting for its actions.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: stop --abandon stops the running execution without waiting for its actions."
)]
pub(crate) struct Args {
    #[command(flatten)]
    pipeline: PipelineArg,
    /// The execution (default: the newest one in progress).
    #[arg(long, value_name = "ID")]
    execution: Option<String>,
    /// Leave running actions instead of letting them finish.
    #[arg(long)]
    abandon: bool,
}

impl Args {
    /// Stops the execution.
    pub(crate) async fn run(self, app: &App, target: &Target, out: &mut dyn Write) -> Exit {
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        let id = execution_or_latest(
            &session.executions,
            &pipeline,
            self.execution.as_deref(),
            "running",
            |s| *s == ExecutionStatus::InProgress,
        )
        .await?;
        session
            .executions
            .stop(&pipeline, &id, self.abandon, "stopped with pipewright stop")
            .await
            .map_err(|e| CliError::new(format!("cannot stop execution {id}"), e))?;
        let how = if self.abandon {
            "stopped (abandoned)"
        } else {
            "stopping"
        };
        let _ = writeln!(out, "execution {id}: {how}");
        Ok(0)
    }
}
