//! Bad input to the execution verbs (`push`, `run`, `watch`, `approve`, `logs`, `stop`, `retry`),
//! against LocalStack: an unknown pipeline, stage or action, a malformed argument, approving when
//! nothing waits or with a stale token, the log of an action that is not a build, retrying a
//! stage that did not fail, pushing what cannot be pushed. Each case runs the CLI in its own
//! process and must end with its exit code (1 an error, 2 a usage error), one paragraph on stderr
//! holding the words that say what is wrong, no panic, and nothing changed: the pipeline's
//! executions and its source branch are what they were before.
//!
//! [`CASES`] is data, rendered into `RELIABILITY.md` by [`record`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use pipewright::model::*;

use crate::child::{Child, Run};

/// The app of this module: a source, a build and a manual approval, so that an execution can be
/// caught waiting.
pub(crate) fn verbs_app(name: &str) -> Result<App, BuildError> {
    let mut app = App::new(name)?;
    let repo = app.add(Repository::builder().name(format!("{name}-src")).build()?);
    let bucket = app.add(
        ArtifactBucket::builder()
            .name(format!("{name}-artifacts"))
            .build()?,
    );
    let project = app.add(
        BuildProject::builder()
            .name(format!("{name}-build"))
            .buildspec(InlineBuildSpec::new().build(["echo building"]))
            .build()?,
    );
    let source = Artifact::new("Source");
    app.add(
        Pipeline::builder()
            .name(name)
            .artifact_store(&bucket)
            .stage(
                Stage::new("Source")
                    .action(CodeCommitSource::new("Checkout", &repo, "main").output(&source)),
            )
            .stage(Stage::new("Build").action(CodeBuild::new("Compile", &project).input(&source)))
            .stage(Stage::new("Approve").action(ManualApproval::new("Promote")))
            .build()?,
    );
    Ok(app)
}

/// When a case runs: what the pipeline is doing then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// Applied, nothing pushed yet: no execution of a commit.
    Fresh,
    /// An execution waits at the manual approval.
    Waiting,
    /// That execution succeeded; nothing runs.
    Done,
}

/// One bad invocation.
pub(crate) struct Case {
    pub(crate) verb: &'static str,
    /// What is wrong, for the report.
    pub(crate) what: &'static str,
    /// The arguments (`{pipeline}`, `{empty}`, `{missing}`, `{dir}`, `{execution}` replaced).
    pub(crate) args: &'static [&'static str],
    pub(crate) when: When,
    pub(crate) code: i32,
    /// Words stderr must hold (lower-cased comparison).
    pub(crate) words: &'static [&'static str],
}

macro_rules! case {
    ($verb:literal, $what:literal, [$($arg:literal),*], $when:ident, $code:literal, [$($w:literal),*]) => {
        Case {
            verb: $verb,
            what: $what,
            args: &[$($arg),*],
            when: When::$when,
            code: $code,
            words: &[$($w),*],
        }
    };
}

