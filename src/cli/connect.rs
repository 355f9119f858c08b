//! The step every AWS command starts with: validate the app, build the clients (starting the
//! bundled LocalStack for `--local`, off the runtime's threads), find the account, and resolve
//! the app for it.

use std::sync::Arc;

use clap::Args;

use super::error::CliError;
use crate::engine::{self, Env, Plan};
use crate::executions::Executions;
use crate::local::LocalOptions;
use crate::model::App;
use crate::provider::api::Provider;
use crate::provider::aws::{AwsExecutions, AwsProvider, ClientOptions, Clients};

/// Where the commands send their calls.
#[derive(Debug, Args)]
pub(super) struct Target {
    /// Use the bundled LocalStack on loopback (started in the background if it is not running,
    /// and left running; its environment and state live in the user cache folder,
    /// ~/.cache/pipewright/localstack, or $PIPEWRIGHT_LOCALSTACK_HOME). With --endpoint-url: use
    /// the emulator already listening there instead, with the emulator's test credentials.
    #[arg(long, global = true, conflicts_with = "profile")]
    local: bool,
    /// Send every AWS call to this URL (an emulator, a proxy, a VPC endpoint) with the usual
    /// credentials; AWS_ENDPOINT_URL does the same from the environment.
    #[arg(long, global = true, value_name = "URL", value_parser = endpoint_url)]
    endpoint_url: Option<String>,
    /// The AWS region (default: AWS_REGION or the profile's).
    #[arg(long, global = true)]
    region: Option<String>,
    /// The shared-config profile (default: AWS_PROFILE or `default`).
    #[arg(long, global = true)]
    profile: Option<String>,
}

/// Accepts `http://` and `https://` URLs with a host, so that a typo fails before any call.
fn endpoint_url(raw: &str) -> Result<String, String> {
    let rest = raw
        .strip_prefix("http://")
        .or_else(|| raw.strip_prefix("https://"))
        .ok_or_else(|| format!("endpoint URL \"{raw}\" must start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err(format!("endpoint URL \"{raw}\" has no valid host"));
    }
    Ok(raw.to_owned())
}

/// What every AWS command starts from: a provider and the app resolved for its account.
pub(super) struct Session {
    pub(super) provider: Arc<dyn Provider>,
    /// The same clients' pipeline executions.
    pub(super) executions: Arc<dyn Executions>,
    pub(super) desired: engine::ResolvedApp,
    pub(super) account: String,
    pub(super) region: String,
}

/// The context of every failure to start or reach the bundled LocalStack.
pub(super) const LOCAL_UNAVAILABLE: &str = "the bundled LocalStack is not available";

/// The context of an app refused before any call.
const INVALID: &str = "the app is invalid; nothing was sent to AWS";

/// Validates the app, builds the clients and the provider, and resolves the app for the account.
pub(super) async fn connect(app: &App, target: &Target) -> Result<Session, CliError> {
    let emulator = LocalOptions::default()
        .show_progress(true)
        .quiet_if_running(true);
    connect_with(app, target, emulator).await
}

/// [`connect`], starting the bundled LocalStack (for `--local` without `--endpoint-url`) with
/// `emulator`.
async fn connect_with(
    app: &App,
    target: &Target,
    emulator: LocalOptions,
) -> Result<Session, CliError> {
    crate::validate::validate(app).map_err(|e| CliError::new(INVALID, e))?;
    let mut options = if let (true, Some(url)) = (target.local, &target.endpoint_url) {
        ClientOptions::local(url)
    } else if target.local {
        let emulator = off_runtime(move || emulator.start())
            .await
            .map_err(|e| CliError::new(LOCAL_UNAVAILABLE, e))?;
        ClientOptions::local(emulator.endpoint())
    } else {
        let mut options = ClientOptions::default();
        if let Some(profile) = &target.profile {
            options = options.profile(profile);
        }
        if let Some(url) = &target.endpoint_url {
            options = options.endpoint(url);
        }
        options
    };
    if let Some(region) = &target.region {
        options = options.region(region);
    }
    let clients = Clients::load(&options)
        .await
        .map_err(|e| CliError::new("cannot configure the AWS clients", e))?;
    if !is_region_name(clients.region()) {
        return Err(CliError::message(format!(
            "{:?} is not an AWS region name (such as eu-west-1): check --region, AWS_REGION \
             and the profile's `region`; nothing was sent to AWS",
            clients.region()
        )));
    }
    let endpoint = clients.endpoint_url().map(str::to_owned);
    let region = clients.region().to_owned();
    // Limits that depend on the partition and region (the size of derived policies, whose ARNs
    // name both) are known before any call.
    let expanded = app.desired();
    let partition = engine::partition_of(&region);
    let mut violations = engine::check_keys_in(app, partition, &region);
    violations.extend(engine::check_limits_in(&expanded, partition, &region));
    if !violations.is_empty() {
        let e = crate::validate::ValidationError { violations };
        return Err(CliError::new(INVALID, e));
    }
    let executions = Arc::new(AwsExecutions::new(clients.clone()));
    let aws = AwsProvider::new(clients).await.map_err(|e| {
        CliError::message(format!(
            "cannot find out which AWS account to work in (sts:GetCallerIdentity failed): {e}\n  \
             check the credentials (environment, profile, SSO login, instance role), the region \
             ({region}), and the endpoint{}; or pass --local to use the bundled LocalStack",
            endpoint.map(|e| format!(" ({e})")).unwrap_or_default()
        ))
    })?;
    let env = Env::new(aws.partition(), aws.region(), aws.account());
    let (account, region) = (aws.account().to_owned(), aws.region().to_owned());
    let desired = engine::resolve(&expanded, &env)
        .map_err(|e| CliError::new("the app cannot be resolved for this account", e))?;
    Ok(Session {
        provider: Arc::new(aws),
        executions,
        desired,
        account,
        region,
    })
}

