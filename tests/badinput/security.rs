//! Nothing pipewright prints carries a credential or a secret: `plan`, `apply`, `drift`,
//! `destroy` and their errors, and `push`, `watch`, `logs`, `run` and `run --json` of a
//! pipeline whose build echoes its secret variables and prints its whole environment, at every
//! verbosity, against LocalStack, with distinctive credentials in the environment and
//! distinctive values stored behind the app's PARAMETER_STORE and SECRETS_MANAGER variables.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use pipewright::model::*;

use crate::child::{ACCESS_KEY_ID, Child, Run, SECRET_ACCESS_KEY, SESSION_TOKEN};

/// What the app's secret variables point at, and the values stored there.
const PARAMETER: &str = "/pipewright/badinput/db-password";
const PARAMETER_VALUE: &str = "pwParamValueNeverPrinted-5521";
const SECRET: &str = "pipewright/badinput/api-token";
const SECRET_VALUE: &str = "pwSecretValueNeverPrinted-8813";
/// The secret is JSON: one variable takes all of it, another its `token` key.
const SECRET_OTHER_VALUE: &str = "pwSecretOtherNeverPrinted-4409";

/// A pipeline whose build takes secrets from Parameter Store and Secrets Manager, at the project
/// and at the action.
pub(crate) fn secrets_app(name: &str) -> Result<App, BuildError> {
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
            // A build that shows every secret it has, as a careless buildspec would; it runs a
            // moment first, so that a watch sees it running and streams its log.
            .buildspec(InlineBuildSpec::new().build([
                "sleep 2",
                "echo \"db=$DB_PASSWORD api=$API_TOKEN release=$RELEASE_TOKEN stage=$STAGE\"",
                "env",
            ]))
            .env("STAGE", EnvValue::Plaintext("prod".into()))
            .env("DB_PASSWORD", EnvValue::ParameterStore(PARAMETER.into()))
            .env("API_TOKEN", EnvValue::SecretsManager(SECRET.into()))
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
            .stage(Stage::new("Build").action(
                CodeBuild::new("Build", &project).input(&source).env(
                    "RELEASE_TOKEN",
                    EnvValue::SecretsManager(format!("{SECRET}:token")),
                ),
            ))
            .build()?,
    );
    Ok(app)
}

/// Stores the secret values in the emulator, as a user's account would hold them.
fn store_secrets(endpoint: &str) {
    let parameter = serde_json::json!({
        "Name": PARAMETER, "Value": PARAMETER_VALUE, "Type": "SecureString", "Overwrite": true
    });
    call(
        endpoint,
        "ssm",
        "AmazonSSM.PutParameter",
        &parameter.to_string(),
    );
    let secret = serde_json::json!({
        "Name": SECRET,
        "SecretString": serde_json::json!({"token": SECRET_VALUE, "other": SECRET_OTHER_VALUE})
            .to_string(),
        "ClientRequestToken": "9b4e7c1a-5d2f-4a3b-8c6d-0e1f2a3b4c5d"
    });
    call(
        endpoint,
        "secretsmanager",
        "secretsmanager.CreateSecret",
        &secret.to_string(),
    );
}

/// One JSON-protocol call to the emulator (which routes on the credential scope and target and
/// does not check signatures).
fn call(endpoint: &str, service: &str, target: &str, body: &str) {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).expect("the emulator is reachable");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: {target}\r\nX-Amz-Date: 20260101T000000Z\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .expect("the request is sent");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    // A rerun against an emulator someone keeps running finds the secret already there.
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.contains("ResourceExistsException"),
        "{target} failed: {answer}"
    );
}

/// The verbosities: none, `-v`, `-vv`, and `RUST_LOG=trace`.
const VERBOSITIES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("(no flag)", None, None),
    ("-v", Some("-v"), None),
    ("-vv", Some("-vv"), None),
    ("RUST_LOG=trace", None, Some("trace")),
];

fn run(app: &str, endpoint: &str, command: &[&str], flag: Option<&str>, log: Option<&str>) -> Run {
    let mut args = command.to_vec();
    args.extend(["--endpoint-url", endpoint, "--region", "us-east-1"]);
    args.extend(flag);
    let mut child = Child::new(app, &args).credentials();
    if let Some(filter) = log {
        child = child.env("RUST_LOG", filter);
    }
    child.run()
}

/// The forbidden strings found in `text`.
fn leaks(text: &str) -> Vec<&'static str> {
    [
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        SESSION_TOKEN,
        PARAMETER_VALUE,
        SECRET_VALUE,
        SECRET_OTHER_VALUE,
    ]
    .into_iter()
    .filter(|s| text.contains(s))
    .collect()
}

