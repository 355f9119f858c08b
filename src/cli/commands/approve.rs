//! `approve [--pipeline NAME] [--action STAGE/ACTION] [--reject] [--comment TEXT]`: answers a
//! manual approval that waits.

use std::io::Write;

use crate::cli::connect::{Target, connect};
use crate::cli::error::{CliError, Exit};
use crate::cli::follow::{PipelineArg, answer};
use crate::executions::{ActionStatus, Decision};
use crate::model::App;

/// Example: `approve --action Approval/Promote --comment "checked staging"`; `--reject` fails
/// the action, its stage and the execution.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: approve --action Approval/Promote --comment \"checked staging\"; --reject fails the action, its stage and the execution."
)]
pub(crate) struct Args {
    #[command(flatten)]
    pipeline: PipelineArg,
    /// The approval, as STAGE/ACTION (may be left out when one approval waits).
    #[arg(long, value_name = "STAGE/ACTION")]
    action: Option<String>,
    /// Reject instead of approving.
    #[arg(long)]
    reject: bool,
    /// The comment recorded with the answer.
    #[arg(long, value_name = "TEXT", default_value = "")]
    comment: String,
}

impl Args {
    /// Finds the approval that waits and answers it.
    pub(crate) async fn run(self, app: &App, target: &Target, out: &mut dyn Write) -> Exit {
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        let state = session
            .executions
            .state(&pipeline)
            .await
            .map_err(|e| CliError::new(format!("cannot read pipeline \"{pipeline}\""), e))?;
        let waiting: Vec<(String, String, _)> = state
            .stages
            .iter()
            .flat_map(|s| {
                s.actions.iter().filter_map(|a| {
                    let token = a.token.clone()?;
                    (a.status == Some(ActionStatus::InProgress))
                        .then(|| (s.name.clone(), a.name.clone(), (token, s.execution.clone())))
                })
            })
            .collect();
        let chosen = match &self.action {
            Some(wanted) => waiting
                .iter()
                .find(|(s, a, _)| format!("{s}/{a}") == *wanted)
                .ok_or_else(|| {
                    CliError::message(format!(
                        "pipeline \"{pipeline}\": no approval {wanted} waits (waiting: {})",
                        list(&waiting)
                    ))
                })?,
            None => match waiting.as_slice() {
                [one] => one,
                [] => {
                    return Err(CliError::message(format!(
                        "pipeline \"{pipeline}\" has no approval waiting"
                    )));
                }
                _ => {
                    return Err(CliError::message(format!(
                        "pipeline \"{pipeline}\" has {} approvals waiting: say which with --action ({})",
                        waiting.len(),
                        list(&waiting)
                    )));
                }
            },
        };
        let (stage, action, (token, execution)) = chosen;
        let decision = if self.reject {
            Decision::Reject
        } else {
            Decision::Approve
        };
        answer(
            &session.executions,
            &pipeline,
            execution.as_ref(),
            (stage, action, token),
            decision,
            &self.comment,
        )
        .await
        .map_err(|e| CliError::new(format!("cannot answer {stage}/{action}"), e))?;
        let word = if self.reject { "rejected" } else { "approved" };
        let _ = writeln!(out, "{stage}/{action}: {word}");
        Ok(0)
    }
}

fn list<T>(waiting: &[(String, String, T)]) -> String {
    if waiting.is_empty() {
        return "none".into();
    }
    waiting
        .iter()
        .map(|(s, a, _)| format!("{s}/{a}"))
        .collect::<Vec<_>>()
        .join(", ")
}