/// The region `target` resolves to, for a command that needs no AWS call: the app is validated
/// and the configuration chain read, nothing is sent.
pub(super) async fn offline_region(app: &App, target: &Target) -> Result<String, CliError> {
    crate::validate::validate(app).map_err(|e| CliError::new(INVALID, e))?;
    let mut options = match &target.endpoint_url {
        Some(url) if target.local => ClientOptions::local(url),
        _ if target.local => ClientOptions::local("http://127.0.0.1:4566"),
        _ => ClientOptions::default(),
    };
    if let Some(profile) = &target.profile {
        options = options.profile(profile);
    }
    if let Some(region) = &target.region {
        options = options.region(region);
    }
    let clients = Clients::load(&options)
        .await
        .map_err(|e| CliError::new("cannot configure the AWS clients", e))?;
    let region = clients.region().to_owned();
    if !is_region_name(&region) {
        return Err(CliError::message(format!(
            "{region:?} is not an AWS region name (such as eu-west-1): check --region, AWS_REGION \
             and the profile's `region`; nothing was sent to AWS"
        )));
    }
    Ok(region)
}

/// Runs `work`, which blocks (the emulator's launcher waits up to its start timeout), on tokio's
/// blocking pool, so that the runtime's threads go on driving the program's other tasks.
pub(super) async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => match e.try_into_panic() {
            // A panic in the work is the command's own.
            Ok(payload) => std::panic::resume_unwind(payload),
            // Blocking work is cancelled only when the runtime shuts down, which drops this
            // future before it could see the result.
            Err(e) => unreachable!("blocking work cancelled: {e}"),
        },
    }
}

/// The context of a failed read of AWS.
const READ_FAILED: &str = "cannot read the current state from AWS";

impl Session {
    /// What `apply` would change, with at most `concurrency` reads in flight.
    pub(super) async fn plan(&self, concurrency: usize) -> Result<Plan, CliError> {
        engine::plan(&self.desired, &self.provider, concurrency)
            .await
            .map_err(|e| CliError::new(READ_FAILED, e))
    }

    /// What `destroy` would delete: everything app `name` owns.
    pub(super) async fn plan_destroy(
        &self,
        name: &str,
        concurrency: usize,
    ) -> Result<Plan, CliError> {
        engine::plan_destroy(name, Some(&self.desired), &self.provider, concurrency)
            .await
            .map_err(|e| CliError::new(READ_FAILED, e))
    }
}

/// A region name must be a DNS label (every endpoint is built from it): lower-case letters,
/// digits and inner dashes, starting with a letter.
fn is_region_name(region: &str) -> bool {
    (1..=63).contains(&region.len())
        && region.starts_with(|c: char| c.is_ascii_lowercase())
        && !region.ends_with('-')
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// An interpreter for [`LocalOptions::python`], written into `dir`, that takes 2 s to fail
/// whatever it is asked: a slow emulator start without an emulator.
#[cfg(all(test, unix))]
pub(super) fn slow_launcher(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).expect("a temp dir");
    let python = dir.join("slow-python");
    std::fs::write(
        &python,
        "#!/bin/sh\nsleep 2\necho 'no emulator here' >&2\nexit 1\n",
    )
    .expect("the script");
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755))
        .expect("an executable script");
    python
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Bug 5: `--local` started the emulator (which waits up to 120 s) on the runtime's own
    /// threads, so every other task stood still meanwhile; on a current-thread runtime, all of
    /// them. A launcher that takes 2 s to fail stands in for a slow emulator.
    #[cfg(unix)]
    #[tokio::test(flavor = "current_thread")]
    async fn a_slow_emulator_start_leaves_the_runtime_free() {
        let dir =
            std::env::temp_dir().join(format!("pipewright-slow-start-{}", std::process::id()));
        let python = slow_launcher(&dir);
        let ticker = tokio::spawn(async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Instant::now()
        });
        let target = Target {
            local: true,
            endpoint_url: None,
            region: None,
            profile: None,
        };
        let emulator = LocalOptions::default().state_dir(&dir).python(&python);
        let app = App::new("shop").expect("a valid name");
        let Err(e) = connect_with(&app, &target, emulator).await else {
            panic!("no emulator can start");
        };
        let returned = Instant::now();
        let mut err = Vec::new();
        assert_eq!(e.print(&mut err), 1);
        let err = String::from_utf8_lossy(&err);
        assert!(
            err.starts_with(
                "error: the bundled LocalStack is not available: `localstack start` failed (exit 1)"
            ),
            "{err}"
        );
        let ticked = ticker.await.expect("the ticker ran");
        assert!(
            ticked + Duration::from_secs(1) < returned,
            "the timer fired {:?} after the start returned, not while it waited",
            ticked.saturating_duration_since(returned)
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn region_names_are_dns_labels() {
        for ok in [
            "us-east-1",
            "eu-west-3",
            "ap-southeast-5",
            "us-gov-west-1",
            "cn-north-1",
            "eu-isoe-west-1",
            "il-central-1",
        ] {
            assert!(is_region_name(ok), "{ok}");
        }
        for bad in [
            "",
            "eu west 1",
            "EU-WEST-1",
            "eu-west-1!",
            "-eu",
            "eu-",
            "1eu",
            "eu.west",
        ] {
            assert!(!is_region_name(bad), "{bad:?}");
        }
        assert!(!is_region_name(&"a".repeat(64)));
    }
}
