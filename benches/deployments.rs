//! CodeDeploy deployments in the bundled emulator: a `CodeDeployDefault.OneAtATime` deployment
//! to 1, 5 and 20 emulated EC2 instances (made with `local instances add`), hook scripts skipped
//! (the emulator's default), from `CreateDeployment` returning to `GetDeployment` saying
//! `Succeeded`, polled every 10 ms. Five deployments per count; the median and the maximum.
//!
//! Target on a 2-core machine: under 1 s for 5 instances.
//!
//! Then a Lambda deployment under `CodeDeployDefault.LambdaCanary10Percent5Minutes`, in the
//! emulator's scaled time (`PIPEWRIGHT_DEPLOY_TIME_SCALE`, default 200: the 5-minute canary
//! waits 1.5 s): from `CreateDeployment` to `Succeeded`, alternating the alias between two
//! versions, against the 1.5 s the schedule itself takes.
//!
//! The emulator is the bundled LocalStack started for this run (in `.localstack/`, on a free
//! port, stopped when this process ends). `cargo bench --bench deployments`;
//! `PIPEWRIGHT_BENCH_INSTANCES=1,50` runs other counts. `cargo test --all-targets` runs it with
//! one instance and one deployment, as a check that it still works.

use std::error::Error;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_codedeploy::types::{
    AppSpecContent, BundleType, ComputePlatform, DeploymentStatus, Ec2TagFilter, Ec2TagFilterType,
    RevisionLocation, RevisionLocationType, S3Location,
};
use pipewright::local::LocalOptions;
use pipewright::provider::aws::{ClientOptions, Clients};

const COUNTS: [usize; 3] = [1, 5, 20];
const RUNS: usize = 5;

fn emulator() -> LocalOptions {
    let pid = std::process::id();
    LocalOptions::default()
        .state_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.localstack"))
        .instance(format!("bench-deploy-{pid}"))
        .port(0)
        .owner_pid(pid)
        .timeout(Duration::from_secs(300))
        .show_progress(true)
}

/// A ZIP revision: an AppSpec with a file and a hook, made with Python's zipfile.
fn bundle() -> Result<Vec<u8>, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("pipewright-bench-deploy-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("root/scripts"))?;
    std::fs::write(
        dir.join("root/appspec.yml"),
        "version: 0.0\nos: linux\nfiles:\n  - source: app.txt\n    destination: /opt/app\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n",
    )?;
    std::fs::write(dir.join("root/app.txt"), "app")?;
    std::fs::write(dir.join("root/scripts/start.sh"), "#!/bin/sh\n")?;
    let python = std::env::var("PIPEWRIGHT_PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(python)
        .current_dir(dir.join("root"))
        .args([
            "-m",
            "zipfile",
            "-c",
            "../bundle.zip",
            "appspec.yml",
            "app.txt",
            "scripts",
        ])
        .status()?;
    if !status.success() {
        return Err("python3 -m zipfile failed".into());
    }
    let bytes = std::fs::read(dir.join("bundle.zip"))?;
    std::fs::remove_dir_all(&dir)?;
    Ok(bytes)
}

/// A ZIP of one Python handler, for the Lambda function.
fn handler_zip(n: u32) -> Result<Vec<u8>, Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!(
        "pipewright-bench-lambda-{}-{n}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("index.py"),
        format!("def handler(event, context):\n    return {n}\n"),
    )?;
    let python = std::env::var("PIPEWRIGHT_PYTHON").unwrap_or_else(|_| "python3".into());
    let status = Command::new(python)
        .current_dir(&dir)
        .args(["-m", "zipfile", "-c", "fn.zip", "index.py"])
        .status()?;
    if !status.success() {
        return Err("python3 -m zipfile failed".into());
    }
    let bytes = std::fs::read(dir.join("fn.zip"))?;
    std::fs::remove_dir_all(&dir)?;
    Ok(bytes)
}