#[test]
fn no_output_at_any_verbosity_carries_a_credential_or_a_secret() {
    let endpoint = crate::harness::endpoint();
    store_secrets(endpoint);
    let name = crate::harness::unique("sec");
    let app = format!("secrets:{name}");
    let mut seen = Vec::new();
    let mut record = |what: String, run: Run, want: Option<i32>| {
        assert!(!run.timed_out, "{what}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
        if let Some(code) = want {
            assert_eq!(
                run.code,
                Some(code),
                "{what}: {}\n{}",
                run.stdout,
                run.stderr
            );
        }
        let all = run.all();
        let found = leaks(&all);
        let lines: Vec<&str> = all
            .lines()
            .filter(|l| found.iter().any(|f| l.contains(f)))
            .take(5)
            .collect();
        assert!(found.is_empty(), "{what} printed {found:?}: {lines:#?}");
        seen.push((what, run.all().len()));
    };
    for (label, flag, log) in VERBOSITIES {
        record(
            format!("plan {label}"),
            run(&app, endpoint, &["plan"], *flag, *log),
            Some(0),
        );
    }
    // The most verbose run does the most work: creating everything.
    let apply = run(&app, endpoint, &["apply", "--yes"], None, Some("trace"));
    let apply_ok = apply.code;
    record("apply RUST_LOG=trace".into(), apply, Some(0));
    assert_eq!(apply_ok, Some(0));
    for (label, flag, log) in VERBOSITIES {
        record(
            format!("plan after apply {label}"),
            run(&app, endpoint, &["plan", "--json"], *flag, *log),
            Some(0),
        );
        // Exit 0 (no drift) or 2 (drift): either way, its output is scanned.
        record(
            format!("drift {label}"),
            run(&app, endpoint, &["drift"], *flag, *log),
            None,
        );
    }
    // Errors too: a plan against an endpoint that refuses, at the most verbose level.
    let closed = crate::listener::closed_port_url();
    for (label, flag, log) in VERBOSITIES {
        record(
            format!("failing plan {label}"),
            run(&app, &closed, &["plan"], *flag, *log),
            Some(1),
        );
    }
    // Then the pipeline runs: its build echoes the secrets and prints `env`.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-push"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a directory to push");
    std::fs::write(dir.join("README"), "pushed by the secrets scan\n").expect("a file");
    let dir = dir.to_str().expect("a UTF-8 path");
    record(
        "push --watch RUST_LOG=trace".into(),
        run(
            &app,
            endpoint,
            &["push", dir, "--watch"],
            None,
            Some("trace"),
        ),
        Some(0),
    );
    for (label, flag, log) in VERBOSITIES {
        record(
            format!("watch {label}"),
            run(&app, endpoint, &["watch"], *flag, *log),
            Some(0),
        );
        let logs = run(
            &app,
            endpoint,
            &["logs", "--action", "Build/Build"],
            *flag,
            *log,
        );
        // The scan reads the build's real log: its masked echo line is there.
        assert!(
            logs.stdout
                .contains("db=*** api=*** release=*** stage=prod"),
            "logs {label}: {}\n{}",
            logs.stdout,
            logs.stderr
        );
        record(format!("logs {label}"), logs, Some(0));
        record(
            format!("run {label}"),
            run(&app, endpoint, &["run"], *flag, *log),
            Some(0),
        );
        // Machine output too: the log lines travel as JSON events, masked as in the log.
        let json = run(&app, endpoint, &["run", "--json"], *flag, *log);
        assert!(
            json.stdout
                .contains(r#""message":"db=*** api=*** release=*** stage=prod""#),
            "run --json {label}: {}\n{}",
            json.stdout,
            json.stderr
        );
        record(format!("run --json {label}"), json, Some(0));
    }
    record(
        "executions --json".into(),
        run(&app, endpoint, &["executions", "--json"], None, None),
        Some(0),
    );
    record(
        "destroy RUST_LOG=trace".into(),
        run(&app, endpoint, &["destroy", "--yes"], None, Some("trace")),
        Some(0),
    );
    // The scan looked at real output: the traced runs say a lot.
    let traced: usize = seen
        .iter()
        .filter(|(what, _)| what.contains("trace"))
        .map(|(_, len)| len)
        .sum();
    assert!(
        traced > 10_000,
        "the traced runs printed only {traced} bytes: {seen:?}"
    );
    crate::report::record_scan(
        &seen
            .iter()
            .map(|(what, _)| what.clone())
            .collect::<Vec<_>>(),
    );
}

/// What the model itself prints for secret variables: their references (the parameter's and the
/// secret's names), which is all it ever knows; the values live only in AWS.
#[test]
fn secret_variables_are_synthesized_as_references() {
    let app = secrets_app("pwt-sec-ref").expect("the app builds");
    let templates = pipewright::synth::synthesize(&app).expect("the app synthesizes");
    let json = templates[0].to_json();
    let value: serde_json::Value = serde_json::from_str(&json).expect("a JSON template");
    let project = value["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .find(|(_, r)| r["Type"] == "AWS::CodeBuild::Project")
        .map(|(_, r)| r["Properties"]["Environment"].clone())
        .expect("a CodeBuild project");
    let vars = project["EnvironmentVariables"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let of = |t: &str| -> Vec<String> {
        vars.iter()
            .filter(|v| v["Type"] == t)
            .map(|v| v["Value"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(of("PARAMETER_STORE"), [PARAMETER], "{project}");
    assert_eq!(of("SECRETS_MANAGER"), [SECRET], "{project}");
    // The action's variables travel as JSON in its configuration, by reference too.
    let action_var = format!(
        r#"\"name\":\"RELEASE_TOKEN\",\"type\":\"SECRETS_MANAGER\",\"value\":\"{SECRET}:token\""#
    );
    assert!(json.contains(&action_var), "{json}");
    assert!(leaks(&json).is_empty());
}
