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
