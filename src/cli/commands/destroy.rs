//! `destroy [--yes]`: everything the app owns, deleted in reverse dependency order.

use std::io::Write;

use super::Calls;
use crate::cli::confirm::confirm;
use crate::cli::connect::{Target, connect};
use crate::cli::error::Exit;
use crate::cli::progress;
use crate::engine::{self, ApplyOptions};
use crate::model::App;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Destroy without asking.
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    calls: Calls,
}

impl Args {
    /// Deletes what `app` owns in `target`: the plan on `out`, progress on `err` (redrawn in
    /// place when `live`), the summary on `out`.
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
        let plan = session
            .plan_destroy(app.name().as_str(), concurrency)
            .await?;
        let _ = writeln!(out, "{plan}");
        let runs = plan.summary.delete;
        if runs == 0 {
            let _ = writeln!(
                out,
                "nothing to destroy: the app owns nothing in this account and region"
            );
            return Ok(0);
        }
        let question = format!(
            "delete these {runs} resource(s) from account {} in {}?",
            session.account, session.region
        );
        confirm(self.yes, &question, "destroy", err)?;
        let options = ApplyOptions::default().concurrency(concurrency).prune(true);
        let steps = engine::step_count(&plan, &options);
        let report = progress::run(&plan, &session.provider, options, steps, live, err).await;
        progress::report(&report, "destroy", steps, out)
    }
}
