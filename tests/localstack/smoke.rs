//! The shortest path through the emulator: it serves, knows who we are, and keeps a bucket.

use crate::harness::{clients, code, unique};

#[tokio::test]
async fn smoke_emulator_serves_sts_s3_and_codepipeline() {
    let c = clients().await;

    let me = c.sts.get_caller_identity().send().await.expect("sts");
    assert_eq!(me.account(), Some("000000000000"));

    let bucket = unique("smoke");
    c.s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    let listed = c.s3.list_buckets().send().await.expect("list buckets");
    assert!(
        listed
            .buckets()
            .iter()
            .any(|b| b.name() == Some(bucket.as_str()))
    );
    c.s3.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete bucket");

    // The Code* services come from pipewright's extension, not LocalStack's community edition.
    let missing = c
        .codepipeline
        .get_pipeline()
        .name(unique("nothing"))
        .send()
        .await;
    assert_eq!(code(missing), "PipelineNotFoundException");
}

/// Finding the instance already serving is said once by `local start`, and not at all by the
/// commands that pass `--quiet-if-running` (what `--local` does on every plan and apply).
#[test]
fn a_running_instance_is_found_quietly_when_asked() {
    let endpoint = crate::harness::endpoint();
    if std::env::var_os("AWS_ENDPOINT_URL").is_some_and(|u| !u.is_empty()) {
        // The emulator was given from outside; there is no launcher of ours to ask. CI always
        // runs the bundled one, so this may only happen on a developer's machine.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the bundled emulator, not AWS_ENDPOINT_URL"
        );
        return;
    }
    let state_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack");
    let pid = std::process::id().to_string();
    let instance = format!("test-{pid}");
    let start = |quiet: bool| {
        let mut command = std::process::Command::new(
            std::env::var_os("PIPEWRIGHT_PYTHON").unwrap_or_else(|| "python3".into()),
        );
        command
            .arg(format!("{state_dir}/bundle/launcher.py"))
            .args([
                "start",
                "--state-dir",
                state_dir,
                "--instance",
                &instance,
                "--owner-pid",
                &pid,
            ]);
        if quiet {
            command.arg("--quiet-if-running");
        }
        let out = command.output().expect("the launcher runs");
        assert!(out.status.success(), "{out:?}");
        (
            String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (found, said) = start(false);
    assert_eq!(found, endpoint);
    assert!(said.contains("already serves at"), "{said}");
    let (found, said) = start(true);
    assert_eq!(found, endpoint);
    assert_eq!(said, "", "nothing said when asked to be quiet");
}
