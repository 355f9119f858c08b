//! `apply [--yes] [--prune]`: plan, confirm, make the changes with progress, report.

use std::io::Write;

use super::Calls;
use crate::cli::confirm::confirm;
use crate::cli::connect::{Target, connect};
use crate::cli::error::{CliError, Exit};
use crate::cli::progress;
use crate::engine::{self, ApplyOptions, Change};
use crate::model::App;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Apply without asking.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Also delete what the app owns but no longer declares.
    #[arg(long)]
    prune: bool,
    #[command(flatten)]
    calls: Calls,
}

impl Args {
    /// Makes `target` match `app`: the plan on `out`, progress on `err` (redrawn in place when
    /// `live`), the summary on `out`.
    pub(crate) async fn run(
        self,
        app: &App,
        target: &Target,
        live: bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Exit {
        let concurrency = self.calls.limit();
        let session = connect(app, target).await?;
        let plan = session.plan(concurrency).await?;
        let _ = writeln!(out, "{plan}");
        let options = ApplyOptions::default()
            .concurrency(concurrency)
            .prune(self.prune);
        let steps = engine::step_count(&plan, &options);
        if steps == 0 {
            let deletes = plan.summary.delete;
            if deletes > 0 {
                let _ = writeln!(
                    out,
                    "nothing to apply; {deletes} resource(s) the app no longer declares stay until `apply --prune`"
                );
            }
            // Conflicts block convergence even when nothing else is to do: say so where errors go.
            let conflicts: Vec<String> = plan
                .changes
                .iter()
                .filter_map(|c| match &c.change {
                    Change::Conflict { message } => Some(format!("conflict: {message}")),
                    _ => None,
                })
                .collect();
            return if plan.has_conflicts() {
                Err(CliError::lines(conflicts))
            } else {
                Ok(0)
            };
        }
        let question = format!(
            "apply these changes to account {} in {}?",
            session.account, session.region
        );
        confirm(self.yes, &question, "apply", err)?;
        let report = progress::run(&plan, &session.provider, options, steps, live, err).await;
        progress::report(&report, "apply", steps, out)
    }
}