pub(crate) const CASES: &[Case] = &[
    case!(
        "run",
        "an unknown pipeline",
        ["run", "--pipeline", "no-such-pipeline"],
        Fresh,
        1,
        ["no pipeline \"no-such-pipeline\"", "its pipelines"]
    ),
    case!(
        "run",
        "a --var without =",
        ["run", "--var", "Env"],
        Fresh,
        2,
        ["\"Env\" is not NAME=VALUE"]
    ),
    case!(
        "run",
        "a --var with no name",
        ["run", "--var", "=staging"],
        Fresh,
        2,
        ["\"=staging\" is not NAME=VALUE"]
    ),
    case!(
        "run",
        "an undeclared variable (V1 pipeline)",
        ["run", "--var", "Env=staging"],
        Fresh,
        1,
        ["cannot start pipeline"]
    ),
    case!(
        "watch",
        "no execution of a commit yet: an unknown execution id",
        [
            "watch",
            "--execution",
            "00000000-0000-0000-0000-000000000000"
        ],
        Fresh,
        1,
        ["00000000-0000-0000-0000-000000000000"]
    ),
    case!(
        "watch",
        "an unknown pipeline",
        ["watch", "--pipeline", "no-such-pipeline"],
        Fresh,
        1,
        ["no pipeline \"no-such-pipeline\""]
    ),
    case!(
        "approve",
        "nothing waits",
        ["approve"],
        Fresh,
        1,
        ["has no approval waiting"]
    ),
    case!(
        "approve",
        "an unknown approval",
        ["approve", "--action", "Approve/Nope"],
        Waiting,
        1,
        ["no approval approve/nope waits", "approve/promote"]
    ),
    case!(
        "approve",
        "an action that is not an approval",
        ["approve", "--action", "Build/Compile"],
        Waiting,
        1,
        ["no approval build/compile waits"]
    ),
    case!(
        "approve",
        "nothing waits any more",
        ["approve"],
        Done,
        1,
        ["has no approval waiting"]
    ),
    case!(
        "logs",
        "an action that is not a build",
        ["logs", "--action", "Source/Checkout"],
        Waiting,
        1,
        ["codecommit action, not a build"]
    ),
    case!(
        "logs",
        "a manual approval",
        ["logs", "--action", "Approve/Promote"],
        Waiting,
        1,
        ["manual action, not a build"]
    ),
    case!(
        "logs",
        "an unknown action",
        ["logs", "--action", "Build/Nope"],
        Waiting,
        2,
        ["has no action build/nope"]
    ),
    case!(
        "logs",
        "an unknown stage",
        ["logs", "--action", "Nope/Compile"],
        Waiting,
        2,
        ["has no action nope/compile"]
    ),
    case!(
        "logs",
        "not STAGE/ACTION",
        ["logs", "--action", "Compile"],
        Waiting,
        2,
        ["\"compile\" is not stage/action"]
    ),
    case!(
        "logs",
        "an unknown pipeline",
        ["logs", "--pipeline", "no-such-pipeline"],
        Waiting,
        1,
        ["no pipeline \"no-such-pipeline\""]
    ),
    case!(
        "stop",
        "nothing runs",
        ["stop"],
        Done,
        1,
        ["no running execution"]
    ),
    case!(
        "stop",
        "an unknown execution",
        [
            "stop",
            "--execution",
            "00000000-0000-0000-0000-000000000000"
        ],
        Done,
        1,
        ["cannot stop execution 00000000-0000-0000-0000-000000000000"]
    ),
    case!(
        "retry",
        "nothing failed since: the failed execution's stage has succeeded again",
        ["retry"],
        Done,
        1,
        ["has no failed stage to retry"]
    ),
    case!(
        "retry",
        "a stage that did not fail",
        ["retry", "--execution", "{execution}", "--stage", "Build"],
        Done,
        1,
        ["cannot retry stage \"build\""]
    ),
    case!(
        "retry",
        "an unknown stage",
        ["retry", "--execution", "{execution}", "--stage", "Nope"],
        Done,
        1,
        ["cannot retry stage \"nope\""]
    ),
    case!(
        "push",
        "a directory that does not exist",
        ["push", "{missing}"],
        Fresh,
        1,
        ["cannot push", "{missing}"]
    ),
    case!(
        "push",
        "not a git work tree, and no files",
        ["push", "{empty}"],
        Fresh,
        1,
        ["cannot push", "{empty}"]
    ),
    case!(
        "push",
        "a branch name git refuses",
        ["push", "{dir}", "--branch", "bad..name"],
        Fresh,
        1,
        ["bad..name"]
    ),
    case!(
        "push",
        "an unknown pipeline",
        ["push", "{dir}", "--pipeline", "no-such-pipeline"],
        Fresh,
        1,
        ["no pipeline \"no-such-pipeline\""]
    ),
    case!(
        "push",
        "--approve without --watch",
        ["push", "{dir}", "--approve"],
        Fresh,
        2,
        ["--watch"]
    ),
];

