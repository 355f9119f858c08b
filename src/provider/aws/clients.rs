//! One configuration load, one client per service.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, retry::RetryConfig, timeout::TimeoutConfig};
use aws_sdk_s3::config::{Credentials, Intercept, SharedInterceptor};

/// The access key LocalStack accepts; it maps to the account `000000000000`.
const LOCAL_ACCESS_KEY: &str = "test";
/// The region used against an emulator when none is given.
const LOCAL_DEFAULT_REGION: &str = "us-east-1";

/// Overrides applied on top of the standard AWS configuration chain.
///
/// Every field is optional: `ClientOptions::default()` means "whatever the environment says",
/// exactly as the AWS CLI would resolve it.
///
/// # Examples
///
/// ```
/// use pipewright::provider::aws::ClientOptions;
///
/// // Real AWS, with a named profile and an explicit region.
/// let aws = ClientOptions::default().profile("ci").region("eu-west-1");
///
/// // An emulator on loopback, with its fixed test credentials.
/// let local = ClientOptions::local("http://127.0.0.1:4566");
/// assert_eq!(local.endpoint_url(), Some("http://127.0.0.1:4566"));
/// # let _ = aws;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ClientOptions {
    region: Option<String>,
    profile: Option<String>,
    endpoint_url: Option<String>,
    emulator_credentials: bool,
    interceptors: Vec<SharedInterceptor>,
}

impl ClientOptions {
    /// Options for an emulator (LocalStack) at `endpoint_url`: its fixed test credentials, and
    /// `us-east-1` unless a region is set afterwards.
    pub fn local(endpoint_url: impl Into<String>) -> Self {
        Self {
            region: None,
            profile: None,
            endpoint_url: Some(endpoint_url.into()),
            emulator_credentials: true,
            interceptors: Vec::new(),
        }
    }

    /// Uses this region instead of the one the configuration chain resolves (`--region`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Uses this shared-config profile instead of `AWS_PROFILE` / `default` (`--profile`).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// Sends every request to this endpoint instead of the AWS one.
    pub fn endpoint(mut self, endpoint_url: impl Into<String>) -> Self {
        self.endpoint_url = Some(endpoint_url.into());
        self
    }

    /// Adds an SDK interceptor to every client (each runs on every request of every service):
    /// for counting or timing calls, adding headers, or tracing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use aws_sdk_s3::config::{ConfigBag, Intercept};
    /// use aws_smithy_runtime_api::box_error::BoxError;
    /// use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
    /// use pipewright::provider::aws::ClientOptions;
    ///
    /// #[derive(Debug, Default)]
    /// struct Count(Arc<AtomicUsize>);
    ///
    /// impl Intercept for Count {
    ///     fn name(&self) -> &'static str {
    ///         "Count"
    ///     }
    ///     fn read_before_execution(
    ///         &self,
    ///         _: &BeforeSerializationInterceptorContextRef<'_>,
    ///         _: &mut ConfigBag,
    ///     ) -> Result<(), BoxError> {
    ///         self.0.fetch_add(1, Ordering::Relaxed);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// let calls = Arc::new(AtomicUsize::new(0));
    /// let options = ClientOptions::local("http://127.0.0.1:4566").interceptor(Count(calls.clone()));
    /// # let _ = options;
    /// ```
    pub fn interceptor(mut self, interceptor: impl Intercept + 'static) -> Self {
        self.interceptors.push(SharedInterceptor::new(interceptor));
        self
    }

    /// The explicit endpoint override, if any (not the one `AWS_ENDPOINT_URL` may set).
    #[must_use]
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }
}

/// Why the AWS configuration could not be turned into clients.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither an option, the environment nor the profile named a region.
    #[error(
        "no AWS region is configured: pass --region, set AWS_REGION, or set `region` in the profile{}",
        profile_hint(.profile)
    )]
    NoRegion {
        /// The profile that was consulted, if one was named.
        profile: Option<String>,
    },
}

fn profile_hint(profile: &Option<String>) -> String {
    profile
        .as_ref()
        .map(|p| format!(" \"{p}\""))
        .unwrap_or_default()
}

/// The SDK clients for every service pipewright manages, sharing one configuration.
///
/// Cloning is cheap: each client is a handle to shared state.
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use pipewright::provider::aws::{ClientOptions, Clients};
///
/// let clients = Clients::load(&ClientOptions::default()).await?;
/// let me = clients.sts.get_caller_identity().send().await?;
/// println!("deploying as {:?} in {}", me.arn(), clients.region());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Clients {
    /// Amazon S3 (artifact buckets).
    pub s3: aws_sdk_s3::Client,
    /// AWS IAM (service roles and their inline policies).
    pub iam: aws_sdk_iam::Client,
    /// AWS STS (who we are: account id for ARNs).
    pub sts: aws_sdk_sts::Client,
    /// AWS CodeCommit (source repositories).
    pub codecommit: aws_sdk_codecommit::Client,
    /// AWS CodeBuild (build projects).
    pub codebuild: aws_sdk_codebuild::Client,
    /// AWS CodeDeploy (applications, deployment configs and groups).
    pub codedeploy: aws_sdk_codedeploy::Client,
    /// AWS CodePipeline (pipelines).
    pub codepipeline: aws_sdk_codepipeline::Client,
    /// Amazon EventBridge (change-detection rules).
    pub eventbridge: aws_sdk_eventbridge::Client,
    /// The Resource Groups Tagging API (what an app owns, by tag).
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    /// Amazon CloudWatch Logs (build log groups, and the build logs `logs` and `watch` follow).
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// Amazon ECR (image repositories).
    pub ecr: aws_sdk_ecr::Client,
    /// AWS CodeArtifact (package domains and repositories).
    pub codeartifact: aws_sdk_codeartifact::Client,
    region: String,
    endpoint_url: Option<String>,
    /// The credentials of the shared load, for what the SDK does not sign itself (git pushes).
    credentials: Option<aws_sdk_codecommit::config::SharedCredentialsProvider>,
}

