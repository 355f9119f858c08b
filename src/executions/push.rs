//! Putting a directory on a CodeCommit branch with the plain `git` CLI: the work tree's `HEAD`
//! when the directory is the top of a git work tree, otherwise one commit of its files on top of
//! the branch.
//!
//! git runs with a scrubbed environment (no host AWS variables), never prompts, and gets its
//! credentials from a helper that reads them from its own environment, so they never appear in
//! a command line, a URL or an error message.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use tokio::process::Command;

/// How git authenticates to a repository's HTTPS URL.
#[derive(Clone, PartialEq, Eq)]
pub enum GitAuth {
    /// No credentials (the bundled emulator accepts any).
    None,
    /// A username and password for the URL's host, such as CodeCommit's SigV4-signed pair.
    Basic {
        /// The username.
        username: String,
        /// The password.
        password: String,
    },
}

impl fmt::Debug for GitAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { .. } => f.write_str("Basic(..)"),
        }
    }
}

/// Where to push: a repository's clone URL and how to authenticate there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRemote {
    /// The clone URL (`cloneUrlHttp`), or a path for tests.
    pub url: String,
    /// The credentials git gives that URL.
    pub auth: GitAuth,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The commit the branch now points at.
    pub commit: String,
    /// Whether it was the work tree's `HEAD` (else a commit made of the directory's files).
    pub from_work_tree: bool,
    /// Whether the work tree had changes that were not committed, and so not pushed.
    pub uncommitted: bool,
}

/// Why a push failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The directory does not exist or is not a directory.
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// git could not be run.
    #[error("cannot run git (is it installed?)")]
    NoGit(#[source] std::io::Error),
    /// A git step failed; its own words.
    #[error("git {step} failed: {message}")]
    Git {
        /// What was being done, such as `push`.
        step: &'static str,
        /// What git said (credentials are never part of it).
        message: String,
    },
    /// A temporary folder could not be made.
    #[error("cannot make a temporary git folder")]
    Temp(#[source] std::io::Error),
}

/// How long one git command may take (a push of a large tree over a slow link included).
const GIT_TIMEOUT: Duration = Duration::from_secs(600);

/// The environment variables git keeps: what it needs to run and find itself, nothing that
/// could carry the caller's AWS credentials into a helper.
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

struct Git<'a> {
    auth: &'a GitAuth,
    git_dir: Option<&'a Path>,
    work_tree: &'a Path,
}

impl Git<'_> {
    async fn run(&self, step: &'static str, args: &[&str]) -> Result<String, PushError> {
        let mut cmd = Command::new("git");
        cmd.env_clear();
        for key in KEPT_ENV {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            // Reset every credential helper of the user's configuration, then ours: it answers
            // `get` from its own environment, so the secret is in no argument and no URL.
            .env("GIT_CONFIG_COUNT", "2")
            .env("GIT_CONFIG_KEY_0", "credential.helper")
            .env("GIT_CONFIG_VALUE_0", "")
            .env("GIT_CONFIG_KEY_1", "credential.helper")
            .env(
                "GIT_CONFIG_VALUE_1",
                "!f() { test \"$1\" = get && test -n \"$PIPEWRIGHT_GIT_USERNAME\" && \
                 printf 'username=%s\\npassword=%s\\n' \"$PIPEWRIGHT_GIT_USERNAME\" \
                 \"$PIPEWRIGHT_GIT_PASSWORD\"; }; f",
            )
            .env("GIT_AUTHOR_NAME", "pipewright")
            .env("GIT_AUTHOR_EMAIL", "pipewright@localhost")
            .env("GIT_COMMITTER_NAME", "pipewright")
            .env("GIT_COMMITTER_EMAIL", "pipewright@localhost");
        if let GitAuth::Basic { username, password } = self.auth {
            cmd.env("PIPEWRIGHT_GIT_USERNAME", username)
                .env("PIPEWRIGHT_GIT_PASSWORD", password);
        }
        match self.git_dir {
            Some(dir) => {
                cmd.env("GIT_DIR", dir).env("GIT_WORK_TREE", self.work_tree);
            }
            None => {
                cmd.current_dir(self.work_tree);
            }
        }
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(PushError::NoGit)?;
        let out = tokio::time::timeout(GIT_TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| PushError::Git {
                step,
                message: format!("no answer in {} s", GIT_TIMEOUT.as_secs()),
            })?
            .map_err(PushError::NoGit)?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            let said = String::from_utf8_lossy(&out.stderr);
            Err(PushError::Git {
                step,
                message: said.trim().lines().last().unwrap_or("failed").to_owned(),
            })
        }
    }
}

