//! CodeCommit as a git server: the git CLI clones, pushes and fetches at `cloneUrlHttp`, the
//! content APIs read and write the same repository, and every branch move reaches EventBridge.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use aws_sdk_codecommit::{
    primitives::Blob,
    types::{DeleteFileEntry, PutFileEntry},
};
use aws_sdk_codepipeline::types::TriggerType;
use aws_sdk_eventbridge::types::{RuleState, Target};

use crate::{
    codepipeline::declaration,
    harness::{clients, code, delete_role, role, unique},
};

/// A scratch folder for clones, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(unique(name));
        std::fs::create_dir_all(dir.join("home")).expect("create a scratch folder");
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the git CLI as a user would, with no configuration or credential helper of the host:
/// a prompt for credentials would fail the command rather than wait.
fn git_command(scratch: &Scratch, cwd: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args([
            "-c",
            "user.name=Pipewright Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "credential.helper=",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", scratch.path("home"))
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs")
}

/// Runs git and returns its trimmed stdout, failing the test when git fails.
fn git(scratch: &Scratch, cwd: &Path, args: &[&str]) -> String {
    let out = git_command(scratch, cwd, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn put_entry(path: &str, content: &str) -> PutFileEntry {
    PutFileEntry::builder()
        .file_path(path)
        .file_content(Blob::new(content.as_bytes()))
        .build()
        .expect("path set")
}

async fn create_repository(c: &pipewright::provider::aws::Clients, name: &str) -> String {
    c.codecommit
        .create_repository()
        .repository_name(name)
        .send()
        .await
        .expect("create repository")
        .repository_metadata()
        .and_then(|m| m.clone_url_http())
        .expect("a clone URL")
        .to_owned()
}

#[tokio::test]
async fn git_cli_pushes_and_fetches_and_the_apis_see_it() {
    let c = clients().await;
    let cc = &c.codecommit;
    let name = unique("git-push");
    let url = create_repository(&c, &name).await;
    // The clone URL points at the emulator itself, as AWS's points at its git endpoint.
    assert!(url.starts_with(crate::harness::endpoint()), "{url}");
    assert!(url.ends_with(&format!("/v1/repos/{name}")), "{url}");
    let got = cc.get_repository().repository_name(&name).send().await;
    let meta = got
        .expect("get")
        .repository_metadata()
        .cloned()
        .expect("meta");
    assert_eq!(meta.clone_url_http(), Some(url.as_str()));
    // An empty repository has no default branch (GetRepository omits it).
    assert_eq!(meta.default_branch(), None);

    let scratch = Scratch::new("git-push");
    let first = scratch.path("first");
    git(&scratch, &scratch.0, &["clone", &url, "first"]);
    std::fs::create_dir_all(first.join("src")).expect("mkdir");
    std::fs::write(first.join("src/main.rs"), "fn main() {}\n").expect("write");
    git(&scratch, &first, &["add", "."]);
    git(
        &scratch,
        &first,
        &["commit", "-q", "-m", "the first commit"],
    );
    git(&scratch, &first, &["push", "-q", "origin", "main"]);
    let pushed = git(&scratch, &first, &["rev-parse", "HEAD"]);

    // The APIs see the pushed commit.
    let branch = cc
        .get_branch()
        .repository_name(&name)
        .branch_name("main")
        .send()
        .await
        .expect("get branch");
    assert_eq!(
        branch.branch().and_then(|b| b.commit_id()),
        Some(pushed.as_str())
    );
    let commit = cc
        .get_commit()
        .repository_name(&name)
        .commit_id(&pushed)
        .send()
        .await
        .expect("get commit");
    let commit = commit.commit().expect("a commit");
    assert_eq!(commit.message(), Some("the first commit\n"));
    assert_eq!(
        commit.author().and_then(|a| a.email()),
        Some("test@example.com")
    );
    assert!(commit.parents().is_empty());
    let file = cc
        .get_file()
        .repository_name(&name)
        .file_path("src/main.rs")
        .send()
        .await
        .expect("get file");
    assert_eq!(file.file_content().as_ref(), b"fn main() {}\n");
    assert_eq!(file.commit_id(), pushed);
    // The first branch pushed becomes the default branch.
    let meta = cc.get_repository().repository_name(&name).send().await;
    let meta = meta
        .expect("get")
        .repository_metadata()
        .cloned()
        .expect("m");
    assert_eq!(meta.default_branch(), Some("main"));

    // A second clone fetches what was pushed, with any credentials in the URL.
    let with_credentials = url.replacen("http://", "http://someone:secret@", 1);
    git(
        &scratch,
        &scratch.0,
        &["clone", "-q", &with_credentials, "second"],
    );
    let second = scratch.path("second");
    assert_eq!(git(&scratch, &second, &["rev-parse", "HEAD"]), pushed);
    assert_eq!(
        std::fs::read_to_string(second.join("src/main.rs")).expect("cloned file"),
        "fn main() {}\n"
    );

    // CreateCommit moves the branch; git fetches the new commit.
    let created = cc
        .create_commit()
        .repository_name(&name)
        .branch_name("main")
        .parent_commit_id(&pushed)
        .author_name("API")
        .email("api@example.com")
        .commit_message("from the API")
        .put_files(put_entry("README.md", "hello\n"))
        .send()
        .await
        .expect("create commit");
    let api_commit = created.commit_id().expect("an id").to_owned();
    assert_eq!(created.files_added().len(), 1);
    assert_eq!(created.files_added()[0].absolute_path(), Some("README.md"));
    git(&scratch, &second, &["fetch", "-q", "origin"]);
    assert_eq!(
        git(&scratch, &second, &["rev-parse", "origin/main"]),
        api_commit
    );
    assert_eq!(
        git(&scratch, &second, &["show", "origin/main:README.md"]),
        "hello"
    );
    assert_eq!(
        git(&scratch, &second, &["rev-parse", "origin/main^"]),
        pushed
    );

    // PutFile too.
    let put = cc
        .put_file()
        .repository_name(&name)
        .branch_name("main")
        .parent_commit_id(&api_commit)
        .file_path("src/main.rs")
        .file_content(Blob::new("fn main() { println!(\"hi\"); }\n"))
        .commit_message("say hi")
        .send()
        .await
        .expect("put file");
    git(
        &scratch,
        &first,
        &["pull", "-q", "--ff-only", "origin", "main"],
    );
    assert_eq!(
        git(&scratch, &first, &["rev-parse", "HEAD"]),
        put.commit_id()
    );
    assert_eq!(
        git(&scratch, &first, &["rev-parse", "HEAD:src/main.rs"]),
        put.blob_id()
    );

    // GetFolder lists the tree.
    let root = cc
        .get_folder()
        .repository_name(&name)
        .folder_path("/")
        .send()
        .await
        .expect("get folder");
    let files: Vec<_> = root
        .files()
        .iter()
        .filter_map(|f| f.absolute_path())
        .collect();
    let folders: Vec<_> = root
        .sub_folders()
        .iter()
        .filter_map(|f| f.absolute_path())
        .collect();
    assert_eq!((files, folders), (vec!["README.md"], vec!["src"]));
    assert_eq!(root.commit_id(), put.commit_id());

    // Deleting the repository deletes its git data: the clone URL no longer serves.
    cc.delete_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("delete");
    let out = git_command(&scratch, &scratch.0, &["ls-remote", &url]);
    assert!(!out.status.success(), "ls-remote after delete succeeded");
    // A repository made again under the name is new and empty.
    let url = create_repository(&c, &name).await;
    let refs = git(&scratch, &scratch.0, &["ls-remote", &url]);
    assert_eq!(refs, "");
    cc.delete_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("delete");
}

#[tokio::test]
async fn create_commit_and_put_file_follow_codecommit_rules() {
    let c = clients().await;
    let cc = &c.codecommit;
    let name = unique("git-rules");
    create_repository(&c, &name).await;

    // No branch yet: the first commit creates it, with no parent.
    let first = cc
        .create_commit()
        .repository_name(&name)
        .branch_name("main")
        .put_files(put_entry("a/one.txt", "1"))
        .send()
        .await
        .expect("first commit");
    let first = first.commit_id().expect("id").to_owned();

    let commit = |parent: Option<&str>, branch: &str| {
        let mut call = cc
            .create_commit()
            .repository_name(&name)
            .branch_name(branch);
        if let Some(parent) = parent {
            call = call.parent_commit_id(parent);
        }
        call
    };
    // The branch exists: a parent is required, and it must be the tip.
    assert_eq!(
        code(
            commit(None, "main")
                .put_files(put_entry("b", "2"))
                .send()
                .await
        ),
        "ParentCommitIdRequiredException"
    );
    let missing = "0123456789abcdef0123456789abcdef01234567";
    assert_eq!(
        code(
            commit(Some(missing), "main")
                .put_files(put_entry("b", "2"))
                .send()
                .await
        ),
        "ParentCommitDoesNotExistException"
    );
    assert_eq!(
        code(
            commit(Some(&first), "elsewhere")
                .put_files(put_entry("b", "2"))
                .send()
                .await
        ),
        "BranchDoesNotExistException"
    );
    assert_eq!(
        code(
            commit(Some(&first), "main")
                .delete_files(
                    DeleteFileEntry::builder()
                        .file_path("not/there.txt")
                        .build()
                        .expect("path set")
                )
                .send()
                .await
        ),
        "FileDoesNotExistException"
    );
    assert_eq!(
        code(
            commit(Some(&first), "main")
                .put_files(put_entry("a/one.txt", "1"))
                .send()
                .await
        ),
        "NoChangeException"
    );
    assert_eq!(
        code(commit(Some(&first), "main").send().await),
        "FileEntryRequiredException"
    );
    // One path twice, a path that is both a file and a folder, in the request or against the
    // repository.
    let delete_one = || {
        DeleteFileEntry::builder()
            .file_path("a/one.txt")
            .build()
            .expect("path set")
    };
    assert_eq!(
        code(
            commit(Some(&first), "main")
                .delete_files(delete_one())
                .delete_files(delete_one())
                .send()
                .await
        ),
        "SamePathRequestException"
    );
    assert_eq!(
        code(
            commit(Some(&first), "main")
                .put_files(put_entry("x", "1"))
                .put_files(put_entry("x/y", "2"))
                .send()
                .await
        ),
        "PutFileEntryConflictException"
    );
    assert_eq!(
        code(
            commit(Some(&first), "main")
                .put_files(put_entry("a", "1"))
                .send()
                .await
        ),
        "FileNameConflictsWithDirectoryNameException"
    );
    assert_eq!(
        code(
            commit(Some(&first), "main")
                .put_files(put_entry("a/one.txt/two", "1"))
                .send()
                .await
        ),
        "DirectoryNameConflictsWithFileNameException"
    );

    let second = cc
        .put_file()
        .repository_name(&name)
        .branch_name("main")
        .parent_commit_id(&first)
        .file_path("a/one.txt")
        .file_content(Blob::new("one"))
        .send()
        .await
        .expect("put file");
    // The first commit is no longer the tip.
    assert_eq!(
        code(
            commit(Some(&first), "main")
                .put_files(put_entry("b", "2"))
                .send()
                .await
        ),
        "ParentCommitIdOutdatedException"
    );
    assert_eq!(
        code(
            cc.put_file()
                .repository_name(&name)
                .branch_name("main")
                .file_path("b")
                .file_content(Blob::new("2"))
                .send()
                .await
        ),
        "ParentCommitIdRequiredException"
    );
    assert_eq!(
        code(
            cc.put_file()
                .repository_name(&name)
                .branch_name("main")
                .parent_commit_id(second.commit_id())
                .file_path("a/one.txt")
                .file_content(Blob::new("one"))
                .send()
                .await
        ),
        "SameFileContentException"
    );

    // Deleting a file in a commit, and reading what each commit holds.
    let third = commit(Some(second.commit_id()), "main")
        .delete_files(
            DeleteFileEntry::builder()
                .file_path("a/one.txt")
                .build()
                .expect("path set"),
        )
        .put_files(put_entry("b.txt", "bee"))
        .send()
        .await
        .expect("delete and add");
    assert_eq!(third.files_deleted().len(), 1);
    let read = |spec: String, path: &'static str| {
        cc.get_file()
            .repository_name(&name)
            .commit_specifier(spec)
            .file_path(path)
            .send()
    };
    assert_eq!(
        code(read("main".into(), "a/one.txt").await),
        "FileDoesNotExistException"
    );
    let old = read(first.clone(), "a/one.txt").await.expect("old file");
    assert_eq!(old.file_content().as_ref(), b"1");
    assert_eq!(
        code(read(missing.into(), "b.txt").await),
        "CommitDoesNotExistException"
    );
    assert_eq!(
        code(
            cc.get_commit()
                .repository_name(&name)
                .commit_id(missing)
                .send()
                .await
        ),
        "CommitIdDoesNotExistException"
    );
    assert_eq!(
        code(
            cc.get_folder()
                .repository_name(&name)
                .folder_path("a")
                .send()
                .await
        ),
        "FolderDoesNotExistException"
    );

    // Branches.
    assert_eq!(
        code(
            cc.get_branch()
                .repository_name(&name)
                .branch_name("feature")
                .send()
                .await
        ),
        "BranchDoesNotExistException"
    );
    cc.create_branch()
        .repository_name(&name)
        .branch_name("feature")
        .commit_id(&first)
        .send()
        .await
        .expect("create branch");
    assert_eq!(
        code(
            cc.create_branch()
                .repository_name(&name)
                .branch_name("feature")
                .commit_id(&first)
                .send()
                .await
        ),
        "BranchNameExistsException"
    );
    assert_eq!(
        code(
            cc.create_branch()
                .repository_name(&name)
                .branch_name("other")
                .commit_id(missing)
                .send()
                .await
        ),
        "CommitDoesNotExistException"
    );
    let listed = cc
        .list_branches()
        .repository_name(&name)
        .send()
        .await
        .expect("list branches");
    assert_eq!(listed.branches(), ["feature", "main"]);
    assert_eq!(
        code(
            cc.delete_branch()
                .repository_name(&name)
                .branch_name("main")
                .send()
                .await
        ),
        "DefaultBranchCannotBeDeletedException"
    );
    let deleted = cc
        .delete_branch()
        .repository_name(&name)
        .branch_name("feature")
        .send()
        .await
        .expect("delete branch");
    assert_eq!(
        deleted.deleted_branch().and_then(|b| b.commit_id()),
        Some(first.as_str())
    );

    // Renaming keeps the content.
    let renamed = unique("git-renamed");
    cc.update_repository_name()
        .old_name(&name)
        .new_name(&renamed)
        .send()
        .await
        .expect("rename");
    let branch = cc
        .get_branch()
        .repository_name(&renamed)
        .branch_name("main")
        .send()
        .await
        .expect("branch after rename");
    assert_eq!(
        branch.branch().and_then(|b| b.commit_id()),
        third.commit_id()
    );
    cc.delete_repository()
        .repository_name(&renamed)
        .send()
        .await
        .expect("delete");
}

/// Every branch move emits `CodeCommit Repository State Change` on the default bus. The rules'
/// patterns pin the detail AWS documents (event, reference, commits, repository), so a started
/// pipeline proves the event matched them; a rule pinning another commit never fires.
#[tokio::test]
async fn branch_moves_emit_state_change_events() {
    let c = clients().await;
    let name = unique("git-events");
    let url = create_repository(&c, &name).await;
    let meta = c
        .codecommit
        .get_repository()
        .repository_name(&name)
        .send()
        .await;
    let meta = meta
        .expect("get")
        .repository_metadata()
        .cloned()
        .expect("m");
    let (repo_arn, repo_id) = (
        meta.arn().expect("arn").to_owned(),
        meta.repository_id().expect("id").to_owned(),
    );
    let events_role = unique("git-events-role");
    let pipeline_role = unique("git-pipeline-role");
    let events_role_arn = role(&c, &events_role, "events.amazonaws.com").await;
    let pipeline_role_arn = role(&c, &pipeline_role, "codepipeline.amazonaws.com").await;

    // One pipeline and rule per expected event, and one that must not fire.
    let mut watched = Vec::new();
    let mut watch = async |label: &str, detail: serde_json::Value| {
        let pipeline = unique(&format!("git-{label}"));
        c.codepipeline
            .create_pipeline()
            .pipeline(declaration(
                &pipeline,
                &pipeline_role_arn,
                "git-artifacts",
                &name,
            ))
            .send()
            .await
            .expect("create pipeline");
        let rule = unique(&format!("git-{label}"));
        let pattern = serde_json::json!({
            "source": ["aws.codecommit"],
            "detail-type": ["CodeCommit Repository State Change"],
            "resources": [repo_arn],
            "detail": detail,
        });
        c.eventbridge
            .put_rule()
            .name(&rule)
            .event_pattern(pattern.to_string())
            .state(RuleState::Enabled)
            .send()
            .await
            .expect("put rule");
        let arn = format!(
            "arn:aws:codepipeline:{}:000000000000:{pipeline}",
            c.region()
        );
        c.eventbridge
            .put_targets()
            .rule(&rule)
            .targets(
                Target::builder()
                    .id("pipeline")
                    .arn(arn)
                    .role_arn(&events_role_arn)
                    .build()
                    .expect("id and arn set"),
            )
            .send()
            .await
            .expect("put targets");
        watched.push((pipeline.clone(), rule));
        pipeline
    };

    // A push creates main.
    let scratch = Scratch::new("git-events");
    let work = scratch.path("work");
    git(&scratch, &scratch.0, &["init", "-q", "work"]);
    std::fs::write(work.join("f.txt"), "1").expect("write");
    git(&scratch, &work, &["add", "."]);
    git(&scratch, &work, &["commit", "-q", "-m", "one"]);
    let one = git(&scratch, &work, &["rev-parse", "HEAD"]);
    // No update ever moves a branch to the first commit: this rule must not fire.
    let never = watch(
        "never",
        serde_json::json!({ "event": ["referenceUpdated"], "commitId": [one] }),
    )
    .await;
    let created = watch(
        "created",
        serde_json::json!({
            "event": ["referenceCreated"],
            "referenceType": ["branch"],
            "referenceName": ["main"],
            "referenceFullName": ["refs/heads/main"],
            "commitId": [one],
            "repositoryName": [name],
            "repositoryId": [repo_id],
        }),
    )
    .await;
    git(&scratch, &work, &["push", "-q", &url, "main"]);

    // CreateCommit updates it. (The pattern cannot name the new commit, which only the call
    // returns: it pins the old one.)
    let updated_by_api = watch(
        "api",
        serde_json::json!({
            "event": ["referenceUpdated"],
            "referenceName": ["main"],
            "oldCommitId": [one],
        }),
    )
    .await;
    let two = c
        .codecommit
        .create_commit()
        .repository_name(&name)
        .branch_name("main")
        .parent_commit_id(&one)
        .put_files(put_entry("g.txt", "2"))
        .send()
        .await
        .expect("create commit");
    let two = two.commit_id().expect("id").to_owned();

    // A push updates it again.
    git(&scratch, &work, &["pull", "-q", "--ff-only", &url, "main"]);
    std::fs::write(work.join("f.txt"), "3").expect("write");
    git(&scratch, &work, &["commit", "-q", "-a", "-m", "three"]);
    let three = git(&scratch, &work, &["rev-parse", "HEAD"]);
    let pushed = watch(
        "pushed",
        serde_json::json!({
            "event": ["referenceUpdated"],
            "referenceName": ["main"],
            "oldCommitId": [two],
            "commitId": [three],
        }),
    )
    .await;
    git(&scratch, &work, &["push", "-q", &url, "main"]);

    // Branch created and deleted through the API.
    let deleted = watch(
        "deleted",
        serde_json::json!({
            "event": ["referenceDeleted"],
            "referenceName": ["topic"],
            "oldCommitId": [one],
        }),
    )
    .await;
    c.codecommit
        .create_branch()
        .repository_name(&name)
        .branch_name("topic")
        .commit_id(&one)
        .send()
        .await
        .expect("create branch");
    c.codecommit
        .delete_branch()
        .repository_name(&name)
        .branch_name("topic")
        .send()
        .await
        .expect("delete branch");
    for pipeline in [&created, &updated_by_api, &pushed, &deleted] {
        assert!(
            started_by_rule(&c, pipeline).await,
            "no event started {pipeline}"
        );
    }
    assert!(
        !started_by_rule(&c, &never).await,
        "an event with the wrong commit started {never}"
    );

    for (pipeline, rule) in &watched {
        c.eventbridge
            .remove_targets()
            .rule(rule)
            .ids("pipeline")
            .send()
            .await
            .expect("remove targets");
        c.eventbridge
            .delete_rule()
            .name(rule)
            .send()
            .await
            .expect("delete rule");
        c.codepipeline
            .delete_pipeline()
            .name(pipeline)
            .send()
            .await
            .expect("delete pipeline");
    }
    c.codecommit
        .delete_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("delete");
    delete_role(&c, &events_role).await;
    delete_role(&c, &pipeline_role).await;
}

/// Whether an EventBridge rule started the pipeline (bounded wait: delivery is asynchronous).
async fn started_by_rule(c: &pipewright::provider::aws::Clients, pipeline: &str) -> bool {
    for _ in 0..30 {
        let executions = c
            .codepipeline
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .send()
            .await
            .expect("executions");
        let by_rule = executions.pipeline_execution_summaries().iter().any(|e| {
            e.trigger().and_then(|t| t.trigger_type()) == Some(&TriggerType::CloudWatchEvent)
        });
        if by_rule {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Concurrent commits on one parent: exactly one moves the branch, every other gets
/// `ParentCommitIdOutdatedException` (the parent is no longer the tip), and the branch ends on
/// the winner, whose parent is the common one: no commit is lost or silently overwritten.
#[tokio::test]
async fn concurrent_commits_on_one_parent_succeed_once() {
    const CALLS: usize = 8;
    let c = clients().await;
    let name = unique("git-race");
    create_repository(&c, &name).await;
    let first = c
        .codecommit
        .create_commit()
        .repository_name(&name)
        .branch_name("main")
        .put_files(put_entry("f.txt", "0"))
        .send()
        .await
        .expect("first commit");
    let parent = first.commit_id().expect("id").to_owned();

    let mut calls = tokio::task::JoinSet::new();
    for i in 0..CALLS {
        let cc = c.codecommit.clone();
        let (name, parent) = (name.clone(), parent.clone());
        calls.spawn(async move {
            cc.create_commit()
                .repository_name(name)
                .branch_name("main")
                .parent_commit_id(parent)
                .put_files(put_entry("f.txt", &format!("{}", i + 1)))
                .send()
                .await
        });
    }
    let (mut won, mut lost) = (Vec::new(), Vec::new());
    while let Some(joined) = calls.join_next().await {
        match joined.expect("the call's task does not panic") {
            Ok(out) => won.push(out.commit_id().expect("id").to_owned()),
            Err(e) => lost.push(code::<(), _>(Err(e))),
        }
    }
    assert_eq!(won.len(), 1, "won {won:?}, lost {lost:?}");
    assert!(
        lost.iter().all(|c| c == "ParentCommitIdOutdatedException"),
        "{lost:?}"
    );
    let tip = c
        .codecommit
        .get_branch()
        .repository_name(&name)
        .branch_name("main")
        .send()
        .await
        .expect("branch");
    assert_eq!(
        tip.branch().and_then(|b| b.commit_id()),
        Some(won[0].as_str())
    );
    let commit = c
        .codecommit
        .get_commit()
        .repository_name(&name)
        .commit_id(&won[0])
        .send()
        .await
        .expect("commit");
    assert_eq!(
        commit.commit().map(|c| c.parents().to_vec()),
        Some(vec![parent])
    );
    c.codecommit
        .delete_repository()
        .repository_name(&name)
        .send()
        .await
        .expect("delete");
}
