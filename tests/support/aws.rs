//! The AWS provider the engine drives in the emulator tiers, over SDK clients pointed at one
//! endpoint (the emulator, or a proxy in front of it).

use std::sync::Arc;

use pipewright::engine::Env;
use pipewright::provider::api::Provider;
use pipewright::provider::aws::{AwsProvider, ClientOptions, Clients};

/// The provider over `clients`, with the account, region and partition STS gives it.
pub(crate) async fn provider_with(clients: Clients) -> (Arc<dyn Provider>, Env) {
    let aws = AwsProvider::new(clients).await.expect("sts answers");
    let env = Env::new(aws.partition(), aws.region(), aws.account());
    (Arc::new(aws), env)
}

/// The provider over clients aimed at `endpoint`.
pub(crate) async fn provider_at(endpoint: &str) -> (Arc<dyn Provider>, Env) {
    let clients = Clients::load(&ClientOptions::local(endpoint))
        .await
        .expect("emulator options name a region");
    provider_with(clients).await
}
