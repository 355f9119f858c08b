//! `synth [--out DIR]`: the CloudFormation template(s) and the pipeline graph, written to files.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::error::{CliError, Exit};
use crate::model::App;
use crate::synth::{self, GraphFormat};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Directory to write into (created if missing).
    #[arg(long, default_value = "pipewright.out")]
    out: PathBuf,
}

impl Args {
    /// Synthesizes `app` and writes every file into the directory, naming each on `out`.
    pub(crate) fn run(self, app: &App, out: &mut dyn Write) -> Exit {
        let dir = self.out;
        let templates =
            synth::synthesize(app).map_err(|e| CliError::new("cannot synthesize", e))?;
        let desired = app.desired();
        // A derived policy over IAM's limit with the shortest partition and region names is over
        // it in every region, so CloudFormation would fail on it anywhere (plan and apply check
        // the exact region).
        let violations = crate::engine::check_limits_in(&desired, "aws", "us-east-1");
        if !violations.is_empty() {
            let e = crate::validate::ValidationError { violations };
            return Err(CliError::new("the app is invalid in every region", e));
        }
        let mut files: Vec<(PathBuf, String, String)> = templates
            .iter()
            .map(|t| {
                (
                    dir.join(format!("{}.template.json", t.name())),
                    t.to_json(),
                    format!("{} resources", t.resource_count()),
                )
            })
            .collect();
        files.push((
            dir.join(format!("{}.graph.mmd", app.name())),
            synth::graph::render(&desired, GraphFormat::Mermaid),
            "pipeline graph, Mermaid".into(),
        ));
        files.push((
            dir.join(format!("{}.graph.dot", app.name())),
            synth::graph::render(&desired, GraphFormat::Dot),
            "pipeline graph, Graphviz DOT".into(),
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| CliError::new(format!("cannot create {}", dir.display()), e))?;
        for (path, body, what) in &files {
            std::fs::write(path, body)
                .map_err(|e| CliError::new(format!("cannot write {}", path.display()), e))?;
            let _ = writeln!(out, "wrote {} ({what})", path.display());
        }
        Ok(0)
    }
}
