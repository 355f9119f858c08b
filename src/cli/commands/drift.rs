//! `drift [--json]`: resources changed or deleted outside pipewright, field by field.

use std::io::Write;

use serde_json::json;

use super::Calls;
use crate::cli::connect::{Target, connect};
use crate::cli::error::Exit;
use crate::engine::{self, Change};
use crate::model::App;
use crate::provider::api::kind_word;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Print the drift as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    calls: Calls,
}

impl Args {
    /// Plans `app` against `target` and prints, on `out`, what differs from the model.
    pub(crate) async fn run(self, app: &App, target: &Target, out: &mut dyn Write) -> Exit {
        let plan = connect(app, target).await?.plan(self.calls.limit()).await?;
        let drifted: Vec<_> = plan.drifted().collect();
        let missing: Vec<_> = plan
            .changes
            .iter()
            .filter(|c| matches!(c.change, Change::Create))
            .collect();
        if self.json {
            let doc = json!({
                "format_version": engine::FORMAT_VERSION,
                "app": plan.app,
                "drifted": drifted,
                "missing": missing,
            });
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        } else if drifted.is_empty() && missing.is_empty() {
            let _ = writeln!(out, "no drift: AWS matches the model");
        } else {
            for c in &drifted {
                let _ = writeln!(
                    out,
                    "~ {} \"{}\" ({}) differs from the model",
                    kind_word(c.kind),
                    c.physical_name,
                    c.id
                );
                let fields = match &c.change {
                    Change::Update { fields } | Change::Replace { fields, .. } => fields.as_slice(),
                    _ => &[],
                };
                for f in fields {
                    let _ = writeln!(
                        out,
                        "    {}: model {} ≠ AWS {}",
                        f.path,
                        shown(f.new.as_ref()),
                        shown(f.old.as_ref())
                    );
                }
            }
            for c in &missing {
                let _ = writeln!(
                    out,
                    "- {} \"{}\" ({}) is missing: deleted outside pipewright, or never applied",
                    kind_word(c.kind),
                    c.physical_name,
                    c.id
                );
            }
            let _ = writeln!(
                out,
                "{} drifted, {} missing; `apply` brings them back to the model",
                drifted.len(),
                missing.len()
            );
        }
        Ok(if drifted.is_empty() && missing.is_empty() {
            0
        } else {
            2
        })
    }
}

fn shown(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "(none)".to_owned(), serde_json::Value::to_string)
}
