//! `retry [--pipeline NAME] [--execution ID] [--stage NAME] [--all-actions]`: runs a failed
//! stage again and follows the execution.

use std::io::Write;

use crate::cli::connect::{Target, connect};
use crate::cli::error::{CliError, Exit};
use crate::cli::follow::{PipelineArg, execution_or_latest, follow};
use crate::executions::{ExecutionStatus, Follow, RetryMode, StageStatus};
use crate::model::App;

/// Example: `retry` runs the failed actions of the newest failed execution's failed stage again;
/// `--all-actions` runs the whole stage.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: retry runs the failed actions of the newest failed execution's failed stage again; --all-actions runs the whole stage."
)]
pub(crate) struct Args {
    #[command(flatten)]
    pipeline: PipelineArg,
    /// The execution (default: the newest failed one).
    #[arg(long, value_name = "ID")]
    execution: Option<String>,
    /// The stage (default: the one that failed).
    #[arg(long, value_name = "NAME")]
    stage: Option<String>,
    /// Run every action of the stage, not only those that failed.
    #[arg(long)]
    all_actions: bool,
}

impl Args {
    /// Retries the stage, then follows the execution to its end.
    pub(crate) async fn run(self, app: &App, target: &Target, out: &mut dyn Write) -> Exit {
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        let id = execution_or_latest(
            &session.executions,
            &pipeline,
            self.execution.as_deref(),
            "failed",
            |s| *s == ExecutionStatus::Failed,
        )
        .await?;
        let stage = match self.stage {
            Some(s) => s,
            None => {
                let state = session.executions.state(&pipeline).await.map_err(|e| {
                    CliError::new(format!("cannot read pipeline \"{pipeline}\""), e)
                })?;
                state
                    .stages
                    .into_iter()
                    .find(|s| s.execution.as_ref() == Some(&id) && s.status == Some(StageStatus::Failed))
                    .map(|s| s.name)
                    .ok_or_else(|| {
                        CliError::message(format!(
                            "execution {id} of \"{pipeline}\" has no failed stage to retry (--stage names one)"
                        ))
                    })?
            }
        };
        let mode = if self.all_actions {
            RetryMode::AllActions
        } else {
            RetryMode::FailedActions
        };
        let id = session
            .executions
            .retry_stage(&pipeline, &id, &stage, mode)
            .await
            .map_err(|e| CliError::new(format!("cannot retry stage \"{stage}\""), e))?;
        let _ = writeln!(out, "retrying stage {stage} of execution {id}");
        follow(&session.executions, &pipeline, Follow::Id(id), false, out).await
    }
}
