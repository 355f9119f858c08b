//! The deployer policy `policy` prints: a snapshot per example, byte-identical across runs, and
//! the CLI's verb printing the same document without any AWS call when given the account.

use pipewright::synth::deployer_policy;

use crate::support::examples;

const ACCOUNT: &str = "123456789012";

#[test]
fn every_example_has_a_stable_deployer_policy() {
    for (name, app) in examples::built() {
        let roles = format!(
            "arn:aws:iam::{ACCOUNT}:role/pipewright/{}/eu-west-1/",
            app.name()
        );
        let policy = deployer_policy(&app.desired(), "aws", "eu-west-1", ACCOUNT).to_json();
        assert_eq!(
            policy,
            deployer_policy(&app.desired(), "aws", "eu-west-1", ACCOUNT).to_json(),
            "{name}: deterministic"
        );
        let doc: serde_json::Value = serde_json::from_str(&policy).expect("the policy is JSON");
        for s in doc["Statement"].as_array().expect("statements") {
            for r in s["Resource"].as_array().expect("resources") {
                let r = r.as_str().expect("an ARN");
                // Every resource is the app's own (or `*` for actions that take none).
                assert!(
                    r == "*"
                        || r.contains(":eu-west-1:")
                        || r.starts_with("arn:aws:s3:::")
                        || r.starts_with(&roles)
                        || r.starts_with("arn:aws:kms:"),
                    "{name}: {} names {r}",
                    s["Sid"]
                );
            }
        }
        insta::assert_snapshot!(format!("{name}.deployer_policy"), policy);
    }
}

#[tokio::test]
async fn cli_policy_with_an_account_prints_the_policy_without_calling_aws() {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    // An endpoint nothing listens on: any call would fail the command.
    let code = pipewright::cli::run(
        examples::reference::app(),
        [
            "reference",
            "policy",
            "--account",
            ACCOUNT,
            "--region",
            "eu-west-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
        &mut out,
        &mut err,
    )
    .await;
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let app = examples::reference::app().unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!(
            "{}\n",
            deployer_policy(&app.desired(), "aws", "eu-west-1", ACCOUNT).to_json()
        )
    );
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = pipewright::cli::run(
        examples::reference::app(),
        ["reference", "policy", "--account", "12345"],
        &mut out,
        &mut err,
    )
    .await;
    assert_eq!(code, 2, "a malformed account id is a usage error");
    assert!(String::from_utf8_lossy(&err).contains("twelve digits"));
}
