//! A bad environment: each case is a real process with a valid app and one thing wrong around it.
//! Each must end with exit code 1 and a clear one-paragraph error, never a panic or a hang.
//! Durations are recorded in `badinput-environment.md` under Cargo's test temporary directory
//! (with each error as printed), never asserted beyond the timeout.

use crate::child::{ACCESS_KEY_ID, Child, Run, SECRET_ACCESS_KEY, SESSION_TOKEN, TIMEOUT};
use crate::listener::{Answer, Listener, closed_port_url};

/// Checks what every bad environment must give, then that the error says `words`.
fn assert_clear_failure(what: &str, run: &Run, words: &[&str]) {
    record(what, run);
    assert!(
        !run.timed_out,
        "{what}: still running after {TIMEOUT:?}: {run:?}"
    );
    assert_eq!(run.code, Some(1), "{what}: {run:?}");
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
    assert!(run.stderr.starts_with("error: "), "{what}: {}", run.stderr);
    // One paragraph: no blank line, and a bounded size.
    assert!(
        !run.stderr.trim_end().contains("\n\n"),
        "{what}: {}",
        run.stderr
    );
    assert!(run.stderr.lines().count() <= 8, "{what}: {}", run.stderr);
    // Words for people, not a `Debug` dump of the SDK's error types.
    assert!(!run.stderr.contains("{ "), "{what}: {}", run.stderr);
    for word in words {
        assert!(
            run.stderr.contains(word),
            "{what}: no {word:?} in {}",
            run.stderr
        );
    }
    for secret in [ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN] {
        assert!(
            !run.all().contains(secret),
            "{what}: a credential was printed"
        );
    }
}

/// Appends the case, its duration and its error to the record of this run.
fn record(what: &str, run: &Run) {
    use std::io::Write;
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("badinput-environment.md");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(
            file,
            "| {what} | {:?} | {:.2} s | {} |",
            run.code,
            run.took.as_secs_f64(),
            run.stderr.trim_end().replace('\n', " ").replace('|', "\\|")
        );
    }
}

fn plan(endpoint: &str) -> Child {
    Child::new(
        "valid",
        &["plan", "--endpoint-url", endpoint, "--region", "eu-west-1"],
    )
}

/// One bad environment: its name, how the test makes it, and the words its error must hold
/// (besides the endpoint's URL where there is one). Data, for the reliability report.
pub(crate) struct BadEnvironment {
    pub(crate) name: &'static str,
    pub(crate) setup: &'static str,
    pub(crate) words: &'static [&'static str],
}

pub(crate) const BAD_ENVIRONMENTS: &[BadEnvironment] = &[
    BadEnvironment {
        name: "no credentials",
        setup: "empty environment and home, instance metadata off; counting endpoint",
        words: &["no credentials found", "check the credentials"],
    },
    BadEnvironment {
        name: "expired credentials",
        setup: "session credentials; the endpoint answers STS's ExpiredToken",
        words: &[
            "ExpiredToken",
            "token included in the request is expired",
            "check the credentials",
        ],
    },
    BadEnvironment {
        name: "invalid region name",
        setup: "--region \"eu west 1!\"",
        words: &[
            "\"eu west 1!\" is not an AWS region name",
            "--region",
            "nothing was sent",
        ],
    },
    BadEnvironment {
        name: "unknown region",
        setup: "--region xx-nowhere-9 (a well-formed name no endpoint exists for)",
        words: &["dns error", "the region (xx-nowhere-9)"],
    },
    BadEnvironment {
        name: "no region",
        setup: "credentials but no region anywhere",
        words: &["no AWS region is configured", "--region"],
    },
    BadEnvironment {
        name: "unreachable endpoint",
        setup: "--endpoint-url to a closed loopback port",
        words: &["Connection refused", "the region (eu-west-1)"],
    },
    BadEnvironment {
        name: "endpoint answering garbage",
        setup: "--endpoint-url to a listener writing random non-HTTP bytes",
        words: &["invalid HTTP version", "the region (eu-west-1)"],
    },
];

fn words(name: &str) -> Vec<String> {
    BAD_ENVIRONMENTS
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.words.iter().map(|w| (*w).to_owned()).collect())
        .unwrap_or_else(|| panic!("no bad environment {name:?}"))
}

fn check(name: &str, run: &Run, extra: &[String]) {
    let mut all = words(name);
    all.extend_from_slice(extra);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    assert_clear_failure(name, run, &all);
}

fn no_credentials() {
    let endpoint = Listener::start(Answer::Close);
    let run = plan(&endpoint.url()).run();
    check("no credentials", &run, &[]);
    // Nothing can be signed, so nothing is sent.
    assert_eq!(endpoint.connections(), 0);
}

fn expired_credentials() {
    let endpoint = Listener::start(Answer::ExpiredToken);
    let run = plan(&endpoint.url()).credentials().run();
    check("expired credentials", &run, &[]);
    assert!(endpoint.connections() >= 1);
}

fn invalid_region_name() {
    let run = Child::new("valid", &["plan", "--region", "eu west 1!"])
        .credentials()
        .run();
    check("invalid region name", &run, &[]);
}

fn unknown_region() {
    let run = Child::new("valid", &["plan", "--region", "xx-nowhere-9"])
        .credentials()
        .run();
    check("unknown region", &run, &[]);
}

fn no_region() {
    let run = Child::new("valid", &["plan"]).credentials().run();
    check("no region", &run, &[]);
}

fn unreachable_endpoint() {
    let url = closed_port_url();
    let run = plan(&url).credentials().run();
    check(
        "unreachable endpoint",
        &run,
        &[format!("the endpoint ({url})")],
    );
}

fn endpoint_answering_garbage() {
    let endpoint = Listener::start(Answer::Garbage(42));
    let run = plan(&endpoint.url()).credentials().run();
    check(
        "endpoint answering garbage",
        &run,
        &[format!("the endpoint ({})", endpoint.url())],
    );
    assert!(endpoint.connections() >= 1);
}

/// Every bad environment, at once (each in its own thread and process); the report's section is
/// written only when all of them held.
#[test]
fn every_bad_environment_fails_clearly_in_bounded_time() {
    let cases: [(&str, fn()); 7] = [
        ("no credentials", no_credentials),
        ("expired credentials", expired_credentials),
        ("invalid region name", invalid_region_name),
        ("unknown region", unknown_region),
        ("no region", no_region),
        ("unreachable endpoint", unreachable_endpoint),
        ("endpoint answering garbage", endpoint_answering_garbage),
    ];
    assert_eq!(cases.len(), BAD_ENVIRONMENTS.len());
    let failed: Vec<&str> = std::thread::scope(|scope| {
        let running: Vec<_> = cases
            .iter()
            .map(|(name, case)| (*name, scope.spawn(case)))
            .collect();
        running
            .into_iter()
            .filter_map(|(name, thread)| thread.join().is_err().then_some(name))
            .collect()
    });
    assert!(
        failed.is_empty(),
        "failed: {failed:?} (their panics are above)"
    );
    crate::report::record_environments();
}
