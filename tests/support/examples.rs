//! The example programs, each included once here (as-is: their `main` goes unused), so that
//! every tier checks and runs the same apps.

use pipewright::model::{App, BuildError};

#[path = "../../examples/reference.rs"]
pub(crate) mod reference;

#[path = "../../examples/ecs_blue_green.rs"]
pub(crate) mod ecs_blue_green;

#[path = "../../examples/lambda_canary.rs"]
pub(crate) mod lambda_canary;

#[path = "../../examples/multi_env.rs"]
pub(crate) mod multi_env;

#[path = "../../examples/container.rs"]
pub(crate) mod container;

#[path = "../../examples/library.rs"]
pub(crate) mod library;

/// Adds an example's resources to an app, every name prefixed.
pub(crate) type AddExample = fn(&mut App, &str) -> Result<(), BuildError>;

/// One example program.
#[derive(Clone, Copy)]
pub(crate) struct Example {
    /// Its file name, without `.rs`.
    pub(crate) name: &'static str,
    /// The app its program applies.
    pub(crate) app: fn() -> Result<App, BuildError>,
    /// Its resources under a name prefix, for tests that need unique names.
    pub(crate) add: AddExample,
}

/// Every example, in a fixed order.
pub(crate) const ALL: [Example; 6] = [
    Example {
        name: "reference",
        app: reference::app,
        add: reference::add_reference,
    },
    Example {
        name: "ecs_blue_green",
        app: ecs_blue_green::app,
        add: ecs_blue_green::add_ecs_blue_green,
    },
    Example {
        name: "lambda_canary",
        app: lambda_canary::app,
        add: lambda_canary::add_lambda_canary,
    },
    Example {
        name: "multi_env",
        app: multi_env::app,
        add: multi_env::add_multi_env,
    },
    Example {
        name: "container",
        app: container::app,
        add: container::add_container,
    },
    Example {
        name: "library",
        app: library::app,
        add: library::add_library,
    },
];

/// Every example's app, by name, as its program builds it.
pub(crate) fn apps() -> Vec<(&'static str, Result<App, BuildError>)> {
    ALL.iter().map(|e| (e.name, (e.app)())).collect()
}

/// Every example's app, by name; panics if one does not build.
pub(crate) fn built() -> Vec<(&'static str, App)> {
    ALL.iter()
        .map(|e| (e.name, (e.app)().expect("the example builds")))
        .collect()
}

/// The reference pipeline as an app named `prefix`, every resource name under that prefix.
pub(crate) fn reference_app(prefix: &str) -> App {
    let mut app = App::new(prefix).expect("a valid app name");
    reference::add_reference(&mut app, prefix).expect("valid names");
    app
}
