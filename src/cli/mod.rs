//! The command line every program built on pipewright gets: hand your [`App`] to [`main`].
//!
//! ```no_run
//! use pipewright::model::App;
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     let app = App::new("shop");
//!     pipewright::cli::main(app).await
//! }
//! ```
//!
//! Commands: `synth [--out DIR]` writes the CloudFormation template(s) and the pipeline graph
//! (Mermaid and DOT) into `DIR` (default `pipewright.out`) and prints what it wrote; `graph
//! [--format mermaid|dot]` prints the graph. `plan`, `apply`, `destroy` and `drift` are not built
//! yet and say so.
//!
//! Exit codes: 0 success; 1 the app is invalid (every violation is printed), could not be built,
//! could not be written, or the command is not built yet; 2 the command line is wrong.

use std::error::Error;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::App;
use crate::synth::{self, GraphFormat};

/// Something the CLI can run on: an [`App`], or the result of building one (a build error is
/// printed and exits 1).
pub trait IntoApp {
    /// The app, or why it could not be built.
    ///
    /// # Errors
    /// The error that stopped the app from being built.
    fn into_app(self) -> Result<App, Box<dyn Error>>;
}

impl IntoApp for App {
    fn into_app(self) -> Result<App, Box<dyn Error>> {
        Ok(self)
    }
}

impl<E: Error + 'static> IntoApp for Result<App, E> {
    fn into_app(self) -> Result<App, Box<dyn Error>> {
        self.map_err(|e| Box::new(e) as Box<dyn Error>)
    }
}

#[derive(Debug, Parser)]
#[command(about = "Define AWS CI/CD pipelines as typed Rust code", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the CloudFormation template(s) and the pipeline graph to a directory.
    Synth {
        /// Directory to write into (created if missing).
        #[arg(long, default_value = "pipewright.out")]
        out: PathBuf,
    },
    /// Print the pipeline graph.
    Graph {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Mermaid)]
        format: Format,
    },
    /// Show what apply would change (not built yet).
    Plan,
    /// Make AWS match the app (not built yet).
    Apply,
    /// Delete everything the app owns (not built yet).
    Destroy,
    /// Report resources changed outside the app (not built yet).
    Drift,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Mermaid,
    Dot,
}

/// Runs the CLI on the process's arguments, writing to stdout and stderr.
///
/// Async so that the commands that will talk to AWS can be added without changing callers.
pub async fn main(app: impl IntoApp) -> ExitCode {
    let code = run(
        app,
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code)
}

/// Runs the CLI on `args` (the first is the program name), writing to `out` and `err`, and
/// returns the exit code.
pub fn run(
    app: impl IntoApp,
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = if e.use_stderr() {
                write!(err, "{}", e.render())
            } else {
                write!(out, "{}", e.render())
            };
            return code;
        }
    };
    let app = match app.into_app() {
        Ok(a) => a,
        Err(e) => return fail(err, "the app could not be built", e.as_ref()),
    };
    match cli.command {
        Command::Synth { out: dir } => synth_to(&app, &dir, out, err),
        Command::Graph { format } => {
            let format = match format {
                Format::Mermaid => GraphFormat::Mermaid,
                Format::Dot => GraphFormat::Dot,
            };
            match synth::graph(&app, format) {
                Ok(g) => match out.write_all(g.as_bytes()) {
                    Ok(()) => 0,
                    Err(e) => fail(err, "could not write the graph", &e),
                },
                Err(e) => fail(err, "cannot draw the graph", &e),
            }
        }
        Command::Plan => not_built(err, "plan"),
        Command::Apply => not_built(err, "apply"),
        Command::Destroy => not_built(err, "destroy"),
        Command::Drift => not_built(err, "drift"),
    }
}

fn not_built(err: &mut dyn Write, command: &str) -> u8 {
    let _ = writeln!(
        err,
        "pipewright: `{command}` is not built yet; this version can `synth` and `graph` (deploy the synthesized template with CloudFormation meanwhile)"
    );
    1
}

/// Prints `context` and the whole error chain, and returns exit code 1.
fn fail(err: &mut dyn Write, context: &str, e: &dyn Error) -> u8 {
    let _ = writeln!(err, "error: {context}: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        let _ = writeln!(err, "  caused by: {s}");
        source = s.source();
    }
    1
}

fn synth_to(app: &App, dir: &Path, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let templates = match synth::synthesize(app) {
        Ok(t) => t,
        Err(e) => return fail(err, "cannot synthesize", &e),
    };
    let desired = app.desired();
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
    if let Err(e) = std::fs::create_dir_all(dir) {
        return fail(err, &format!("cannot create {}", dir.display()), &e);
    }
    for (path, body, what) in &files {
        if let Err(e) = std::fs::write(path, body) {
            return fail(err, &format!("cannot write {}", path.display()), &e);
        }
        let _ = writeln!(out, "wrote {} ({what})", path.display());
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_str(app: impl IntoApp, args: &[&str]) -> (u8, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut argv = vec!["pipewright"];
        argv.extend(args);
        let code = run(app, argv, &mut out, &mut err);
        (
            code,
            String::from_utf8_lossy(&out).into(),
            String::from_utf8_lossy(&err).into(),
        )
    }

    #[test]
    fn unbuilt_commands_say_so_and_exit_1() {
        for cmd in ["plan", "apply", "destroy", "drift"] {
            let (code, _, err) = run_str(App::new("shop").unwrap(), &[cmd]);
            assert_eq!(code, 1);
            assert!(err.contains(&format!("`{cmd}` is not built yet")), "{err}");
        }
    }

    #[test]
    fn usage_errors_exit_2() {
        let (code, _, err) = run_str(App::new("shop").unwrap(), &["frobnicate"]);
        assert_eq!(code, 2);
        assert!(err.contains("frobnicate"));
    }

    #[test]
    fn invalid_app_prints_every_violation_and_exits_1() {
        let mut app = App::new("shop").unwrap();
        let b = app.add(
            crate::model::ArtifactBucket::builder()
                .name("shop-artifacts")
                .build()
                .unwrap(),
        );
        app.add(
            crate::model::Pipeline::builder()
                .name("ship")
                .artifact_store(&b)
                .build()
                .unwrap(),
        );
        let (code, out, err) = run_str(app, &["graph"]);
        assert_eq!(code, 1);
        assert!(out.is_empty());
        assert_eq!(
            err,
            "error: cannot draw the graph: the app is invalid\n  caused by: 1 violation:\n  pipeline[ship].stages \"0\": a pipeline needs at least 2 stages\n"
        );
    }

    #[test]
    fn build_errors_are_reported() {
        let r: Result<App, crate::model::NameError> = App::new("Bad");
        let (code, _, err) = run_str(r, &["synth"]);
        assert_eq!(code, 1);
        assert!(err.starts_with("error: the app could not be built: app name \"Bad\" is invalid"));
    }
}
