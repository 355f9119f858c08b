//! This tier's sections of `RELIABILITY.md`, written by the tests that ran them once they passed,
//! beside the fault tier's (`<target>/tmp/reliability/`); `scripts/reliability` puts them together.
//! Only what every run repeats exactly goes in (no durations, no generated names).

use crate::support::report::write;

/// The corpus of invalid models, by rule.
pub(crate) fn record_corpus() {
    let cases = crate::corpus::CASES.len();
    let md = format!(
        "## Bad input\n\n\
         {cases} invalid models cover every validation rule of `src/validate/` and every name \
         newtype of `src/model/names.rs` (a test reads both files and fails when a rule or a \
         newtype has no case). Each model was handed to `plan` in its own process, with \
         credentials in its environment and `--endpoint-url` aimed at a loopback listener that \
         counts connections. Each was refused with exit code 1, nothing on stdout, and exactly the \
         expected message naming the resource, the field path, the value and the rule; the \
         listener saw 0 connections (the same command on a valid app reaches it). Builders and \
         name parsers were also fed arbitrary strings (empty, huge, non-ASCII, control \
         characters) by property tests: a value or a refusal naming the rule, never a panic.\n\n{}",
        crate::corpus::markdown_table()
    );
    write("10-corpus", &md);
}

/// The bad environments.
pub(crate) fn record_environments() {
    let mut md = format!(
        "## Bad environment\n\n\
         A valid app's `plan` in its own process, with an empty environment and home (no shared \
         config, no instance metadata) plus what each case sets. Each ended with exit code 1 \
         within the {} s timeout (most in well under a second; the unreachable endpoint and \
         the unknown region after the SDK's bounded retries, a few seconds), with a one-paragraph \
         error holding the words below, no panic, no Rust `Debug` dump, and no credential.\n\n\
         | environment | how | the error says | held |\n|---|---|---|---|\n",
        crate::child::TIMEOUT.as_secs()
    );
    for e in crate::environment::BAD_ENVIRONMENTS {
        let words: Vec<String> = e.words.iter().map(|w| format!("`{w}`")).collect();
        md.push_str(&format!(
            "| {} | {} | {} | held |\n",
            e.name,
            e.setup.replace('|', "\\|"),
            words.join(", ")
        ));
    }
    write("50-environment", &md);
}

/// The IAM policy checks.
pub(crate) fn record_policies(roles: &[(String, usize)]) {
    let mut md = String::from(
        "## IAM policies\n\n\
         Every role in every example's template: no action wildcard; a resource wildcard only in a \
         statement the role's `Metadata` documents under `pipewright:wildcards` (with why), or \
         under one of the app's own resources (a bucket's objects, a log group's streams); the \
         trust policy allows exactly `sts:AssumeRole` to exactly the one service the role is for. \
         A mutation test shows each check fails on a role that breaks it.\n\n\
         | role | statements | held |\n|---|---:|---|\n",
    );
    for (role, statements) in roles {
        md.push_str(&format!("| {role} | {statements} | held |\n"));
    }
    write("60-policies", &md);
}

/// The scan of every output for credentials and secrets.
pub(crate) fn record_scan(runs: &[String]) {
    let mut md = String::from(
        "## Secrets in output\n\n\
         Against LocalStack, with distinctive credentials (access key id, secret key, session \
         token) in the environment and distinctive values stored in SSM Parameter Store and \
         Secrets Manager behind the app's `PARAMETER_STORE` and `SECRETS_MANAGER` variables, \
         stdout and stderr of each run below contained none of them. The app's build echoes \
         those variables and prints its whole environment (`env`): the emulator masks their \
         values as `***` in the build's log, as CodeBuild does, so `watch`, `logs`, `run` \
         and the log events of `run --json` show the log without them (and `tests/localstack/build_secrets.rs` finds no value of \
         the host's environment in such a log either).\n\n\
         | run | held |\n|---|---|\n",
    );
    for run in runs {
        md.push_str(&format!("| {run} | held |\n"));
    }
    write("70-secrets", &md);
}

/// The bad invocations of the execution verbs.
pub(crate) fn record_verbs(cases: &[(&str, &str, i32)]) {
    let mut md = String::from(
        "## Bad input to the execution verbs\n\n\
         Against LocalStack, an app whose pipeline checks out a CodeCommit branch, builds, and \
         waits at a manual approval. Each bad invocation below ran in its own process, when the \
         pipeline was fresh (applied, nothing pushed), while an execution waited at the \
         approval, or once that execution had succeeded. Each ended with the exit code shown \
         (1 an error, 2 a usage error), one `error:` paragraph saying what is wrong, and no \
         panic; the pipeline's executions (ids and statuses) and its source branch's head were \
         the same after it as before. Through the library (the CLI always reads the current token), \
         approving with the token of an approval already answered was refused with \
         `ApprovalAlreadyCompletedException`, and with a token never issued with \
         `InvalidApprovalTokenException`, changing nothing either.\n\n\
         | verb | bad input | exit | held |\n|---|---|---:|---|\n",
    );
    for (verb, what, code) in cases {
        md.push_str(&format!("| {verb} | {what} | {code} | held |\n"));
    }
    write("15-verbs", &md);
}
