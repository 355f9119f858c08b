//! The commands that talk to AWS (`plan`, `apply`, `destroy`, `drift`) and the bundled LocalStack
//! (`local`). Each builds the provider from the command line, asks the engine, and renders what
//! comes back; nothing here decides anything the engine does not.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, Subcommand};
use serde_json::json;
use tokio::sync::mpsc;

use super::fail;
use crate::engine::{
    self, ApplyOptions, Change, EngineError, Env, Event, EventKind, EventResource, Plan, Report,
    Status,
};
use crate::local::{LocalError, LocalOptions};
use crate::model::App;
use crate::provider::api::{Provider, kind_word};
use crate::provider::aws::{AwsProvider, ClientOptions, Clients};

/// Where the commands send their calls.
#[derive(Debug, Args)]
pub(super) struct Target {
    /// Use the bundled LocalStack on loopback (started in the background if it is not running,
    /// and left running: its state lives in that process). With --endpoint-url: use the emulator
    /// already listening there instead, with the emulator's test credentials.
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

/// `local` subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum LocalCommand {
    /// Start the bundled LocalStack (or find it running) and print its endpoint.
    Start,
    /// Print the endpoint of the running LocalStack (exit 3 when it is not running).
    Status,
    /// Stop the bundled LocalStack and wait until it is gone.
    Stop,
}

/// The flags of `apply` and `destroy`.
pub(super) struct ApplyFlags {
    pub(super) yes: bool,
    /// Whether `apply` also deletes what the app no longer declares (`destroy` deletes all).
    pub(super) prune: bool,
    pub(super) concurrency: usize,
    /// Whether stderr is a terminal: the calls in flight then show on a line redrawn in place.
    pub(super) live: bool,
}

/// What every AWS command starts from: a provider and the app resolved for its account.
struct Session {
    provider: Arc<dyn Provider>,
    desired: engine::ResolvedApp,
    account: String,
    region: String,
}

/// SDK log targets whose debug events carry credentials: the resolved identity (access key id
/// in clear) in the auth and endpoint-resolution steps, and the request signer (canonical request
/// and signed headers, session token included).
const CREDENTIAL_LOGGERS: &[&str] = &[
    "aws_smithy_runtime::client::orchestrator::auth",
    "aws_smithy_runtime::client::orchestrator::endpoints",
    "aws_sigv4",
];

/// Whether an event may hold a credential, whatever filter was asked for: every trace event of
/// the SDK's crates (they dump runtime components, identities and whole requests), and the debug
/// events of [`CREDENTIAL_LOGGERS`].
fn may_hold_credentials(meta: &tracing::Metadata<'_>) -> bool {
    let target = meta.target();
    let level = *meta.level();
    (level == tracing::Level::TRACE && target.starts_with("aws_"))
        || (level >= tracing::Level::DEBUG
            && CREDENTIAL_LOGGERS.iter().any(|t| target.starts_with(t)))
}

/// Turns on tracing on stderr for `-v` (pipewright), `-vv` (the AWS SDK too), or `RUST_LOG`.
///
/// No verbosity prints credentials: the SDK's events that may hold them are dropped even when
/// `RUST_LOG` asks for them.
pub(super) fn init_tracing(verbose: u8) {
    use tracing_subscriber::{Layer, layer::SubscriberExt, util::SubscriberInitExt};
    let from_env = std::env::var_os("RUST_LOG").is_some();
    if verbose == 0 && !from_env {
        return;
    }
    let filter = if from_env {
        tracing_subscriber::EnvFilter::from_default_env()
    } else if verbose == 1 {
        tracing_subscriber::EnvFilter::new("pipewright=debug")
    } else {
        tracing_subscriber::EnvFilter::new(
            "pipewright=trace,aws_config=debug,aws_smithy_runtime=debug",
        )
    };
    let safe = tracing_subscriber::filter::filter_fn(|meta| !may_hold_credentials(meta));
    // A second initialisation (tests run the CLI many times) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(safe),
        )
        .try_init();
}

