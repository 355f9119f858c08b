//! `logs [--pipeline NAME] [--execution ID] [--action STAGE/ACTION] [--follow]`: the build log of
//! an action's build.

use std::io::Write;
use std::time::Duration;

use crate::cli::connect::{Target, connect};
use crate::cli::error::{CliError, Exit};
use crate::cli::follow::{Console, INTERRUPTED, PipelineArg};
use crate::executions::{ActionStatus, ExecutionId, LogCursor, is_build_id};
use crate::model::{App, ResourceKind};
use crate::provider::api::ErrorClass;

/// Example: `logs --action Build/Compile --follow` prints the log of the latest execution's
/// `Build/Compile` build and follows it until the build ends. Without `--action`: the failed
/// build action, else the last build action that ran.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: logs --action Build/Compile --follow prints the log of the latest \
                  execution's Build/Compile build and follows it until the build ends."
)]
pub(crate) struct Args {
    #[command(flatten)]
    pipeline: PipelineArg,
    /// The execution (default: the latest).
    #[arg(long, value_name = "ID")]
    execution: Option<String>,
    /// The build action, STAGE/ACTION.
    #[arg(long, value_name = "STAGE/ACTION", value_parser = parse_action)]
    action: Option<(String, String)>,
    /// Keep printing lines until the build ends.
    #[arg(long)]
    follow: bool,
}

fn parse_action(raw: &str) -> Result<(String, String), String> {
    raw.split_once('/')
        .filter(|(s, a)| !s.is_empty() && !a.is_empty())
        .map(|(s, a)| (s.to_owned(), a.to_owned()))
        .ok_or_else(|| format!("\"{raw}\" is not STAGE/ACTION"))
}

/// How many times (2 s apart) `--follow` looks for the build of an action that has not told it
/// yet: half an hour.
const WAIT_FOR_BUILD: u32 = 900;

/// Pages read at most at once: 10,000 events each, AWS's page.
const MAX_PAGES: usize = 1000;

impl Args {
    /// Prints the log on `out`; when the console's interrupt (Ctrl-C) fires first, stops
    /// reading (never the build), says how to stop the execution, and exits 130.
    pub(crate) async fn run(
        self,
        app: &App,
        target: &Target,
        console: &mut Console,
        out: &mut dyn Write,
    ) -> Exit {
        let mut pipeline = None;
        let read = tokio::select! {
            biased;
            () = console.interrupt.wait() => None,
            r = self.read(app, target, &mut pipeline, out) => Some(r),
        };
        if let Some(result) = read {
            return result;
        }
        let _ = writeln!(
            out,
            "stopped following the log; the build goes on (`stop --pipeline {}` stops its execution)",
            pipeline.as_deref().unwrap_or("NAME")
        );
        let _ = out.flush();
        Ok(INTERRUPTED)
    }

