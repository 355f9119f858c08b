//! The bundled LocalStack: an AWS emulator on loopback for trying pipewright without an account,
//! and for the integration tests.
//!
//! LocalStack's community edition runs from PyPI in a virtual environment, with pipewright's
//! extension serving CodeCommit, CodeBuild, CodeDeploy and CodePipeline. Everything needed travels
//! inside this crate (the launcher, a fully pinned requirements lock and the extension sources), so
//! any program that depends on pipewright can start the same emulator: the files are written into a
//! state directory and the launcher is run from there with `python3`.
//!
//! The state directory holds the virtual environment (made once, about 30 s, then reused) and one
//! folder per running instance (pid, endpoint, log, data). It defaults to the user's cache
//! directory (`$PIPEWRIGHT_LOCALSTACK_HOME`, else `$XDG_CACHE_HOME/pipewright/localstack`, else
//! `~/.cache/pipewright/localstack`); this repository's scripts use `.localstack/` instead.

use std::{
    ffi::OsString,
    fs,
    io::{self, Read},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};

include!(concat!(env!("OUT_DIR"), "/localstack_bundle.rs"));

/// Where the launcher is written inside the state directory.
const BUNDLE_DIR: &str = "bundle";
/// How many lines of the launcher's own output an error quotes.
const ERROR_TAIL_LINES: usize = 30;

/// How to start, find or stop a LocalStack instance.
///
/// # Examples
///
/// ```no_run
/// use pipewright::local::LocalOptions;
///
/// let emulator = LocalOptions::default().start()?;
/// println!("LocalStack serves at {}", emulator.endpoint());
/// # Ok::<(), pipewright::local::LocalError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct LocalOptions {
    state_dir: Option<PathBuf>,
    instance: Option<String>,
    port: Option<u16>,
    owner_pid: Option<u32>,
    timeout: Duration,
    python: Option<PathBuf>,
    show_progress: bool,
    quiet_if_running: bool,
    run_hooks: bool,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            state_dir: None,
            instance: None,
            port: None,
            owner_pid: None,
            timeout: Duration::from_secs(120),
            python: None,
            show_progress: false,
            quiet_if_running: false,
            run_hooks: false,
        }
    }
}

/// A LocalStack instance that serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalStack {
    endpoint: String,
}

impl LocalStack {
    /// The endpoint to send requests to, such as `http://127.0.0.1:4566`.
    #[must_use]
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
}

/// Why the bundled LocalStack could not be started, found or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// The Python interpreter that runs the launcher is not installed.
    #[error(
        "cannot run `{python}`: the bundled LocalStack needs Python 3.10 or 3.11 \
         (install python3, or set PIPEWRIGHT_PYTHON to an interpreter)"
    )]
    PythonMissing {
        /// The interpreter that was tried.
        python: String,
    },
    /// The state directory could not be prepared.
    #[error("cannot write the LocalStack state directory {}", .path.display())]
    StateDir {
        /// The directory.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: io::Error,
    },
    /// The launcher ran and reported a failure.
    #[error("`localstack {action}` failed (exit {code}):\n{output}")]
    Launcher {
        /// `start`, `stop` or `status`.
        action: &'static str,
        /// The launcher's exit code (-1 when killed by a signal).
        code: i32,
        /// The end of what the launcher printed, which includes the emulator's log on a failed start.
        output: String,
    },
}

impl LocalOptions {
    /// Keeps the virtual environment and instance files in `dir` instead of the user cache.
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Names the instance (default `default`): separate instances run side by side.
    pub fn instance(mut self, name: impl Into<String>) -> Self {
        self.instance = Some(name.into());
        self
    }

    /// Listens on this loopback port; `0` picks a free one. The `default` instance uses 4566.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Makes the emulator exit by itself a few seconds after process `pid` is gone.
    ///
    /// Test harnesses pass their own pid so that no emulator outlives the run, even when the run
    /// panics or is killed.
    pub fn owner_pid(mut self, pid: u32) -> Self {
        self.owner_pid = Some(pid);
        self
    }

    /// How long `start` may wait for the emulator to serve (default 120 s). The first start also
    /// creates the virtual environment, which takes longer (about 30 s more).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs the launcher with this interpreter (default: `$PIPEWRIGHT_PYTHON`, else `python3`).
    pub fn python(mut self, python: impl Into<PathBuf>) -> Self {
        self.python = Some(python.into());
        self
    }

    /// Lets the launcher's progress messages (environment creation, waiting) through to stderr.
    pub fn show_progress(mut self, show: bool) -> Self {
        self.show_progress = show;
        self
    }