/// Validates the app, builds the clients and the provider, and resolves the app for the account.
async fn connect(app: &App, target: &Target, err: &mut dyn Write) -> Result<Session, u8> {
    if let Err(e) = crate::validate::validate(app) {
        return Err(fail(err, "the app is invalid; nothing was sent to AWS", &e));
    }
    let mut options = if let (true, Some(url)) = (target.local, &target.endpoint_url) {
        ClientOptions::local(url)
    } else if target.local {
        let emulator = LocalOptions::default()
            .show_progress(true)
            .quiet_if_running(true)
            .start();
        match emulator {
            Ok(emulator) => ClientOptions::local(emulator.endpoint()),
            Err(e) => return Err(local_failure(err, &e)),
        }
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
    let clients = match Clients::load(&options).await {
        Ok(c) => c,
        Err(e) => return Err(fail(err, "cannot configure the AWS clients", &e)),
    };
    if !is_region_name(clients.region()) {
        let _ = writeln!(
            err,
            "error: {:?} is not an AWS region name (such as eu-west-1): check --region, AWS_REGION \
             and the profile's `region`; nothing was sent to AWS",
            clients.region()
        );
        return Err(1);
    }
    let endpoint = clients.endpoint_url().map(str::to_owned);
    let region = clients.region().to_owned();
    // Limits that depend on the partition and region (the size of derived policies, whose ARNs
    // name both) are known before any call.
    let expanded = app.desired();
    let violations = engine::check_limits_in(&expanded, engine::partition_of(&region), &region);
    if !violations.is_empty() {
        let e = crate::validate::ValidationError { violations };
        return Err(fail(err, "the app is invalid; nothing was sent to AWS", &e));
    }
    let aws = match AwsProvider::new(clients).await {
        Ok(p) => p,
        Err(e) => {
            let _ = writeln!(
                err,
                "error: cannot find out which AWS account to work in (sts:GetCallerIdentity failed): {e}\n  \
                 check the credentials (environment, profile, SSO login, instance role), the region \
                 ({region}), and the endpoint{}; or pass --local to use the bundled LocalStack",
                endpoint.map(|e| format!(" ({e})")).unwrap_or_default()
            );
            return Err(1);
        }
    };
    let env = Env::new(aws.partition(), aws.region(), aws.account());
    let (account, region) = (aws.account().to_owned(), aws.region().to_owned());
    let desired = match engine::resolve(&expanded, &env) {
        Ok(d) => d,
        Err(e) => return Err(fail(err, "the app cannot be resolved for this account", &e)),
    };
    Ok(Session {
        provider: Arc::new(aws),
        desired,
        account,
        region,
    })
}

/// [`connect`], then plan with at most `concurrency` reads in flight; on failure, the exit code
/// after saying why.
async fn connect_and_plan(
    app: &App,
    target: &Target,
    concurrency: usize,
    err: &mut dyn Write,
) -> Result<(Session, Plan), u8> {
    let session = connect(app, target, err).await?;
    match engine::plan(&session.desired, &session.provider, concurrency).await {
        Ok(plan) => Ok((session, plan)),
        Err(e) => Err(engine_failure(err, &e)),
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

fn local_failure(err: &mut dyn Write, e: &LocalError) -> u8 {
    fail(err, "the bundled LocalStack is not available", e)
}

fn engine_failure(err: &mut dyn Write, e: &EngineError) -> u8 {
    fail(err, "cannot read the current state from AWS", e)
}

/// `plan`: what apply would change.
pub(super) async fn plan(
    app: &App,
    target: &Target,
    (json, detailed_exitcode): (bool, bool),
    concurrency: usize,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let (_, plan) = match connect_and_plan(app, target, concurrency, err).await {
        Ok(both) => both,
        Err(code) => return code,
    };
    let _ = if json {
        writeln!(out, "{}", plan.to_json())
    } else {
        writeln!(out, "{plan}")
    };
    if detailed_exitcode && !plan.is_empty() {
        2
    } else {
        0
    }
}

/// `apply`: plan, confirm, run with progress, report.
pub(super) async fn apply(
    app: &App,
    target: &Target,
    flags: ApplyFlags,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let (session, plan) = match connect_and_plan(app, target, flags.concurrency, err).await {
        Ok(both) => both,
        Err(code) => return code,
    };
    let _ = writeln!(out, "{plan}");
    let options = ApplyOptions::default()
        .concurrency(flags.concurrency)
        .prune(flags.prune);
    let steps = engine::step_count(&plan, &options);
    if steps == 0 {
        let deletes = plan.summary.delete;
        if deletes > 0 {
            let _ = writeln!(
                out,
                "nothing to apply; {deletes} resource(s) the app no longer declares stay until `apply --prune`"
            );
        }
        // Conflicts block convergence even when nothing else is to do: say so where errors go.
        for c in &plan.changes {
            if let Change::Conflict { message } = &c.change {
                let _ = writeln!(err, "conflict: {message}");
            }
        }
        return u8::from(plan.has_conflicts());
    }
    let question = format!(
        "apply these changes to account {} in {}?",
        session.account, session.region
    );
    if let Err(code) = confirm(flags.yes, &question, "apply", err) {
        return code;
    }
    let report = run_with_progress(&plan, &session.provider, options, steps, flags.live, err).await;
    finish(&report, "apply", out, err)
}

/// `destroy`: everything the app owns, in reverse dependency order.
pub(super) async fn destroy(
    app: &App,
    target: &Target,
    flags: ApplyFlags,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let session = match connect(app, target, err).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let plan = match engine::plan_destroy(
        app.name().as_str(),
        Some(&session.desired),
        &session.provider,
        flags.concurrency,
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return engine_failure(err, &e),
    };
    let _ = writeln!(out, "{plan}");
    let runs = plan.summary.delete;
    if runs == 0 {
        let _ = writeln!(
            out,
            "nothing to destroy: the app owns nothing in this account and region"
        );
        return 0;
    }
    let question = format!(
        "delete these {runs} resource(s) from account {} in {}?",
        session.account, session.region
    );
    if let Err(code) = confirm(flags.yes, &question, "destroy", err) {
        return code;
    }
    let options = ApplyOptions::default()
        .concurrency(flags.concurrency)
        .prune(true);
    let steps = engine::step_count(&plan, &options);
    let report = run_with_progress(&plan, &session.provider, options, steps, flags.live, err).await;
    finish(&report, "destroy", out, err)
}

/// `drift`: resources that differ from the model (changed or deleted outside pipewright).
pub(super) async fn drift(
    app: &App,
    target: &Target,
    json: bool,
    concurrency: usize,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    let (_, plan) = match connect_and_plan(app, target, concurrency, err).await {
        Ok(both) => both,
        Err(code) => return code,
    };
    let drifted: Vec<_> = plan.drifted().collect();
    let missing: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.change, Change::Create))
        .collect();
    if json {
        let doc = json!({
            "format_version": engine::FORMAT_VERSION,
            "app": plan.app,
            "drifted": drifted,
            "missing": missing,
        });
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    } else if drifted.is_empty() && missing.is_empty() {
        let _ = writeln!(out, "no drift: AWS matches the model");
    } else {
        for c in &drifted {
            let _ = writeln!(
                out,
                "~ {} \"{}\" ({}) differs from the model",
                kind_word(c.kind),
                c.physical_name,
                c.id
            );
            let fields = match &c.change {
                Change::Update { fields } | Change::Replace { fields, .. } => fields.as_slice(),
                _ => &[],
            };
            for f in fields {
                let _ = writeln!(
                    out,
                    "    {}: model {} ≠ AWS {}",
                    f.path,
                    shown(f.new.as_ref()),
                    shown(f.old.as_ref())
                );
            }
        }
        for c in &missing {
            let _ = writeln!(
                out,
                "- {} \"{}\" ({}) is missing: deleted outside pipewright, or never applied",
                kind_word(c.kind),
                c.physical_name,
                c.id
            );
        }
        let _ = writeln!(
            out,
            "{} drifted, {} missing; `apply` brings them back to the model",
            drifted.len(),
            missing.len()
        );
    }
    if drifted.is_empty() && missing.is_empty() {
        0
    } else {
        2
    }
}

/// `local start|status|stop`.
pub(super) fn local(command: &LocalCommand, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let options = LocalOptions::default().show_progress(true);
    match command {
        LocalCommand::Start => match options.start() {
            Ok(emulator) => {
                let _ = writeln!(out, "{}", emulator.endpoint());
                0
            }
            Err(e) => local_failure(err, &e),
        },
        LocalCommand::Status => match options.status() {
            Ok(Some(emulator)) => {
                let _ = writeln!(out, "{}", emulator.endpoint());
                0
            }
            Ok(None) => {
                let _ = writeln!(
                    err,
                    "the bundled LocalStack is not running (`local start` or `--local` starts it)"
                );
                3
            }
            Err(e) => local_failure(err, &e),
        },
        LocalCommand::Stop => match options.stop() {
            Ok(()) => 0,
            Err(e) => local_failure(err, &e),
        },
    }
}

fn shown(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "(none)".to_owned(), serde_json::Value::to_string)
}