/// Puts `dir` on `branch` of `remote`: its `HEAD` when `dir` is the top of a git work tree (a
/// non-fast-forward is refused, as git refuses it), otherwise one commit of its files (as its
/// `.gitignore` files say) whose parent is the branch's current commit, if the branch exists.
///
/// # Errors
/// [`PushError`]: the directory, git's absence, or the git step that failed in git's words.
pub async fn push(dir: &Path, remote: &GitRemote, branch: &str) -> Result<Pushed, PushError> {
    if !dir.is_dir() {
        return Err(PushError::NotADirectory(dir.to_owned()));
    }
    let refspec_target = format!("refs/heads/{branch}");
    let in_place = Git {
        auth: &remote.auth,
        git_dir: None,
        work_tree: dir,
    };
    // Only the top of a work tree pushes its HEAD: a folder inside a larger repository (a
    // sample app in a monorepo) goes up as its own files.
    let top = in_place
        .run("rev-parse", &["rev-parse", "--show-toplevel"])
        .await
        .ok()
        .and_then(|t| std::fs::canonicalize(t).ok());
    if top.is_some() && top == std::fs::canonicalize(dir).ok() {
        let commit = in_place.run("rev-parse", &["rev-parse", "HEAD"]).await?;
        let uncommitted = !in_place
            .run("status", &["status", "--porcelain"])
            .await?
            .is_empty();
        let spec = format!("HEAD:{refspec_target}");
        in_place
            .run("push", &["push", "--quiet", &remote.url, &spec])
            .await?;
        return Ok(Pushed {
            commit,
            from_work_tree: true,
            uncommitted,
        });
    }

    let stamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let temp_root = std::env::temp_dir();
    // A push killed before its clean-up (SIGKILL, a closed laptop) left its folder: the next
    // one removes those whose process is gone.
    sweep_stale_folders(&temp_root);
    let temp = temp_root.join(format!("{TEMP_PREFIX}{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&temp).map_err(PushError::Temp)?;
    let result = commit_and_push(dir, remote, &refspec_target, &temp).await;
    let _ = std::fs::remove_dir_all(&temp);
    result
}

/// The start of a push's temporary folder's name: `pipewright-push-<pid>-<nanoseconds>`.
const TEMP_PREFIX: &str = "pipewright-push-";

/// Removes the temporary folders under `root` that pushes left when killed: only names of our
/// pattern (`pipewright-push-<pid>-<digits>`) whose process `<pid>` no longer runs. A folder of
/// a running push, or of a pid that was reused since, is left (the safe side); one that cannot
/// be removed (another user's) is left too.
fn sweep_stale_folders(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(stale_folder_pid) else {
            continue;
        };
        if pid != std::process::id() && !process_runs(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The pid in a temporary folder's name, when the name is exactly our pattern.
fn stale_folder_pid(name: &str) -> Option<u32> {
    let (pid, stamp) = name.strip_prefix(TEMP_PREFIX)?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(stamp)).then(|| pid.parse().ok())?
}

/// Whether process `pid` runs: `/proc/<pid>` where there is a `/proc`, else `kill -0` (which
/// also says no for another user's process: its folder then cannot be removed anyway).
fn process_runs(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new(&format!("/proc/{pid}")).exists();
    }
    std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_or(true, |s| s.success())
}

async fn commit_and_push(
    dir: &Path,
    remote: &GitRemote,
    target_ref: &str,
    temp: &Path,
) -> Result<Pushed, PushError> {
    let git_dir = temp.join("git");
    let git = Git {
        auth: &remote.auth,
        git_dir: Some(&git_dir),
        work_tree: dir,
    };
    git.run("init", &["init", "--quiet"]).await?;
    // The branch's current commit becomes the parent, so the push is a fast-forward; a branch
    // that does not exist yet is created.
    let parent = match git
        .run(
            "fetch",
            &["fetch", "--quiet", "--depth=1", &remote.url, target_ref],
        )
        .await
    {
        Ok(_) => Some(git.run("rev-parse", &["rev-parse", "FETCH_HEAD"]).await?),
        Err(PushError::Git { message, .. }) if message.contains("couldn't find remote ref") => None,
        Err(e) => return Err(e),
    };
    git.run("add", &["add", "--all", "."]).await?;
    let tree = git.run("write-tree", &["write-tree"]).await?;
    let message = format!("pipewright push of {}", dir.display());
    let mut args: Vec<&OsStr> = vec![
        "commit-tree".as_ref(),
        tree.as_ref(),
        "-m".as_ref(),
        message.as_ref(),
    ];
    if let Some(p) = &parent {
        args.push("-p".as_ref());
        args.push(p.as_ref());
    }
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    let commit = git.run("commit-tree", &args).await?;
    let spec = format!("{commit}:{target_ref}");
    git.run("push", &["push", "--quiet", &remote.url, &spec])
        .await?;
    Ok(Pushed {
        commit,
        from_work_tree: false,
        uncommitted: false,
    })
}

/// The username and password CodeCommit's HTTPS git endpoint accepts for these credentials,
/// signed with SigV4 for `host` (`git-codecommit.<region>.amazonaws.com`) and `path`
/// (`/v1/repos/<name>`) at `time`, as AWS's `git-remote-codecommit` signs them: the canonical
/// request `GIT\n<path>\n\nhost:<host>\n\nhost\n`, service `codecommit`, and the password
/// `<timestamp>Z<signature>`. The username is the access key, with `%<session token>` for
/// temporary credentials.
#[must_use]
pub fn codecommit_auth(
    access_key: &str,
    secret_key: &str,
    session_token: Option<&str>,
    region: &str,
    host: &str,
    path: &str,
    time: SystemTime,
) -> GitAuth {
    use sha2::Digest;
    let stamp = timestamp(time);
    let date = &stamp[..8];
    let canonical = format!("GIT\n{path}\n\nhost:{host}\n\nhost\n");
    let hashed = hex::encode(sha2::Sha256::digest(canonical.as_bytes()));
    let to_sign =
        format!("AWS4-HMAC-SHA256\n{stamp}\n{date}/{region}/codecommit/aws4_request\n{hashed}");
    let key = aws_sigv4::sign::v4::generate_signing_key(secret_key, time, region, "codecommit");
    let signature = aws_sigv4::sign::v4::calculate_signature(key, to_sign.as_bytes());
    let username = match session_token {
        Some(token) => format!("{access_key}%{token}"),
        None => access_key.to_owned(),
    };
    GitAuth::Basic {
        username,
        password: format!("{stamp}Z{signature}"),
    }
}

/// `YYYYMMDDTHHMMSS` in UTC.
fn timestamp(time: SystemTime) -> String {
    let secs = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(i64::try_from(days).unwrap_or(0));
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}",
        rest / 3600,
        (rest % 3600) / 60,
        rest % 60
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_times() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_581_445); // 2025-12-01 09:30:45
        assert_eq!(timestamp(t), "20251201T093045");
        assert_eq!(timestamp(SystemTime::UNIX_EPOCH), "19700101T000000");
        let leap = SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "20000229T000000");
    }

    #[test]
    fn a_signed_codecommit_password_names_its_time_and_never_shows_in_debug() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_581_445);
        let auth = codecommit_auth(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("token"),
            "eu-west-1",
            "git-codecommit.eu-west-1.amazonaws.com",
            "/v1/repos/shop",
            t,
        );
        let GitAuth::Basic { username, password } = &auth else {
            panic!("signed credentials expected");
        };
        assert_eq!(username, "AKIDEXAMPLE%token");
        assert!(password.starts_with("20251201T093045Z"), "{password}");
        assert_eq!(password.len(), "20251201T093045Z".len() + 64);
        assert_eq!(format!("{auth:?}"), "Basic(..)");
        // Deterministic for the same inputs, different for another path.
        assert_eq!(
            auth,
            codecommit_auth(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                Some("token"),
                "eu-west-1",
                "git-codecommit.eu-west-1.amazonaws.com",
                "/v1/repos/shop",
                t
            )
        );
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "pipewright-push-test-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[tokio::test]
    async fn a_plain_directory_is_pushed_as_one_commit_on_top_of_the_branch() {
        let root = scratch("plain");
        let bare = root.join("remote.git");
        std::fs::create_dir_all(&bare).unwrap();
        git(&bare, &["init", "--bare", "--quiet"]);
        let remote = GitRemote {
            url: bare.display().to_string(),
            auth: GitAuth::None,
        };
        let app = root.join("app");
        std::fs::create_dir_all(app.join("src")).unwrap();
        std::fs::write(app.join("src/main.txt"), "one").unwrap();
        std::fs::write(app.join(".gitignore"), "secret.env\n").unwrap();
        std::fs::write(app.join("secret.env"), "KEY=1").unwrap();

        let first = push(&app, &remote, "main").await.unwrap();
        assert!(!first.from_work_tree);
        std::fs::write(app.join("src/main.txt"), "two").unwrap();
        let second = push(&app, &remote, "main").await.unwrap();

        assert_eq!(git(&bare, &["rev-parse", "main"]), second.commit);
        assert_eq!(
            git(&bare, &["rev-parse", "main^"]),
            first.commit,
            "a fast-forward"
        );
        assert_eq!(git(&bare, &["show", "main:src/main.txt"]), "two");
        let files = git(&bare, &["ls-tree", "-r", "--name-only", "main"]);
        assert!(
            !files.contains("secret.env"),
            "ignored files stay home: {files}"
        );
        assert!(
            !app.join(".git").exists(),
            "the directory is left as it was"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[tokio::test]
    async fn a_work_tree_pushes_its_head_and_says_what_was_not_committed() {
        let root = scratch("tree");
        let bare = root.join("remote.git");
        std::fs::create_dir_all(&bare).unwrap();
        git(&bare, &["init", "--bare", "--quiet"]);
        let tree = root.join("tree");
        std::fs::create_dir_all(&tree).unwrap();
        git(&tree, &["init", "--quiet"]);
        std::fs::write(tree.join("a.txt"), "a").unwrap();
        git(&tree, &["add", "a.txt"]);
        git(&tree, &["commit", "--quiet", "-m", "first"]);
        std::fs::write(tree.join("b.txt"), "not committed").unwrap();
        let head = git(&tree, &["rev-parse", "HEAD"]);
        let remote = GitRemote {
            url: bare.display().to_string(),
            auth: GitAuth::None,
        };
        let pushed = push(&tree, &remote, "release").await.unwrap();
        assert_eq!(pushed.commit, head);
        assert!(pushed.from_work_tree && pushed.uncommitted);
        assert_eq!(git(&bare, &["rev-parse", "release"]), head);
        let err = push(&root.join("missing"), &remote, "main")
            .await
            .unwrap_err();
        assert!(matches!(err, PushError::NotADirectory(_)), "{err}");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn only_our_folders_whose_process_is_gone_are_swept() {
        let root = scratch("sweep");
        // A pid that ran and ended (reaped: `/proc` no longer has it).
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        let dead = ended.id();
        ended.wait().unwrap();
        let names = [
            format!("pipewright-push-{dead}-17"),
            format!("pipewright-push-{}-18", std::process::id()),
            format!("pipewright-push-{dead}-x"),
            format!("pipewright-push-test-{dead}-y"),
            format!("other-{dead}-19"),
        ];
        for name in &names {
            std::fs::create_dir_all(root.join(name).join("git")).unwrap();
        }
        sweep_stale_folders(&root);
        let mut left: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let mut kept = names[1..].to_vec();
        kept.sort();
        assert_eq!(left, kept, "only the dead push's folder goes");
        assert_eq!(stale_folder_pid("pipewright-push-12-34"), Some(12));
        assert_eq!(stale_folder_pid("pipewright-push-12-"), None);
        assert_eq!(stale_folder_pid("pipewright-push-99999999999-1"), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