    /// Says nothing when [`start`](Self::start) finds the instance already serving, so that
    /// commands run against it again and again stay quiet; a real start still shows progress.
    pub fn quiet_if_running(mut self, quiet: bool) -> Self {
        self.quiet_if_running = quiet;
        self
    }

    /// Starts the emulator so that CodeDeploy deployments run the AppSpec's hook scripts on this
    /// machine (each in its own process group, with the revision as working directory, the
    /// agent's variables, a scratch `HOME` and its `timeout`). Off by default: hook events are
    /// then `Skipped`, saying why. A start with hooks replaces a running instance without them.
    pub fn run_hooks(mut self, run: bool) -> Self {
        self.run_hooks = run;
        self
    }

    /// The state directory these options resolve to.
    #[must_use]
    pub fn resolved_state_dir(&self) -> PathBuf {
        self.state_dir.clone().unwrap_or_else(default_state_dir)
    }

    /// Starts the instance, or finds it already serving, and returns its endpoint.
    ///
    /// Blocks until the emulator answers (bounded by [`LocalOptions::timeout`]). A second call while
    /// the instance runs returns the same endpoint without starting anything.
    ///
    /// # Errors
    ///
    /// [`LocalError::PythonMissing`] without an interpreter, [`LocalError::StateDir`] when the state
    /// directory cannot be written, [`LocalError::Launcher`] (with the log's tail) when the
    /// environment cannot be installed or the emulator does not come up.
    pub fn start(&self) -> Result<LocalStack, LocalError> {
        let mut args = self.instance_args();
        if let Some(port) = self.port {
            args.extend(["--port".into(), port.to_string().into()]);
        }
        if let Some(pid) = self.owner_pid {
            args.extend(["--owner-pid".into(), pid.to_string().into()]);
        }
        args.extend([
            "--timeout".into(),
            self.timeout.as_secs().max(1).to_string().into(),
        ]);
        if self.quiet_if_running {
            args.push("--quiet-if-running".into());
        }
        if self.run_hooks {
            args.push("--run-hooks".into());
        }
        let stdout = self.run("start", args)?;
        Ok(LocalStack {
            endpoint: last_line(&stdout),
        })
    }

    /// Returns the instance's endpoint when it is running, `None` otherwise.
    ///
    /// # Errors
    ///
    /// As [`LocalOptions::start`], when the launcher itself cannot run.
    pub fn status(&self) -> Result<Option<LocalStack>, LocalError> {
        match self.run("status", self.instance_args()) {
            Ok(stdout) => Ok(Some(LocalStack {
                endpoint: first_word(&stdout),
            })),
            // The launcher's documented "not running" answer.
            Err(LocalError::Launcher { code: 3, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Stops the instance and waits until its process is gone; success when it was not running.
    ///
    /// # Errors
    ///
    /// As [`LocalOptions::start`].
    pub fn stop(&self) -> Result<(), LocalError> {
        self.run("stop", self.instance_args()).map(drop)
    }

    /// Runs `instances ARGS` in the running emulator (`add --tag KEY=VALUE [--count N]`, `list`,
    /// `remove [ID ...] [--tag KEY=VALUE]`): EC2 instances in the emulator's EC2, tagged, that
    /// CodeDeploy deployment groups select by their tag filters. Returns what the launcher
    /// printed: one instance id per line for `add` and `remove`, `ID STATE TAGS` for `list`.
    ///
    /// # Errors
    ///
    /// As [`LocalOptions::start`]; [`LocalError::Launcher`] when the instance is not running or
    /// the arguments are refused.
    pub fn instances<I, S>(&self, args: I) -> Result<String, LocalError>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut all = self.instance_args();
        all.extend(args.into_iter().map(Into::into));
        self.run("instances", all)
    }

    fn instance_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["--state-dir".into(), self.resolved_state_dir().into()];
        if let Some(instance) = &self.instance {
            args.extend(["--instance".into(), instance.into()]);
        }
        args
    }

    /// Writes the bundle and runs `launcher.py ACTION ARGS`, returning its standard output.
    fn run(&self, action: &'static str, args: Vec<OsString>) -> Result<String, LocalError> {
        let state_dir = self.resolved_state_dir();
        let launcher =
            write_bundle(&state_dir.join(BUNDLE_DIR)).map_err(|source| LocalError::StateDir {
                path: state_dir.clone(),
                source,
            })?;
        let python = self.python.clone().unwrap_or_else(|| {
            std::env::var_os("PIPEWRIGHT_PYTHON")
                .map_or_else(|| PathBuf::from("python3"), PathBuf::from)
        });
        let mut command = Command::new(&python);
        command
            .arg(&launcher)
            .arg(action)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        command.stderr(if self.show_progress {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
        let child = command.spawn().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied => {
                LocalError::PythonMissing {
                    python: python.display().to_string(),
                }
            }
            _ => LocalError::StateDir {
                path: state_dir.clone(),
                source: e,
            },
        })?;
        let output = child
            .wait_with_output()
            .map_err(|source| LocalError::StateDir {
                path: state_dir,
                source,
            })?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            return Ok(stdout);
        }
        let mut said = String::from_utf8_lossy(&output.stderr).into_owned();
        said.push_str(&stdout);
        Err(LocalError::Launcher {
            action,
            code: output.status.code().unwrap_or(-1),
            output: tail(&said, ERROR_TAIL_LINES),
        })
    }
}

/// The state directory used when none is given: `$PIPEWRIGHT_LOCALSTACK_HOME`, else the user's
/// cache directory.
#[must_use]
pub fn default_state_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PIPEWRIGHT_LOCALSTACK_HOME") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            let home = PathBuf::from(std::env::var_os("HOME")?);
            Some(if cfg!(target_os = "macos") {
                home.join("Library/Caches")
            } else {
                home.join(".cache")
            })
        })
        .unwrap_or_else(std::env::temp_dir);
    cache.join("pipewright").join("localstack")
}