/// Asks on the terminal unless `yes`; without a terminal, refuses.
fn confirm(yes: bool, question: &str, verb: &str, err: &mut dyn Write) -> Result<(), u8> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let _ = writeln!(
            err,
            "error: {verb} changes AWS and needs a confirmation, but there is no terminal to ask on: \
             review `plan`, then run `{verb} --yes`"
        );
        return Err(1);
    }
    let _ = write!(err, "{question} Only 'yes' is accepted: ");
    let _ = err.flush();
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer).is_err() || answer.trim() != "yes" {
        let _ = writeln!(err, "{verb} cancelled; nothing was changed");
        return Err(1);
    }
    Ok(())
}

/// Runs the plan, printing one line per finished step (`[n/total]`, `total` from
/// [`engine::step_count`]) as the engine's events arrive; with `live`, a last line redrawn in
/// place shows what is in flight.
async fn run_with_progress(
    plan: &Plan,
    provider: &Arc<dyn Provider>,
    options: ApplyOptions,
    total: usize,
    live: bool,
    err: &mut dyn Write,
) -> Report {
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    let options = options.on_event(move |e| {
        // The receiver lives until the run ends; a send can only fail after that.
        let _ = tx.send(e.clone());
    });
    let started = Instant::now();
    let run = async move {
        let report = engine::apply(plan, provider, &options).await;
        // Dropping the options drops the sender, which ends the rendering loop.
        drop(options);
        report
    };
    let render = async {
        let mut finished = 0usize;
        let mut in_flight = InFlight::default();
        while let Some(event) = rx.recv().await {
            if live {
                // Erase the live line before anything is written over it.
                let _ = write!(err, "\r\x1b[2K");
                in_flight.track(&event);
            }
            if let Some(line) = progress_line(&event, &mut finished, total, started) {
                let _ = writeln!(err, "{line}");
            }
            if live {
                let _ = write!(err, "{}", in_flight.line(started));
                let _ = err.flush();
            }
        }
        if live {
            let _ = write!(err, "\r\x1b[2K");
        }
    };
    let (report, ()) = tokio::join!(run, render);
    report
}

