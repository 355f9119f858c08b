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

#[test]
fn no_credentials() {
    let endpoint = Listener::start(Answer::Close);
    let run = plan(&endpoint.url()).run();
    assert_clear_failure(
        "no credentials",
        &run,
        &["no credentials found", "check the credentials"],
    );
    // Nothing can be signed, so nothing is sent.
    assert_eq!(endpoint.connections(), 0);
}

#[test]
fn expired_credentials() {
    let endpoint = Listener::start(Answer::ExpiredToken);
    let run = plan(&endpoint.url()).credentials().run();
    assert_clear_failure(
        "expired credentials",
        &run,
        &[
            "ExpiredToken",
            "token included in the request is expired",
            "check the credentials",
        ],
    );
    assert!(endpoint.connections() >= 1);
}

#[test]
fn invalid_region_name() {
    let run = Child::new("valid", &["plan", "--region", "eu west 1!"])
        .credentials()
        .run();
    assert_clear_failure(
        "invalid region name",
        &run,
        &[
            "\"eu west 1!\" is not an AWS region name",
            "--region",
            "nothing was sent",
        ],
    );
}

#[test]
fn no_region() {
    let run = Child::new("valid", &["plan"]).credentials().run();
    assert_clear_failure(
        "no region",
        &run,
        &["no AWS region is configured", "--region"],
    );
}

#[test]
fn unreachable_endpoint() {
    let url = closed_port_url();
    let run = plan(&url).credentials().run();
    assert_clear_failure(
        "unreachable endpoint",
        &run,
        &["Connection refused", &format!("the endpoint ({url})")],
    );
}

#[test]
fn endpoint_answering_garbage() {
    let endpoint = Listener::start(Answer::Garbage(42));
    let run = plan(&endpoint.url()).credentials().run();
    assert_clear_failure(
        "endpoint answering garbage",
        &run,
        &[
            "invalid HTTP version",
            &format!("the endpoint ({})", endpoint.url()),
        ],
    );
    assert!(endpoint.connections() >= 1);
}