/// What must not change: the pipeline's executions (id and status) and the source branch's head.
async fn snapshot(pipeline: &str, repository: &str) -> (Vec<(String, String)>, Option<String>) {
    let c = crate::harness::clients().await;
    let executions = c
        .codepipeline
        .list_pipeline_executions()
        .pipeline_name(pipeline)
        .send()
        .await
        .map(|l| {
            l.pipeline_execution_summaries()
                .iter()
                .map(|e| {
                    (
                        e.pipeline_execution_id().unwrap_or_default().to_owned(),
                        e.status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let head = c
        .codecommit
        .get_branch()
        .repository_name(repository)
        .branch_name("main")
        .send()
        .await
        .ok()
        .and_then(|b| b.branch.and_then(|b| b.commit_id));
    (executions, head)
}

/// The approval's token, once an execution waits at it (60 s at most).
async fn waiting_token(pipeline: &str) -> String {
    let c = crate::harness::clients().await;
    for _ in 0..600 {
        let state = c
            .codepipeline
            .get_pipeline_state()
            .name(pipeline)
            .send()
            .await
            .expect("the pipeline's state");
        let token = state
            .stage_states()
            .iter()
            .filter(|s| s.stage_name() == Some("Approve"))
            .flat_map(|s| s.action_states())
            .filter_map(|a| a.latest_execution())
            .find(|e| e.status().map(|s| s.as_str()) == Some("InProgress"))
            .and_then(|e| e.token().map(str::to_owned));
        if let Some(token) = token {
            return token;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no execution of {pipeline} waits at its approval after 60 s");
}

fn cli(app: &str, endpoint: &str, args: &[String]) -> Run {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["--endpoint-url", endpoint, "--region", "us-east-1"]);
    Child::new(app, &all).credentials().run()
}

/// What was checked of each case, for the report: (verb, what, exit code).
type Held = Vec<(&'static str, &'static str, i32)>;

fn check(
    case: &Case,
    run: &Run,
    replace: &dyn Fn(&str) -> String,
    before: &(Vec<(String, String)>, Option<String>),
    after: &(Vec<(String, String)>, Option<String>),
    failures: &mut Vec<String>,
) {
    let label = format!("{} ({}): {:?}", case.verb, case.what, case.args);
    let stderr = run.stderr.to_lowercase();
    let mut wrong = Vec::new();
    if run.timed_out || run.code != Some(case.code) {
        wrong.push(format!("exit {:?}, expected {}", run.code, case.code));
    }
    if stderr.contains("panicked") || stderr.contains("rust_backtrace") {
        wrong.push("a panic".into());
    }
    for word in case.words {
        if !stderr.contains(&replace(word).to_lowercase()) {
            wrong.push(format!("no {word:?}"));
        }
    }
    // One paragraph: no blank line inside, an `error:` first line (clap's usage errors end
    // with their usage and help lines, after one blank line).
    let paragraph = run.stderr.trim_end();
    let body = if case.code == 2 {
        paragraph.split("\n\n").next().unwrap_or_default()
    } else {
        paragraph
    };
    if !body.starts_with("error: ") || (case.code == 1 && body.contains("\n\n")) {
        wrong.push("not one `error:` paragraph".into());
    }
    if before != after {
        wrong.push(format!("changed: {before:?} -> {after:?}"));
    }
    if !wrong.is_empty() {
        failures.push(format!(
            "{label}: {}\n  stdout: {:?}\n  stderr: {:?}",
            wrong.join("; "),
            run.stdout,
            run.stderr
        ));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_invocation_of_an_execution_verb_is_refused_and_changes_nothing() {
    let endpoint = crate::harness::endpoint();
    let name = crate::harness::unique("verbs");
    let app = format!("verbs:{name}");
    let repository = format!("{name}-src");
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-dirs"));
    let (empty, missing, dir) = (tmp.join("empty"), tmp.join("missing"), tmp.join("files"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&empty).expect("an empty directory");
    std::fs::create_dir_all(&dir).expect("a directory");
    std::fs::write(dir.join("README"), "verbs\n").expect("a file");
    let path = |p: &Path| p.to_str().expect("a UTF-8 path").to_owned();

    let run_blocking = |args: Vec<String>| {
        let app = app.clone();
        tokio::task::spawn_blocking(move || cli(&app, endpoint, &args))
    };
    let applied = run_blocking(vec!["apply".into(), "--yes".into()])
        .await
        .expect("apply ran");
    assert_eq!(applied.code, Some(0), "{applied:?}");

    let mut failures = Vec::new();
    let mut execution = String::new();
    for when in [When::Fresh, When::Waiting, When::Done] {
        match when {
            When::Fresh => {}
            When::Waiting => {
                let pushed = run_blocking(vec!["push".into(), path(&dir)])
                    .await
                    .expect("push ran");
                assert_eq!(pushed.code, Some(0), "{pushed:?}");
                waiting_token(&name).await;
            }
            When::Done => {
                // A stale token: the one the approval waited with, answered already.
                let stale = waiting_token(&name).await;
                let approved = run_blocking(vec!["approve".into()])
                    .await
                    .expect("approve ran");
                assert_eq!(approved.code, Some(0), "{approved:?}");
                // The execution ends once approved.
                let mut ended = None;
                for _ in 0..300 {
                    let (executions, _) = snapshot(&name, &repository).await;
                    let latest = executions.first().map(|e| e.1.clone()).unwrap_or_default();
                    if latest != "InProgress" {
                        ended = Some(latest);
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                assert_eq!(ended.as_deref(), Some("Succeeded"), "{approved:?}");
                let before = snapshot(&name, &repository).await;
                let source =
                    pipewright::provider::aws::AwsExecutions::new(crate::harness::clients().await);
                let err = pipewright::executions::Executions::approve(
                    &source,
                    &name,
                    "Approve",
                    "Promote",
                    &pipewright::executions::ApprovalToken::new(stale),
                    pipewright::executions::Decision::Approve,
                    "",
                )
                .await
                .expect_err("a stale token is refused");
                // AWS's answer to the token of an approval already answered.
                if err.code != "ApprovalAlreadyCompletedException" {
                    failures.push(format!("stale token: {err:?}"));
                }
                let made_up = pipewright::executions::Executions::approve(
                    &source,
                    &name,
                    "Approve",
                    "Promote",
                    &pipewright::executions::ApprovalToken::new(
                        "00000000-0000-0000-0000-000000000000",
                    ),
                    pipewright::executions::Decision::Approve,
                    "",
                )
                .await
                .expect_err("a made-up token is refused");
                if made_up.code != "InvalidApprovalTokenException" {
                    failures.push(format!("made-up token: {made_up:?}"));
                }
                assert_eq!(before, snapshot(&name, &repository).await);
                execution = before.0.first().map(|e| e.0.clone()).unwrap_or_default();
            }
        }
        let replace = |s: &str| {
            s.replace("{pipeline}", &name)
                .replace("{empty}", &path(&empty))
                .replace("{missing}", &path(&missing))
                .replace("{dir}", &path(&dir))
                .replace("{execution}", &execution)
        };
        for case in CASES.iter().filter(|c| c.when == when) {
            let before = snapshot(&name, &repository).await;
            let args: Vec<String> = case.args.iter().map(|a| replace(a)).collect();
            let run = run_blocking(args).await.expect("the case ran");
            let after = snapshot(&name, &repository).await;
            check(case, &run, &replace, &before, &after, &mut failures);
        }
    }
    let destroyed = run_blocking(vec!["destroy".into(), "--yes".into()])
        .await
        .expect("destroy ran");
    assert_eq!(destroyed.code, Some(0), "{destroyed:?}");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
    let held: Held = CASES.iter().map(|c| (c.verb, c.what, c.code)).collect();
    crate::report::record_verbs(&held);
}
