//! Builds in the bundled emulator: the overhead of a build whose buildspec is one `echo`, from
//! StartBuild returning to BatchGetBuilds showing `SUCCEEDED`, and to the build's last log line
//! being readable with GetLogEvents; one build alone, then ten started at once.
//!
//! Target on a 2-core machine: under 0.5 s for one build (CodeBuild on AWS takes tens of seconds
//! to provision a container). Polls every 10 ms.
//!
//! The emulator is the one at `AWS_ENDPOINT_URL`, or the bundled LocalStack started for this run
//! (in `.localstack/`, on a free port, stopped when this process ends). `cargo bench --bench
//! builds`; `PIPEWRIGHT_BENCH_BUILDS=1,3` runs other counts. `cargo test --all-targets` runs it with
//! one build, as a check that it still works.

use std::error::Error;
use std::io::Write;
use std::time::{Duration, Instant};

use aws_sdk_codebuild::types::{
    ArtifactsType, ComputeType, EnvironmentType, ProjectArtifacts, ProjectEnvironment,
    ProjectSource, SourceType,
};
use pipewright::local::LocalOptions;
use pipewright::provider::aws::{ClientOptions, Clients};

const COUNTS: [usize; 2] = [1, 10];
const SMOKE_COUNTS: [usize; 1] = [1];
const BUILDSPEC: &str = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo bench-done\n";

fn endpoint() -> Result<String, Box<dyn Error>> {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Ok(url);
    }
    let pid = std::process::id();
    let emulator = LocalOptions::default()
        .state_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack"))
        .instance(format!("bench-builds-{pid}"))
        .port(0)
        .owner_pid(pid)
        .timeout(Duration::from_secs(300))
        .show_progress(true)
        .start()?;
    Ok(emulator.endpoint().to_owned())
}

/// (seconds to SUCCEEDED, seconds to the last log line) for one build.
async fn one(c: Clients, project: String) -> Result<(f64, f64), String> {
    let started = Instant::now();
    let id = c
        .codebuild
        .start_build()
        .project_name(&project)
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?
        .build_value
        .and_then(|b| b.id)
        .ok_or("no build id")?;
    let (mut succeeded, mut logged) = (None, None);
    while succeeded.is_none() || logged.is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!("build {id} not done after 60 s"));
        }
        let got = c
            .codebuild
            .batch_get_builds()
            .ids(&id)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let build = got.builds().first().cloned().ok_or("build not found")?;
        if succeeded.is_none() && build.build_complete() {
            let status = build.build_status().map(|s| s.as_str().to_owned());
            if status.as_deref() != Some("SUCCEEDED") {
                return Err(format!("build {id} ended {status:?}"));
            }
            succeeded = Some(started.elapsed().as_secs_f64());
        }
        if let Some(logs) = build
            .logs()
            .filter(|l| logged.is_none() && l.group_name().is_some())
        {
            let events = c
                .logs
                .get_log_events()
                .log_group_name(logs.group_name().unwrap_or_default())
                .log_stream_name(logs.stream_name().unwrap_or_default())
                .start_from_head(true)
                .send()
                .await;
            // The stream appears with the build's first lines; FINALIZING's is the last.
            if events.is_ok_and(|events| {
                events.events().iter().any(|e| {
                    e.message()
                        .is_some_and(|m| m.contains("Phase complete: FINALIZING"))
                })
            }) {
                logged = Some(started.elapsed().as_secs_f64());
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok((succeeded.unwrap_or_default(), logged.unwrap_or_default()))
}

fn median_max(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (values[values.len() / 2], values[values.len() - 1])
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let benching = std::env::args().any(|a| a == "--bench");
    let counts: Vec<usize> = match std::env::var("PIPEWRIGHT_BENCH_BUILDS") {
        Ok(s) => s.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) if benching => COUNTS.to_vec(),
        Err(_) => SMOKE_COUNTS.to_vec(),
    };
    let url = endpoint()?;
    let c = Clients::load(&ClientOptions::local(&url)).await?;
    let role = format!(
        "arn:aws:iam::000000000000:role/bench-builds-{}",
        std::process::id()
    );
    let project = format!("bench-builds-{}", std::process::id());
    c.codebuild
        .create_project()
        .name(&project)
        .source(
            ProjectSource::builder()
                .r#type(SourceType::NoSource)
                .buildspec(BUILDSPEC)
                .build()?,
        )
        .artifacts(
            ProjectArtifacts::builder()
                .r#type(ArtifactsType::NoArtifacts)
                .build()?,
        )
        .environment(
            ProjectEnvironment::builder()
                .r#type(EnvironmentType::LinuxContainer)
                .image("aws/codebuild/standard:7.0")
                .compute_type(ComputeType::BuildGeneral1Small)
                .build()?,
        )
        .service_role(role)
        .send()
        .await?;
    let mut out = std::io::stdout();
    writeln!(
        out,
        "builds  to SUCCEEDED (median/max)  to last log line (median/max)"
    )?;
    for &n in &counts {
        let runs: Vec<_> = (0..n)
            .map(|_| tokio::spawn(one(c.clone(), project.clone())))
            .collect();
        let mut done = Vec::new();
        for run in runs {
            done.push(run.await?.map_err(|e| -> Box<dyn Error> { e.into() })?);
        }
        let (s_med, s_max) = median_max(done.iter().map(|d| d.0).collect());
        let (l_med, l_max) = median_max(done.iter().map(|d| d.1).collect());
        writeln!(
            out,
            "{n:>6}  {s_med:>8.3} s / {s_max:.3} s        {l_med:>8.3} s / {l_max:.3} s"
        )?;
    }
    c.codebuild.delete_project().name(&project).send().await?;
    Ok(())
}
