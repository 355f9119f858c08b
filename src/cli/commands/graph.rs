//! `graph [--format mermaid|dot]`: the pipeline graph on stdout.

use std::io::Write;

use clap::ValueEnum;

use crate::cli::error::{CliError, Exit};
use crate::model::App;
use crate::synth::{self, GraphFormat};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Mermaid)]
    format: Format,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

impl Args {
    /// Draws `app`'s graph on `out`.
    pub(crate) fn run(self, app: &App, out: &mut dyn Write) -> Exit {
        let format = match self.format {
            Format::Mermaid => GraphFormat::Mermaid,
            Format::Dot => GraphFormat::Dot,
        };
        let graph =
            synth::graph(app, format).map_err(|e| CliError::new("cannot draw the graph", e))?;
        out.write_all(graph.as_bytes())
            .map_err(|e| CliError::new("could not write the graph", e))?;
        Ok(0)
    }
}