    /// Prints the log on `out`; `resolved` is the pipeline, once known.
    async fn read(
        self,
        app: &App,
        target: &Target,
        resolved: &mut Option<String>,
        out: &mut dyn Write,
    ) -> Exit {
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        *resolved = Some(pipeline.clone());
        let source = &session.executions;
        let id = match &self.execution {
            Some(id) => ExecutionId::new(id),
            None => source
                .executions(&pipeline, 1)
                .await
                .map_err(|e| {
                    CliError::new(format!("cannot list the executions of \"{pipeline}\""), e)
                })?
                .into_iter()
                .next()
                .map(|e| e.id)
                .ok_or_else(|| {
                    CliError::message(format!(
                        "pipeline \"{pipeline}\" has no execution yet (`run` starts one)"
                    ))
                })?,
        };
        // The providers the app declares, to tell a build action from another by name.
        let providers: Vec<(String, String, String)> = session
            .desired
            .resources
            .iter()
            .filter(|r| {
                r.resource.kind == ResourceKind::Pipeline && r.resource.physical_name == pipeline
            })
            .flat_map(|r| {
                r.resource.properties["Stages"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .flat_map(|stage| {
                let name = stage["Name"].as_str().unwrap_or_default().to_owned();
                stage["Actions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |a| {
                        (
                            name.clone(),
                            a["Name"].as_str().unwrap_or_default().to_owned(),
                            a["ActionTypeId"]["Provider"]
                                .as_str()
                                .unwrap_or_default()
                                .to_owned(),
                        )
                    })
            })
            .collect();
        if let Some((stage, action)) = &self.action {
            match providers.iter().find(|(s, a, _)| s == stage && a == action) {
                None => {
                    return Err(CliError::message(format!(
                        "pipeline \"{pipeline}\" has no action {stage}/{action}"
                    ))
                    .exit_code(2));
                }
                Some((_, _, provider)) if provider != "CodeBuild" => {
                    return Err(CliError::message(format!(
                        "pipeline \"{pipeline}\": {stage}/{action} is a {provider} action, not a \
                         build: it has no build log"
                    )));
                }
                Some(_) => {}
            }
        }
        // With --follow, an action that runs but has not told its build yet is waited for
        // (every 2 s, at most WAIT_FOR_BUILD), as an action that has not started yet is.
        let mut waited = 0;
        let ran = loop {
            let state = source.state(&pipeline).await.map_err(|e| {
                CliError::new(format!("cannot read the state of \"{pipeline}\""), e)
            })?;
            let ran: Vec<(String, String, Option<String>, Option<ActionStatus>)> = state
                .stages
                .iter()
                .filter(|s| s.execution.as_ref() == Some(&id))
                .flat_map(|s| {
                    s.actions.iter().map(|a| {
                        (
                            s.name.clone(),
                            a.name.clone(),
                            a.external_id.clone(),
                            a.status.clone(),
                        )
                    })
                })
                .collect();
            let pending = self.follow
                && self.action.as_ref().is_some_and(|(stage, action)| {
                    !ran.iter().any(|(s, a, b, st)| {
                        s == stage
                            && a == action
                            && (b.is_some()
                                || st
                                    .as_ref()
                                    .is_some_and(|st| *st != ActionStatus::InProgress))
                    })
                });
            if !pending || waited >= WAIT_FOR_BUILD {
                break ran;
            }
            waited += 1;
            tokio::time::sleep(Duration::from_secs(2)).await;
        };
        let (stage, action, build) = match &self.action {
            Some((stage, action)) => {
                let build = ran
                    .iter()
                    .find(|(s, a, ..)| s == stage && a == action)
                    .and_then(|(_, _, b, _)| b.clone())
                    .ok_or_else(|| {
                        CliError::message(format!(
                            "pipeline \"{pipeline}\", execution {id}: {stage}/{action} has no \
                             build yet (`watch` follows the execution until it starts one)"
                        ))
                    })?;
                (stage.clone(), action.clone(), build)
            }
            None => {
                let builds: Vec<_> = ran
                    .iter()
                    .filter(|(.., b, _)| b.as_deref().is_some_and(is_build_id))
                    .collect();
                let picked = builds
                    .iter()
                    .find(|(.., st)| *st == Some(ActionStatus::Failed))
                    .or(builds.last())
                    .ok_or_else(|| {
                        CliError::message(format!(
                            "pipeline \"{pipeline}\", execution {id} has started no build yet \
                             (say which action with --action STAGE/ACTION)"
                        ))
                    })?;
                let why = if picked.3 == Some(ActionStatus::Failed) {
                    "the failed build"
                } else {
                    "the last build"
                };
                let _ = writeln!(
                    out,
                    "# {}/{}: {why} of execution {id} (--action picks another)",
                    picked.0, picked.1
                );
                (
                    picked.0.clone(),
                    picked.1.clone(),
                    picked.2.clone().unwrap_or_default(),
                )
            }
        };
        let not_yet = || {
            CliError::message(format!(
                "pipeline \"{pipeline}\": the log of {stage}/{action} (build {build}) is not there \
                 yet; try again in a moment, or with --follow"
            ))
        };
        let read_build = || async {
            source.build(&build).await.map_err(|e| {
                CliError::new(format!("cannot read build {build} of {stage}/{action}"), e)
            })
        };
        let mut current = read_build().await?;
        let mut cursor = loop {
            match (&current.log, self.follow && !current.status.is_final()) {
                (Some(log), _) => break LogCursor::new(log.clone()),
                (None, true) => {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    current = read_build().await?;
                }
                (None, false) => return Err(not_yet()),
            }
        };
        loop {
            let ended = current.status.is_final();
            let mut pages = 0;
            loop {
                let page = cursor.page(source.as_ref()).await;
                let (lines, more) = match page {
                    Ok(p) => p,
                    Err(e)
                        if e.class == ErrorClass::NotFound
                            || e.code == "ResourceNotFoundException" =>
                    {
                        if self.follow && !ended {
                            (Vec::new(), false)
                        } else {
                            return Err(not_yet());
                        }
                    }
                    Err(e) => {
                        return Err(CliError::new(
                            format!("cannot read the log of {stage}/{action}"),
                            e,
                        ));
                    }
                };
                for l in lines {
                    let _ = writeln!(out, "{}", l.message);
                }
                pages += 1;
                if !more || pages >= MAX_PAGES {
                    break;
                }
            }
            if !self.follow || ended {
                return Ok(0);
            }
            let _ = out.flush();
            tokio::time::sleep(Duration::from_secs(2)).await;
            current = read_build().await?;
        }
    }
}