impl Clients {
    /// Loads the AWS configuration once and builds every client from it.
    ///
    /// Requests time out after bounded delays (5 s to connect, 60 s per attempt) and are retried
    /// by the SDK's adaptive policy: the standard one (throttling, 5xx and transient network
    /// errors, up to 5 attempts with backoff) plus, once a service throttles, a client-side limit
    /// on the rate of requests sent to that service, raised again as it stops throttling. That
    /// keeps the engine's many calls in flight from hammering a control plane with a low quota.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NoRegion`] when no region can be resolved. Credentials are resolved lazily,
    /// on the first request.
    pub async fn load(options: &ClientOptions) -> Result<Self, ConfigError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::adaptive().with_max_attempts(5))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .build(),
            );
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &options.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let region = options.region.clone().or_else(|| {
            options
                .emulator_credentials
                .then(|| LOCAL_DEFAULT_REGION.to_owned())
        });
        if let Some(region) = region {
            loader = loader.region(Region::new(region));
        }
        if options.emulator_credentials {
            loader = loader.credentials_provider(Credentials::new(
                LOCAL_ACCESS_KEY,
                LOCAL_ACCESS_KEY,
                None,
                None,
                "pipewright-local",
            ));
        }
        let config = loader.load().await;

        let region =
            config
                .region()
                .map(ToString::to_string)
                .ok_or_else(|| ConfigError::NoRegion {
                    profile: options.profile.clone(),
                })?;
        let endpoint_url = config.endpoint_url().map(str::to_owned);
        // Virtual-hosted bucket addressing needs DNS names per bucket, which an emulator on
        // loopback cannot serve; AWS itself accepts both forms.
        let s3_overridden =
            endpoint_url.is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let mut s3_config =
            aws_sdk_s3::config::Builder::from(&config).force_path_style(s3_overridden);
        for i in &options.interceptors {
            s3_config.push_interceptor(i.clone());
        }
        let s3_config = s3_config.build();
        // Each service's configuration from the one shared load, plus the interceptors (which
        // the shared configuration cannot carry).
        macro_rules! client {
            ($sdk:ident) => {{
                let mut builder = $sdk::config::Builder::from(&config);
                for i in &options.interceptors {
                    builder.push_interceptor(i.clone());
                }
                $sdk::Client::from_conf(builder.build())
            }};
        }

        Ok(Self {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            iam: client!(aws_sdk_iam),
            sts: client!(aws_sdk_sts),
            codecommit: client!(aws_sdk_codecommit),
            codebuild: client!(aws_sdk_codebuild),
            codedeploy: client!(aws_sdk_codedeploy),
            codepipeline: client!(aws_sdk_codepipeline),
            eventbridge: client!(aws_sdk_eventbridge),
            tagging: client!(aws_sdk_resourcegroupstagging),
            logs: client!(aws_sdk_cloudwatchlogs),
            ecr: client!(aws_sdk_ecr),
            codeartifact: client!(aws_sdk_codeartifact),
            region,
            endpoint_url,
            credentials: config.credentials_provider(),
        })
    }

    /// The credentials every client signs with (`None` when the chain found none).
    #[must_use]
    pub(crate) fn credentials(
        &self,
    ) -> Option<&aws_sdk_codecommit::config::SharedCredentialsProvider> {
        self.credentials.as_ref()
    }

    /// The region every client sends to.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The endpoint every client sends to, when it is not AWS's own (an emulator, a proxy).
    #[must_use]
    pub fn endpoint_url(&self) -> Option<&str> {
        self.endpoint_url.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn emulator_options_pin_region_and_endpoint() {
        let clients = Clients::load(&ClientOptions::local("http://127.0.0.1:4566"))
            .await
            .expect("a region is implied");
        assert_eq!(clients.region(), "us-east-1");
        assert_eq!(clients.endpoint_url(), Some("http://127.0.0.1:4566"));
        let s3 = clients.s3.config();
        assert_eq!(s3.region().map(|r| r.as_ref()), Some("us-east-1"));
    }

    #[tokio::test]
    async fn every_client_retries_adaptively() {
        let clients = Clients::load(&ClientOptions::local("http://127.0.0.1:4566"))
            .await
            .expect("a region is implied");
        let configs = [
            clients.s3.config().retry_config().cloned(),
            clients.iam.config().retry_config().cloned(),
            clients.codepipeline.config().retry_config().cloned(),
            clients.codebuild.config().retry_config().cloned(),
        ];
        for retry in configs {
            let retry = retry.expect("a retry configuration");
            assert_eq!(retry.mode(), aws_config::retry::RetryMode::Adaptive);
            assert_eq!(retry.max_attempts(), 5);
        }
    }

    #[tokio::test]
    async fn an_explicit_region_wins() {
        let options = ClientOptions::local("http://127.0.0.1:4566").region("eu-west-1");
        let clients = Clients::load(&options).await.expect("region given");
        assert_eq!(clients.region(), "eu-west-1");
        assert_eq!(
            clients.codepipeline.config().region().map(|r| r.as_ref()),
            Some("eu-west-1")
        );
    }

    #[test]
    fn no_region_names_the_profile() {
        let err = ConfigError::NoRegion {
            profile: Some("ci".into()),
        };
        assert_eq!(
            err.to_string(),
            "no AWS region is configured: pass --region, set AWS_REGION, or set `region` in the profile \"ci\""
        );
    }
}