/// The calls in flight, for the live line.
#[derive(Default)]
struct InFlight(Vec<(String, String)>);

impl InFlight {
    fn track(&mut self, event: &Event) {
        use crate::provider::api::Operation;
        let EventResource {
            id,
            kind,
            physical_name,
        } = &event.resource;
        match &event.what {
            EventKind::Started { operation } if *operation != Operation::Read => {
                let label = format!("{} {} \"{physical_name}\"", operation, kind_word(*kind));
                self.0
                    .push((format!("{id}/{physical_name}/{operation:?}"), label));
            }
            EventKind::Succeeded { operation, .. } | EventKind::Failed { operation, .. } => {
                let key = format!("{id}/{physical_name}/{operation:?}");
                self.0.retain(|(k, _)| *k != key);
            }
            _ => {}
        }
    }

    /// `  12.3s … 3 in flight: create role "a", create bucket "b", …`, at most 120 characters.
    fn line(&self, started: Instant) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let names: Vec<&str> = self.0.iter().map(|(_, l)| l.as_str()).collect();
        let line = format!(
            "{:>6.1}s … {} in flight: {}",
            started.elapsed().as_secs_f64(),
            names.len(),
            names.join(", ")
        );
        if line.chars().count() <= 120 {
            return line;
        }
        let cut: String = line.chars().take(119).collect();
        format!("{cut}…")
    }
}

fn progress_line(
    event: &Event,
    finished: &mut usize,
    total: usize,
    started: Instant,
) -> Option<String> {
    let clock = format!("{:>6.1}s", started.elapsed().as_secs_f64());
    let EventResource {
        id,
        kind,
        physical_name,
    } = &event.resource;
    match &event.what {
        EventKind::Succeeded {
            operation,
            elapsed_ms,
        } => {
            if matches!(operation, crate::provider::api::Operation::Read) {
                return None;
            }
            *finished += 1;
            Some(format!(
                "{clock} [{finished}/{total}] ✓ {} {} \"{physical_name}\" ({id}) in {:.1}s",
                operation,
                kind_word(*kind),
                *elapsed_ms as f64 / 1000.0
            ))
        }
        EventKind::Retrying {
            operation,
            attempt,
            delay_ms,
            error,
        } => Some(format!(
            "{clock}         … {} {} \"{physical_name}\": {} (attempt {attempt}, again in {:.1}s)",
            operation,
            kind_word(*kind),
            error.code,
            *delay_ms as f64 / 1000.0
        )),
        EventKind::Failed { operation, error } => {
            *finished += 1;
            Some(format!(
                "{clock} [{finished}/{total}] ✗ {} {} \"{physical_name}\" ({id}) failed: {error}",
                operation,
                kind_word(*kind)
            ))
        }
        EventKind::Skipped { reason } => {
            *finished += 1;
            Some(format!(
                "{clock} [{finished}/{total}] - skipped {} \"{physical_name}\" ({id}): {reason}",
                kind_word(*kind)
            ))
        }
        // Starts show on the live line only.
        _ => None,
    }
}

