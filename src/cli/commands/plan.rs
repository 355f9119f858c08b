//! `plan [--destroy] [--json] [--detailed-exitcode]`: what `apply` (or `destroy`) would change,
//! read from AWS.

use std::io::Write;

use super::Calls;
use crate::cli::connect::{Target, connect};
use crate::cli::error::Exit;
use crate::model::App;

/// Example: `plan --destroy` lists what `destroy` would delete (and keep) without changing
/// anything; `plan --detailed-exitcode` exits 2 when `apply` has work to do.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: plan --destroy lists what destroy would delete (and keep) without changing anything; plan --detailed-exitcode exits 2 when apply has work to do."
)]
pub(crate) struct Args {
    /// Show what `destroy` would delete (everything the app owns, in order) instead of what
    /// `apply` would change.
    #[arg(long)]
    destroy: bool,
    /// Print the plan as JSON (see the `format_version` field).
    #[arg(long)]
    json: bool,
    /// Exit 0 when nothing would change, 2 when something would, 1 on error.
    #[arg(long)]
    detailed_exitcode: bool,
    #[command(flatten)]
    calls: Calls,
}

impl Args {
    /// Plans `app` against `target` and prints the plan on `out`.
    pub(crate) async fn run(self, app: &App, target: &Target, out: &mut dyn Write) -> Exit {
        let session = connect(app, target).await?;
        let plan = if self.destroy {
            session
                .plan_destroy(app.name().as_str(), self.calls.limit())
                .await?
        } else {
            session.plan(self.calls.limit()).await?
        };
        let _ = if self.json {
            writeln!(out, "{}", plan.to_json())
        } else {
            writeln!(out, "{plan}")
        };
        // What AWS accepts but will not work: said under the plan, never a failure (the JSON
        // form stays the plan alone).
        if !self.json && !self.destroy {
            for w in crate::validate::warnings(app) {
                let _ = writeln!(out, "warning: {}: {}", w.path, w.rule);
            }
        }
        Ok(if self.detailed_exitcode && !plan.is_empty() {
            2
        } else {
            0
        })
    }
}
