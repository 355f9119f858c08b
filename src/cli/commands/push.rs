//! `push [DIR] [--pipeline NAME] [--branch B]`: puts DIR on the branch the pipeline's CodeCommit
//! source watches, which starts the pipeline as a push by hand would.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::connect::{Target, connect};
use crate::cli::error::{CliError, Exit};
use crate::cli::follow::{Console, PipelineArg, View, follow_with, layout};
use crate::cli::render::{JSON_VERSION, Style};
use crate::executions::{Follow, push};
use crate::model::{App, ResourceKind};

/// Example: `push --watch` puts the current directory's git `HEAD` (or, when it is not the top of
/// a git work tree, one commit of its files) on the source branch and follows the execution that
/// starts.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example: push --watch puts the current directory's git HEAD (or, when it is not the top of a git work tree, one commit of its files) on the source branch and follows the execution that starts."
)]
pub(crate) struct Args {
    /// The directory to push (default: the current one).
    #[arg(default_value = ".")]
    dir: PathBuf,
    #[command(flatten)]
    pipeline: PipelineArg,
    /// The branch (default: the one the pipeline's CodeCommit source watches).
    #[arg(long, value_name = "B")]
    branch: Option<String>,
    /// Then follow the execution the push starts to its end (exit 0 only if it succeeds).
    #[arg(long)]
    watch: bool,
    /// With --watch: approve each manual approval that execution reaches.
    #[arg(long, requires = "watch")]
    approve: bool,
    /// NDJSON events on stdout, one per line, each with `"v": 1` (the README lists them).
    #[arg(long)]
    json: bool,
}

/// The repository and branch of the pipeline's first CodeCommit source action, from its
/// resolved properties.
fn source_of(properties: &Value) -> Option<(String, String)> {
    properties["Stages"].as_array()?.iter().find_map(|stage| {
        stage["Actions"].as_array()?.iter().find_map(|action| {
            if action["ActionTypeId"]["Provider"] != "CodeCommit" {
                return None;
            }
            let config = &action["Configuration"];
            Some((
                config["RepositoryName"].as_str()?.to_owned(),
                config["BranchName"].as_str()?.to_owned(),
            ))
        })
    })
}

/// Whether `dir` holds at least one file, at any depth (git commits files, never an empty
/// folder). Stops at the first one found.
fn holds_a_file(dir: &Path) -> bool {
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => pending.push(entry.path()),
                Ok(_) => return true,
                Err(_) => {}
            }
        }
    }
    false
}

impl Args {
    /// Pushes the directory and says which commit the branch now has.
    pub(crate) async fn run(
        self,
        app: &App,
        target: &Target,
        console: &mut Console,
        out: &mut dyn Write,
    ) -> Exit {
        // Refused before any request: a commit of nothing would replace the branch's files
        // with an empty tree.
        if self.dir.is_dir() && !holds_a_file(&self.dir) {
            return Err(CliError::message(format!(
                "cannot push {}: it holds no file and is not a git work tree; nothing was pushed",
                self.dir.display()
            )));
        }
        let session = connect(app, target).await?;
        let pipeline = self.pipeline.resolve(&session)?;
        let properties = session
            .desired
            .resources
            .iter()
            .find(|r| {
                r.resource.kind == ResourceKind::Pipeline && r.resource.physical_name == pipeline
            })
            .map(|r| &r.resource.properties)
            .ok_or_else(|| CliError::message(format!("the app has no pipeline \"{pipeline}\"")))?;
        let (repository, watched) = source_of(properties).ok_or_else(|| {
            CliError::message(format!(
                "pipeline \"{pipeline}\" has no CodeCommit source action to push to"
            ))
        })?;
        let branch = self.branch.unwrap_or(watched);
        let remote = session
            .executions
            .git_remote(&repository)
            .await
            .map_err(|e| {
                CliError::new(
                    format!("cannot find repository \"{repository}\" (has the app been applied?)"),
                    e,
                )
            })?;
        let pushed = push(&self.dir, &remote, &branch).await.map_err(|e| {
            CliError::new(
                format!(
                    "cannot push {} to {repository}/{branch}",
                    self.dir.display()
                ),
                e,
            )
        })?;
        let what = if pushed.from_work_tree {
            "HEAD"
        } else {
            "its files"
        };
        if self.json {
            let event = serde_json::json!({
                "v": JSON_VERSION, "type": "pushed", "repository": repository, "branch": branch,
                "commit": pushed.commit, "from_work_tree": pushed.from_work_tree,
                "uncommitted": pushed.uncommitted,
            });
            let _ = writeln!(out, "{event}");
        } else {
            let _ = writeln!(
                out,
                "pushed {} ({what}) to {repository}/{branch}: {}",
                self.dir.display(),
                pushed.commit
            );
        }
        if pushed.uncommitted && !self.json {
            let _ = writeln!(
                out,
                "note: changes not committed in the work tree were not pushed"
            );
        }
        if !self.watch {
            return Ok(0);
        }
        let which = Follow::Commit(pushed.commit);
        let view = View {
            style: Style::pick(self.json, console.terminal),
            layout: layout(&session, &pipeline),
        };
        follow_with(
            &session.executions,
            &pipeline,
            which,
            self.approve,
            view,
            &mut console.interrupt,
            out,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_pushed_branch_is_the_one_the_codecommit_source_watches() {
        let p = json!({"Stages": [
            {"Actions": [{"ActionTypeId": {"Provider": "S3"}, "Configuration": {}}]},
            {"Actions": [{"ActionTypeId": {"Provider": "CodeCommit"},
                          "Configuration": {"RepositoryName": "shop-api", "BranchName": "main"}}]}
        ]});
        assert_eq!(source_of(&p), Some(("shop-api".into(), "main".into())));
        assert_eq!(source_of(&json!({"Stages": []})), None);
    }
}
