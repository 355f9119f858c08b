//! What a build's log may hold: a build that echoes its `PARAMETER_STORE` and `SECRETS_MANAGER`
//! variables and prints its whole environment (`env`) leaves none of their values in CloudWatch
//! Logs (CodeBuild masks them as `***`, "Data protection in AWS CodeBuild"), and its environment
//! holds nothing of the host's: not the test process's variables (its `AWS_*` credentials,
//! `HOME`...), nor the emulator process's own, nor any path outside the emulator's state folder
//! but the system's (the host's HOME, this checkout, its user's cargo and rustup folders).

use std::collections::BTreeMap;

use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, EnvironmentVariable, EnvironmentVariableType,
    ProjectArtifacts, ProjectEnvironment, ProjectSource, SourceType, StatusType,
};

use crate::harness::{clients, delete_role, role, sdk_config, unique};

/// Distinctive values behind the build's secret variables, so that a leak is found by search.
const PARAMETER_VALUE: &str = "pwBuildParamNeverLogged-3317";
const SECRET_KEY_VALUE: &str = "pwBuildSecretKeyNeverLogged-7741";
const SECRET_OTHER_VALUE: &str = "pwBuildSecretOtherNeverLogged-1259";

/// The variables a build's environment may have: the runner's own (localstack/README.md, "Builds
/// run on your machine"), CodeBuild's `CODEBUILD_*`, the build's declared variables, and what
/// the shell itself sets.
const ALLOWED: &[&str] = &[
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "CI",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "_",
];

/// The only folders outside the emulator's state folder a build's PATH may name.
const SYSTEM_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// The emulator process's environment, when this run started it (its pid file is in the
/// instance folder the harness names after this process).
fn emulator_environment() -> Option<BTreeMap<String, String>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack/instances");
    let pid = std::fs::read_to_string(format!("{dir}/test-{}/pid", std::process::id())).ok()?;
    let raw = std::fs::read(format!("/proc/{}/environ", pid.trim())).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter_map(|kv| {
                let kv = String::from_utf8_lossy(kv);
                let (k, v) = kv.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            })
            .collect(),
    )
}

