//! Build logs through [`AwsExecutions`]: a [`LogCursor`] over real CloudWatch Logs reads every
//! event once, in order, across reads, and an end of the stream is AWS's same token back.

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use pipewright::executions::{Executions, LogCursor, LogFrom, LogStream};
use pipewright::provider::aws::AwsExecutions;

use crate::harness::{clients, unique};

#[tokio::test]
async fn a_log_cursor_reads_each_event_once_across_reads() {
    let c = clients().await;
    let group = format!("/aws/codebuild/{}", unique("logs"));
    let stream = "0f5c8f6e-2b7a-4d1c-9a39-5f1f2d3c4b5a";
    c.logs
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("group");
    c.logs
        .create_log_stream()
        .log_group_name(&group)
        .log_stream_name(stream)
        .send()
        .await
        .expect("stream");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64;
    let put = |from: i64, to: i64| {
        let events: Vec<_> = (from..to)
            .map(|i| {
                InputLogEvent::builder()
                    .timestamp(now + i)
                    .message(format!("line {i}\n"))
                    .build()
                    .expect("timestamp and message")
            })
            .collect();
        c.logs
            .put_log_events()
            .log_group_name(&group)
            .log_stream_name(stream)
            .set_log_events(Some(events))
            .send()
    };
    put(0, 7).await.expect("first events");
    let source = AwsExecutions::new(c.clone());
    let log = LogStream {
        group: group.clone(),
        stream: stream.into(),
        deep_link: None,
    };
    let mut cursor = LogCursor::new(log.clone());
    let first = cursor.drain(&source, 10).await.expect("first read");
    put(7, 12).await.expect("more events");
    let second = cursor.drain(&source, 10).await.expect("second read");
    let (nothing, more) = cursor.page(&source).await.expect("third read");
    let read: Vec<String> = first
        .iter()
        .chain(&second)
        .map(|l| l.message.clone())
        .collect();
    let expected: Vec<String> = (0..12).map(|i| format!("line {i}")).collect();
    assert_eq!(
        read, expected,
        "each line once, in order, without its newline"
    );
    assert_eq!(first.len(), 7);
    assert!(
        nothing.is_empty() && !more,
        "the same token back: nothing more"
    );
    let tail = source
        .log_events(&log, &LogFrom::Tail(3))
        .await
        .expect("tail");
    let tail: Vec<_> = tail.lines.into_iter().map(|l| l.message).collect();
    assert_eq!(tail, vec!["line 9", "line 10", "line 11"]);
    let missing = LogStream {
        stream: "not-yet".into(),
        ..log
    };
    let err = source
        .log_events(&missing, &LogFrom::Start)
        .await
        .expect_err("no such stream");
    assert_eq!(err.code, "ResourceNotFoundException", "{err}");
    c.logs
        .delete_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("cleanup");
}