/// Prints the summary and the failures; exit 0 when everything is done, 1 otherwise.
fn finish(report: &Report, verb: &str, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = writeln!(
        out,
        "{verb}: {report} in {:.1}s",
        report.elapsed_ms as f64 / 1000.0
    );
    if report.succeeded() {
        return 0;
    }
    for o in &report.outcomes {
        let what = format!("{} \"{}\" ({})", kind_word(o.kind), o.physical_name, o.id);
        let _ = match &o.status {
            Status::Failed { operation, error } => writeln!(
                err,
                "error: {what}: {} failed with {}: {}",
                operation, error.code, error.message
            ),
            Status::Conflict { message } => writeln!(err, "conflict: {message}"),
            _ => Ok(()),
        };
    }
    let _ = writeln!(
        err,
        "{verb} did not finish: fix what failed and run `{verb}` again; it picks up from what AWS has now"
    );
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ResourceKind;
    use crate::provider::api::Operation;

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

    #[test]
    fn credential_carrying_sdk_events_are_dropped_at_any_filter() {
        use tracing::Level;
        use tracing::callsite::Identifier;
        use tracing::field::FieldSet;
        use tracing::metadata::Kind;
        struct Site;
        impl tracing::Callsite for Site {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &tracing::Metadata<'_> {
                unreachable!("never registered")
            }
        }
        static SITE: Site = Site;
        let meta = |target: &'static str, level: Level| {
            tracing::Metadata::new(
                "event",
                target,
                level,
                None,
                None,
                None,
                FieldSet::new(&[], Identifier(&SITE)),
                Kind::EVENT,
            )
        };
        let dropped = |target, level| may_hold_credentials(&meta(target, level));
        assert!(dropped(
            "aws_smithy_runtime::client::orchestrator",
            Level::TRACE
        ));
        assert!(dropped(
            "aws_smithy_runtime::client::orchestrator::endpoints",
            Level::DEBUG
        ));
        assert!(dropped("aws_sigv4::http_request::sign", Level::DEBUG));
        assert!(!dropped(
            "aws_smithy_runtime::client::retries",
            Level::DEBUG
        ));
        assert!(!dropped("aws_sigv4::http_request::sign", Level::INFO));
        assert!(!dropped("pipewright::engine", Level::TRACE));
    }

    fn started(id: &str, operation: Operation) -> Event {
        Event::new(
            EventResource::new(id, ResourceKind::Role, id.to_lowercase()),
            EventKind::Started { operation },
        )
    }

    #[test]
    fn the_live_line_shows_the_calls_in_flight_and_stays_short() {
        let clock = Instant::now();
        let mut f = InFlight::default();
        f.track(&started("A", Operation::Create));
        f.track(&started("B", Operation::Delete));
        f.track(&started("C", Operation::Read));
        let line = f.line(clock);
        assert!(
            line.ends_with("… 2 in flight: create role \"a\", delete role \"b\""),
            "{line}"
        );
        f.track(&Event::new(
            EventResource::new("A", ResourceKind::Role, "a"),
            EventKind::Succeeded {
                operation: Operation::Create,
                elapsed_ms: 5,
            },
        ));
        assert!(f.line(clock).ends_with("1 in flight: delete role \"b\""));
        for i in 0..20 {
            f.track(&started(&format!("R{i}"), Operation::Update));
        }
        let line = f.line(clock);
        assert_eq!(line.chars().count(), 120, "{line}");
        assert!(line.ends_with('…'));
        f.track(&Event::new(
            EventResource::new("B", ResourceKind::Role, "b"),
            EventKind::Failed {
                operation: Operation::Delete,
                error: crate::provider::api::ProviderError::other("X", "y"),
            },
        ));
        assert!(!f.line(clock).contains("delete role"));
    }
}