#[tokio::test]
async fn a_build_printing_its_environment_logs_no_secret_and_nothing_of_the_host() {
    let c = clients().await;
    let config = sdk_config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let secrets = aws_sdk_secretsmanager::Client::new(&config);
    let parameter = format!("/{}/token", unique("sec-param"));
    let secret = unique("sec-secret");
    ssm.put_parameter()
        .name(&parameter)
        .value(PARAMETER_VALUE)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("put parameter");
    secrets
        .create_secret()
        .name(&secret)
        .secret_string(format!(
            r#"{{"key":"{SECRET_KEY_VALUE}","other":"{SECRET_OTHER_VALUE}"}}"#
        ))
        .send()
        .await
        .expect("create secret");

    let project = unique("sec-build");
    let role_name = unique("sec-build-role");
    let role_arn = role(&c, &role_name, "codebuild.amazonaws.com").await;
    let variable = |name: &str, value: &str, kind| {
        EnvironmentVariable::builder()
            .name(name)
            .value(value)
            .r#type(kind)
            .build()
            .expect("name and value set")
    };
    // The buildspec names the values too: the "Running command" lines are masked as well.
    let buildspec = format!(
        "version: 0.2\nenv:\n  secrets-manager:\n    WHOLE_SECRET: {secret}\n    KEY: {secret}:key\n\
         phases:\n  build:\n    commands:\n\
         \x20     - echo \"param=$PARAM whole=$WHOLE_SECRET key=$KEY plain=$PLAIN\"\n\
         \x20     - test \"$PARAM $KEY\" = \"{PARAMETER_VALUE} {SECRET_KEY_VALUE}\" && echo values-arrived\n\
         \x20     - env\n"
    );
    c.codebuild
        .create_project()
        .name(&project)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::NoSource)
                .buildspec(buildspec)
                .build()
                .expect("type set"),
        )
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::NoArtifacts)
                .build()
                .expect("type set"),
        )
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .environment_variables(variable(
                    "PARAM",
                    &parameter,
                    EnvironmentVariableType::ParameterStore,
                ))
                .environment_variables(variable(
                    "PLAIN",
                    "plain-shown",
                    EnvironmentVariableType::Plaintext,
                ))
                .build()
                .expect("type, image and compute set"),
        )
        .service_role(&role_arn)
        .send()
        .await
        .expect("create project");
    let id = c
        .codebuild
        .start_build()
        .project_name(&project)
        .send()
        .await
        .expect("start build")
        .build_value
        .and_then(|b| b.id)
        .expect("a build id");
    let mut build = None;
    for _ in 0..600 {
        let got = c
            .codebuild
            .batch_get_builds()
            .ids(&id)
            .send()
            .await
            .expect("batch get builds");
        let b = got.builds().first().cloned().expect("the build");
        if b.build_complete() {
            build = Some(b);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let build = build.expect("the build ends within 60 s");
    let logs = build.logs().expect("the build names its logs");
    let events = c
        .logs
        .get_log_events()
        .log_group_name(logs.group_name().expect("a group"))
        .log_stream_name(logs.stream_name().expect("a stream"))
        .start_from_head(true)
        .send()
        .await
        .expect("the build's log");
    let lines: Vec<String> = events
        .events()
        .iter()
        .filter_map(|e| e.message().map(|m| m.trim_end_matches('\n').to_owned()))
        .collect();
    let text = lines.join("\n");
    assert_eq!(build.build_status(), Some(&StatusType::Succeeded), "{text}");
    // The build saw the real values; its log shows none of them.
    assert!(lines.iter().any(|l| l == "values-arrived"), "{text}");
    for value in [PARAMETER_VALUE, SECRET_KEY_VALUE, SECRET_OTHER_VALUE] {
        assert!(!text.contains(value), "the log holds {value}:\n{text}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l == "param=*** whole=*** key=*** plain=plain-shown"),
        "{text}"
    );

    // `env`'s lines: NAME=VALUE (a value of one line each here).
    let printed: BTreeMap<&str, &str> = lines
        .iter()
        .skip_while(|l| !l.ends_with("Running command env"))
        .skip(1)
        .take_while(|l| !l.starts_with("[Container]"))
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    assert!(printed.len() > 20, "env printed {printed:?}");
    assert_eq!(printed.get("PARAM"), Some(&"***"), "{text}");
    assert_eq!(printed.get("KEY"), Some(&"***"), "{text}");
    assert_eq!(printed.get("WHOLE_SECRET"), Some(&"***"), "{text}");
    let declared = ["PARAM", "PLAIN", "WHOLE_SECRET", "KEY"];
    let strangers: Vec<&&str> = printed
        .keys()
        .filter(|k| !ALLOWED.contains(k) && !declared.contains(k) && !k.starts_with("CODEBUILD_"))
        .collect();
    assert!(
        strangers.is_empty(),
        "variables from outside the build: {strangers:?}\n{text}"
    );

    // Nothing of the host: the test process's variables and the emulator process's own.
    let mut hosts: Vec<(&str, BTreeMap<String, String>)> =
        vec![("this test process", std::env::vars().collect())];
    let emulator = emulator_environment();
    // The harness started the emulator unless it was given one: then its environment is known.
    let given = std::env::var("AWS_ENDPOINT_URL").is_ok_and(|u| !u.is_empty());
    assert!(
        given
            || emulator
                .as_ref()
                .is_some_and(|e| e.contains_key("PIPEWRIGHT_INSTANCE_DIR")),
        "the emulator's environment cannot be read"
    );
    hosts.extend(emulator.map(|e| ("the emulator process", e)));
    for (whose, environment) in &hosts {
        for (name, value) in environment {
            // A credential or a token: nowhere in the log, not even inside a line (values short
            // enough to occur by chance, such as the emulator's own `test`, are left out).
            let credential = ["KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL"]
                .iter()
                .any(|w| name.contains(w))
                || name == "AWS_PROFILE";
            if credential && value.len() >= 8 {
                assert!(
                    !text.contains(value.as_str()),
                    "{whose}'s {name} reached the build's log:\n{text}"
                );
            }
            // A home: no variable of the build has it.
            if name == "HOME" {
                assert!(
                    !printed.values().any(|v| v == value),
                    "{whose}'s HOME ({value}) reached the build:\n{text}"
                );
            }
            // Any other variable: not passed through with its value (the build's PATH, AWS_REGION
            // and LANG are its own, whatever the host's are).
            if let Some(seen) = printed.get(name.as_str()) {
                let own = matches!(
                    name.as_str(),
                    "LANG"
                        | "CI"
                        | "PWD"
                        | "OLDPWD"
                        | "SHLVL"
                        | "_"
                        | "AWS_REGION"
                        | "AWS_DEFAULT_REGION"
                );
                // The emulator's own test credentials and endpoint, whatever the host's are.
                let fixed = matches!(
                    (name.as_str(), *seen),
                    ("AWS_SECRET_ACCESS_KEY", "test") | ("AWS_ACCESS_KEY_ID", "000000000000")
                ) || (name == "AWS_ENDPOINT_URL"
                    && *seen == crate::harness::endpoint());
                assert!(
                    own || fixed || *seen != value,
                    "{whose}'s {name}={value} reached the build"
                );
            }
        }
    }
    let home = printed.get("HOME").expect("the build has a HOME");
    assert!(
        home.ends_with("/home") && home.contains("/builds/"),
        "{home}"
    );

    // No path from outside the emulator's state folder but the system's: once the instance
    // folder is taken out, neither the environment nor the log names the host's HOME, this
    // checkout, or the host user's cargo and rustup folders (the toolchain comes through links).
    let state = hosts
        .iter()
        .find_map(|(_, e)| e.get("PIPEWRIGHT_INSTANCE_DIR").cloned())
        .unwrap_or_else(|| home.split("/builds/").next().unwrap_or_default().to_owned());
    let host_home = std::env::var("HOME").unwrap_or_default();
    let mut outside = vec![
        ("the host's HOME", host_home.clone()),
        ("the checkout", env!("CARGO_MANIFEST_DIR").to_owned()),
    ];
    for (name, default) in [("CARGO_HOME", ".cargo"), ("RUSTUP_HOME", ".rustup")] {
        let dir = std::env::var(name).unwrap_or_else(|_| format!("{host_home}/{default}"));
        outside.push((name, dir));
    }
    let inside = |value: &str| value.replace(state.as_str(), "<state>");
    for (what, path) in outside.iter().filter(|(_, p)| p.len() > 1) {
        for (name, value) in &printed {
            assert!(
                !inside(value).contains(path.as_str()),
                "the build's {name}={value} names {what} ({path})"
            );
        }
        for line in &lines {
            assert!(
                !inside(line).contains(path.as_str()),
                "the build's log names {what} ({path}): {line}"
            );
        }
    }
    let path = printed.get("PATH").expect("the build has a PATH");
    for dir in path.split(':') {
        assert!(
            dir.starts_with(&format!("{state}/")) || SYSTEM_DIRS.contains(&dir),
            "the build's PATH has {dir}, outside the state folder: {path}"
        );
    }

    c.codebuild
        .delete_project()
        .name(&project)
        .send()
        .await
        .expect("delete project");
    delete_role(&c, &role_name).await;
    secrets
        .delete_secret()
        .secret_id(&secret)
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("delete secret");
    ssm.delete_parameter()
        .name(&parameter)
        .send()
        .await
        .expect("delete parameter");
}