/// Writes every bundled file under `dir` (only those whose contents differ, so a running emulator's
/// sources are not rewritten needlessly) and returns the launcher's path.
fn write_bundle(dir: &Path) -> io::Result<PathBuf> {
    for (relative, contents) in BUNDLE {
        let path = dir.join(relative);
        if same_contents(&path, contents) {
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        // Write then rename, so a concurrent start never reads half a file.
        let partial = path.with_extension("partial");
        fs::write(&partial, contents)?;
        fs::rename(&partial, &path)?;
    }
    Ok(dir.join("launcher.py"))
}

fn same_contents(path: &Path, contents: &[u8]) -> bool {
    let Ok(mut file) = fs::File::open(path) else {
        return false;
    };
    let mut existing = Vec::with_capacity(contents.len());
    file.read_to_end(&mut existing).is_ok() && existing == contents
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn first_word(text: &str) -> String {
    text.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_holds_the_launcher_lock_and_extension() {
        let names: Vec<&str> = BUNDLE.iter().map(|(n, _)| *n).collect();
        assert!(names.contains(&"launcher.py"), "{names:?}");
        assert!(names.contains(&"requirements.lock"), "{names:?}");
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("extension/") && n.ends_with(".py")),
            "{names:?}"
        );
        assert!(
            names
                .iter()
                .all(|n| !n.contains("__pycache__") && !n.contains(".egg-info")),
            "{names:?}"
        );
    }

    #[test]
    fn the_lock_pins_every_package() {
        let (_, lock) = BUNDLE
            .iter()
            .find(|(n, _)| *n == "requirements.lock")
            .expect("the bundle holds the lock");
        let lock = std::str::from_utf8(lock).expect("the lock is text");
        for line in lock.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            assert!(line.contains("=="), "unpinned requirement: {line}");
        }
    }

    #[test]
    fn writing_the_bundle_twice_is_stable() {
        let dir = std::env::temp_dir().join(format!("pipewright-bundle-{}", std::process::id()));
        let launcher = write_bundle(&dir).expect("first write");
        let before = fs::metadata(&launcher)
            .and_then(|m| m.modified())
            .expect("mtime");
        write_bundle(&dir).expect("second write");
        let after = fs::metadata(&launcher)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(before, after, "unchanged files are not rewritten");
        for (relative, contents) in BUNDLE {
            assert_eq!(fs::read(dir.join(relative)).expect("written"), *contents);
        }
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(
            last_line("progress\nhttp://127.0.0.1:4566\n\n"),
            "http://127.0.0.1:4566"
        );
    }

    #[test]
    fn a_missing_interpreter_is_named() {
        let dir = std::env::temp_dir().join(format!("pipewright-nopython-{}", std::process::id()));
        let err = LocalOptions::default()
            .state_dir(&dir)
            .python("/nonexistent/python3")
            .status()
            .expect_err("no interpreter");
        assert!(matches!(err, LocalError::PythonMissing { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/python3"), "{err}");
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