/// Polls a deployment every 10 ms until it succeeds (an error if it fails or takes 120 s).
async fn succeeded(cd: &aws_sdk_codedeploy::Client, id: &str) -> Result<(), Box<dyn Error>> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let info = cd.get_deployment().deployment_id(id).send().await?;
        let status = info.deployment_info().and_then(|i| i.status()).cloned();
        match status {
            Some(DeploymentStatus::Succeeded) => return Ok(()),
            Some(DeploymentStatus::Failed | DeploymentStatus::Stopped) => {
                return Err(format!("deployment {id} ended {status:?}: {info:?}").into());
            }
            _ if Instant::now() > deadline => {
                return Err(format!("deployment {id} did not end in 120 s").into());
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// The Lambda canary figure (see the crate docs).
async fn lambda_canary(
    endpoint: &str,
    cd: &aws_sdk_codedeploy::Client,
    role: &str,
    runs: usize,
) -> Result<(), Box<dyn Error>> {
    use aws_sdk_lambda::primitives::Blob;
    use aws_sdk_lambda::types::{FunctionCode, Runtime, State};
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            "test", "test", None, None, "bench",
        ))
        .load()
        .await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let name = format!("bench-canary-{}", std::process::id());
    lambda
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python311)
        .role(role)
        .handler("index.handler")
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(handler_zip(1)?))
                .build(),
        )
        .publish(true)
        .send()
        .await?;
    for _ in 0..200 {
        let found = lambda
            .get_function_configuration()
            .function_name(&name)
            .send()
            .await?;
        if found.state() != Some(&State::Pending) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lambda
        .update_function_code()
        .function_name(&name)
        .zip_file(Blob::new(handler_zip(2)?))
        .publish(true)
        .send()
        .await?;
    lambda
        .create_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .send()
        .await?;
    cd.create_application()
        .application_name(&name)
        .compute_platform(ComputePlatform::Lambda)
        .send()
        .await?;
    cd.create_deployment_group()
        .application_name(&name)
        .deployment_group_name("g")
        .service_role_arn(role)
        .deployment_config_name("CodeDeployDefault.LambdaCanary10Percent5Minutes")
        .send()
        .await?;
    let mut times = Vec::new();
    for run in 0..runs {
        let (from, to) = if run % 2 == 0 { (1, 2) } else { (2, 1) };
        let content = format!(
            "version: 0.0\nResources:\n  - web:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: {name}\n        Alias: live\n        CurrentVersion: {from}\n        TargetVersion: {to}\n"
        );
        let id = cd
            .create_deployment()
            .application_name(&name)
            .deployment_group_name("g")
            .revision(
                RevisionLocation::builder()
                    .revision_type(RevisionLocationType::AppSpecContent)
                    .app_spec_content(AppSpecContent::builder().content(content).build())
                    .build(),
            )
            .send()
            .await?
            .deployment_id
            .ok_or("no deployment id")?;
        let created = Instant::now();
        succeeded(cd, &id).await?;
        times.push(created.elapsed().as_secs_f64());
    }
    let max = times.iter().copied().fold(0.0, f64::max);
    let m = median(times);
    let mut out = std::io::stdout();
    writeln!(
        out,
        "\nLambda canary (LambdaCanary10Percent5Minutes, scaled wait 1.500 s)\ndeployments  median     max      over the wait"
    )?;
    writeln!(
        out,
        "{runs:>11}  {m:>7.3} s  {max:>6.3} s  {:>8.3} s",
        m - 1.5
    )?;
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let benching = std::env::args().any(|a| a == "--bench");
    let counts: Vec<usize> = match std::env::var("PIPEWRIGHT_BENCH_INSTANCES") {
        Ok(s) => s.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
        Err(_) if benching => COUNTS.to_vec(),
        Err(_) => vec![1],
    };
    let runs = if benching { RUNS } else { 1 };
    let started = tokio::task::spawn_blocking(|| emulator().start()).await??;
    let clients = Clients::load(&ClientOptions::local(started.endpoint())).await?;
    let cd = &clients.codedeploy;
    let stamp = std::process::id();
    let bucket = format!("bench-deploy-{stamp}");
    clients.s3.create_bucket().bucket(&bucket).send().await?;
    clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key("app.zip")
        .body(bundle()?.into())
        .send()
        .await?;
    let role = format!("arn:aws:iam::000000000000:role/bench-deploy-{stamp}");
    let mut out = std::io::stdout();
    writeln!(
        out,
        "instances  deployments  OneAtATime median  max      per instance"
    )?;
    for &n in &counts {
        let app = format!("bench-{stamp}-{n}");
        let tag = format!("Name={app}");
        let count = n.to_string();
        tokio::task::spawn_blocking(move || {
            emulator().instances(["add", "--tag", &tag, "--count", &count])
        })
        .await??;
        cd.create_application()
            .application_name(&app)
            .send()
            .await?;
        cd.create_deployment_group()
            .application_name(&app)
            .deployment_group_name("g")
            .service_role_arn(&role)
            .deployment_config_name("CodeDeployDefault.OneAtATime")
            .ec2_tag_filters(
                Ec2TagFilter::builder()
                    .key("Name")
                    .value(&app)
                    .r#type(Ec2TagFilterType::KeyAndValue)
                    .build(),
            )
            .send()
            .await?;
        let revision = RevisionLocation::builder()
            .revision_type(RevisionLocationType::S3)
            .s3_location(
                S3Location::builder()
                    .bucket(&bucket)
                    .key("app.zip")
                    .bundle_type(BundleType::Zip)
                    .build(),
            )
            .build();
        let mut times = Vec::new();
        for _ in 0..runs {
            let id = cd
                .create_deployment()
                .application_name(&app)
                .deployment_group_name("g")
                .revision(revision.clone())
                .send()
                .await?
                .deployment_id
                .ok_or("no deployment id")?;
            let created = Instant::now();
            succeeded(cd, &id).await?;
            times.push(created.elapsed().as_secs_f64());
        }
        let max = times.iter().copied().fold(0.0, f64::max);
        let m = median(times);
        writeln!(
            out,
            "{n:>9}  {runs:>11}  {m:>15.3} s  {max:>6.3} s  {:>8.1} ms",
            m * 1000.0 / n as f64
        )?;
    }
    lambda_canary(started.endpoint(), cd, &role, runs).await?;
    tokio::task::spawn_blocking(|| emulator().stop()).await??;
    Ok(())
}
