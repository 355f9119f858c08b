//! `executions [--pipeline NAME] [--limit N] [--json]`: the pipeline's recent executions.

use std::io::Write;
use std::time::SystemTime;

use serde_json::json;

use crate::cli::connect::{Target, connect};
use crate::cli::error::{CliError, Exit};
use crate::cli::follow::PipelineArg;
use crate::model::App;

/// The version of `executions --json`'s format.
const FORMAT_VERSION: u32 = 1;

/// Example: `executions --limit 5 --json` prints the last five executions as JSON.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: executions --limit 5 --json prints the last five executions as JSON."
)]
pub(crate) struct Args {
    #[command(flatten)]
    pipeline: PipelineArg,
    /// How many executions, newest first.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u8).range(1..=100))]
    limit: u8,
    /// Print them as JSON (`{"format_version": 1, "pipeline", "executions": [...]}`).
    #[arg(long)]
    json: bool,
}

fn seconds(t: Option<SystemTime>) -> Option<u64> {
    t.and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

impl Args {
    /// Lists the executions on `out`.
    pub(crate) async fn run(self, app: &App, target: &Target, out: &mut dyn Write) -> Exit {
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        let list = session
            .executions
            .executions(&pipeline, self.limit.into())
            .await
            .map_err(|e| {
                CliError::new(format!("cannot list the executions of \"{pipeline}\""), e)
            })?;
        if self.json {
            let items: Vec<_> = list
                .iter()
                .map(|e| {
                    json!({
                        "id": e.id.to_string(),
                        "status": e.status.as_str(),
                        "trigger": e.trigger,
                        "started": seconds(e.started),
                        "updated": seconds(e.updated),
                        "source_revisions": e.source_revisions.iter().map(|r| json!({
                            "action": r.action,
                            "revision_id": r.revision_id,
                            "summary": r.summary,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let doc = json!({"format_version": FORMAT_VERSION, "pipeline": pipeline, "executions": items});
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
            return Ok(0);
        }
        if list.is_empty() {
            let _ = writeln!(out, "pipeline \"{pipeline}\" has no execution yet");
        }
        for e in &list {
            let duration = match (e.started, e.updated) {
                (Some(a), Some(b)) => b
                    .duration_since(a)
                    .map(|d| format!("{}s", d.as_secs()))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let source = e
                .source_revisions
                .first()
                .map(|r| {
                    let commit: String = r
                        .revision_id
                        .as_deref()
                        .unwrap_or("")
                        .chars()
                        .take(8)
                        .collect();
                    let message = r
                        .summary
                        .as_deref()
                        .unwrap_or("")
                        .lines()
                        .next()
                        .unwrap_or("");
                    format!("{commit} {message}")
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{}  {:<11} {:<22} {:>6}  {}",
                e.id,
                e.status.as_str(),
                e.trigger.as_deref().unwrap_or("-"),
                duration,
                source.trim_end()
            );
        }
        Ok(0)
    }
}
