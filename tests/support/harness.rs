//! The emulator every emulator-backed test talks to, started once per test run.
//!
//! With `AWS_ENDPOINT_URL` set, tests use that endpoint (an emulator someone already runs).
//! Otherwise the bundled LocalStack is started on a free loopback port, in this repository's
//! `.localstack/` state directory, as an instance named after this process. It is told our pid, so
//! it exits by itself once this test binary is gone, whether the run passed, failed, panicked or
//! was killed. A missing or broken emulator fails the tests: nothing is ever skipped.

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicU32, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use aws_sdk_s3::error::ProvideErrorMetadata;
use pipewright::{
    local::LocalOptions,
    provider::aws::{ClientOptions, Clients},
};

static ENDPOINT: OnceLock<String> = OnceLock::new();

/// The endpoint of the emulator for this run, starting it on first use.
pub(crate) fn endpoint() -> &'static str {
    ENDPOINT.get_or_init(|| {
        if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            return url;
        }
        let pid = std::process::id();
        let started = LocalOptions::default()
            .state_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack"))
            .instance(format!("test-{pid}"))
            .port(0)
            .owner_pid(pid)
            .timeout(Duration::from_secs(300))
            .show_progress(true)
            .start();
        match started {
            Ok(emulator) => emulator.endpoint().to_owned(),
            Err(e) => panic!("the LocalStack tier needs its emulator, and it did not start: {e}"),
        }
    })
}

/// Clients for every service, pointed at the emulator.
pub(crate) async fn clients() -> Clients {
    let url = endpoint();
    Clients::load(&ClientOptions::local(url))
        .await
        .expect("emulator options always name a region")
}

/// The shared SDK configuration of [`clients`], for services pipewright's provider does not use
/// (SSM, Secrets Manager, Lambda...) but tests set up through: `aws_sdk_ssm::Client::new(&config)`.
pub(crate) async fn sdk_config() -> aws_config::SdkConfig {
    use aws_config::{BehaviorVersion, Region};
    let credentials = aws_sdk_s3::config::Credentials::new("test", "test", None, None, "tests");
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await
}

/// A name no other test (in this run or an earlier one against the same emulator) uses:
/// lower-case letters, digits and dashes, at most 40 characters, valid for every resource kind.
pub(crate) fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let stamp = base36(nanos % 36u128.pow(8));
    format!("pwt-{prefix}-{stamp}{n}")
}

fn base36(mut n: u128) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(char::from_digit((n % 36) as u32, 36).expect("a digit below 36"));
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.iter().rev().collect()
}

/// The AWS error code of a failed call, for asserting on it.
pub(crate) fn code<T: std::fmt::Debug, E: ProvideErrorMetadata + std::fmt::Debug>(
    result: Result<T, E>,
) -> String {
    match result {
        Ok(v) => panic!("expected an AWS error, got {v:?}"),
        Err(e) => e
            .code()
            .unwrap_or_else(|| panic!("the error carries no AWS code: {e:?}"))
            .to_owned(),
    }
}

/// Decodes the percent-encoding IAM applies to policy documents, then parses the JSON.
pub(crate) fn iam_document(encoded: &str) -> serde_json::Value {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
                out.push(u8::from_str_radix(hex, 16).expect("valid percent-encoding"));
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    serde_json::from_slice(&out).expect("a JSON policy document")
}

/// A trust policy letting one service principal assume a role.
pub(crate) fn trust_policy(service: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// Creates a role assumable by `service` and returns its ARN.
pub(crate) async fn role(clients: &Clients, name: &str, service: &str) -> String {
    clients
        .iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy(service))
        .send()
        .await
        .expect("create role")
        .role()
        .expect("a created role")
        .arn()
        .to_owned()
}

/// Deletes a role made by [`role`].
pub(crate) async fn delete_role(clients: &Clients, name: &str) {
    clients
        .iam
        .delete_role()
        .role_name(name)
        .send()
        .await
        .expect("delete role");
}

/// A new symmetric key of the emulator's KMS, by ARN: the services refuse a key of the account
/// and region that does not exist, as AWS does, so a test that sets a key makes a real one.
pub(crate) async fn kms_key() -> String {
    let kms = aws_sdk_kms::Client::new(&sdk_config().await);
    let created = kms.create_key().send().await.expect("create a KMS key");
    created
        .key_metadata()
        .and_then(|m| m.arn())
        .expect("a new key has an ARN")
        .to_owned()
}
