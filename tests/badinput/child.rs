//! Real processes for the CLI: this test binary runs itself as the child, with an environment the
//! test chooses (cleared by default), so credentials, region and endpoint come only from what a
//! test sets. The child's entry point is the ignored test [`entry`]; it runs `cli::run` on the app
//! and arguments named in its environment and exits with the CLI's code.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pipewright::model::{App, BuildError};

const APP_VAR: &str = "PIPEWRIGHT_BADINPUT_APP";
const ARGS_VAR: &str = "PIPEWRIGHT_BADINPUT_ARGS";
const SEP: char = '\u{1f}';

/// How long any child may run before it counts as a hang.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(90);

/// Credentials a test sets, distinctive so that a leak is found by searching for them.
pub(crate) const ACCESS_KEY_ID: &str = "AKIDBADINPUTLEAKCHECK7";
pub(crate) const SECRET_ACCESS_KEY: &str = "pw/secretAccessKey+MustNeverBePrinted0042";
pub(crate) const SESSION_TOKEN: &str = "pwSessionTokenMustNeverBePrinted/FQoGZXIvYXdzE+0042";

/// The app a child runs, by name.
fn app(which: &str) -> Result<App, BuildError> {
    if let Some(name) = which.strip_prefix("case:") {
        let case = crate::corpus::CASES
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no corpus case {name:?}"));
        return (case.app)();
    }
    if let Some(app_name) = which.strip_prefix("secrets:") {
        return crate::security::secrets_app(app_name);
    }
    if let Some(app_name) = which.strip_prefix("verbs:") {
        return crate::verbs::verbs_app(app_name);
    }
    match which {
        "valid" => crate::corpus::valid(),
        other => panic!("no app {other:?}"),
    }
}

#[test]
#[ignore = "the entry point of the child processes the other tests start; does nothing alone"]
fn entry() {
    let Ok(which) = std::env::var(APP_VAR) else {
        return;
    };
    let mut argv = vec!["pipewright".to_owned()];
    argv.extend(
        std::env::var(ARGS_VAR)
            .unwrap_or_default()
            .split(SEP)
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let code = runtime.block_on(pipewright::cli::run(
        app(&which),
        argv,
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    ));
    std::process::exit(code.into());
}

/// What a child did.
#[derive(Debug)]
pub(crate) struct Run {
    /// The exit code (`None` when killed by a signal or by the timeout).
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) took: Duration,
    pub(crate) timed_out: bool,
}

impl Run {
    /// Both streams, for scanning.
    pub(crate) fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A child about to run: `app` with CLI `args`, in an empty environment plus what is added.
pub(crate) struct Child {
    command: Command,
    /// The child's empty home, removed once it has run.
    home: PathBuf,
}

impl Child {
    pub(crate) fn new(app: &str, args: &[&str]) -> Self {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut command = Command::new(exe);
        command
            .args(["child::entry", "--exact", "--ignored", "--nocapture", "-q"])
            .args(["--test-threads", "1"])
            .env_clear()
            .env(APP_VAR, app)
            .env(ARGS_VAR, args.join(&SEP.to_string()));
        // An empty home: no shared config or credentials files, no SSO cache; no instance
        // metadata service either (it would be probed, slowly, on a machine that has none).
        let home = empty_home();
        command
            .env("HOME", &home)
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true");
        Self { command, home }
    }

    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// The distinctive access key, secret key and session token.
    pub(crate) fn credentials(self) -> Self {
        self.env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
            .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
    }

    /// Runs to the end, or kills the child after [`TIMEOUT`].
    pub(crate) fn run(mut self) -> Run {
        let started = Instant::now();
        let mut child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the test binary runs as a child");
        let mut out = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        let out = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = out.read_to_end(&mut s);
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = err.read_to_end(&mut s);
            s
        });
        let mut timed_out = false;
        let status = loop {
            if let Some(status) = child.try_wait().expect("the child can be waited for") {
                break status;
            }
            if started.elapsed() > TIMEOUT {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("a killed child can be waited for");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
        let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
        let _ = std::fs::remove_dir_all(&self.home);
        Run {
            code: status.code(),
            stdout: strip_harness(&stdout),
            stderr,
            took,
            timed_out,
        }
    }
}

/// The test harness announces the one test it runs before the CLI writes anything.
fn strip_harness(stdout: &str) -> String {
    const BANNER: &str = "running 1 test\n";
    match stdout.find(BANNER) {
        Some(i) => stdout[i + BANNER.len()..].to_owned(),
        None => stdout.to_owned(),
    }
}

fn empty_home() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "badinput-home-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary home");
    dir
}
