//! The example programs, included as-is, so that their apps can be checked and run.

#[path = "../../examples/reference.rs"]
#[allow(dead_code)]
pub(crate) mod reference;

#[path = "../../examples/ecs_blue_green.rs"]
#[allow(dead_code)]
pub(crate) mod ecs_blue_green;

#[path = "../../examples/lambda_canary.rs"]
#[allow(dead_code)]
pub(crate) mod lambda_canary;

#[path = "../../examples/multi_env.rs"]
#[allow(dead_code)]
pub(crate) mod multi_env;

use pipewright::model::{App, BuildError};

/// Every example app, by name.
pub(crate) fn all() -> Vec<(&'static str, Result<App, BuildError>)> {
    vec![
        ("reference", reference::app()),
        ("ecs_blue_green", ecs_blue_green::app()),
        ("lambda_canary", lambda_canary::app()),
        ("multi_env", multi_env::app()),
    ]
}
