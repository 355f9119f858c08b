//! Tracing on stderr for `-v`, `-vv` and `RUST_LOG`, with the SDK's credential-carrying events
//! always left out.

/// SDK log targets whose debug events carry credentials: the resolved identity (access key id
/// in clear) in the auth and endpoint-resolution steps, and the request signer (canonical request
/// and signed headers, session token included).
const CREDENTIAL_LOGGERS: &[&str] = &[
    "aws_smithy_runtime::client::orchestrator::auth",
    "aws_smithy_runtime::client::orchestrator::endpoints",
    "aws_sigv4",
];

/// Whether an event may hold a credential, whatever filter was asked for: every trace event of
/// the SDK's crates (they dump runtime components, identities and whole requests), and the debug
/// events of [`CREDENTIAL_LOGGERS`].
fn may_hold_credentials(meta: &tracing::Metadata<'_>) -> bool {
    let target = meta.target();
    let level = *meta.level();
    (level == tracing::Level::TRACE && target.starts_with("aws_"))
        || (level >= tracing::Level::DEBUG
            && CREDENTIAL_LOGGERS.iter().any(|t| target.starts_with(t)))
}

/// Turns on tracing on stderr for `-v` (pipewright), `-vv` (the AWS SDK too), or `RUST_LOG`.
///
/// No verbosity prints credentials: the SDK's events that may hold them are dropped even when
/// `RUST_LOG` asks for them.
pub(super) fn init(verbose: u8) {
    use tracing_subscriber::{Layer, layer::SubscriberExt, util::SubscriberInitExt};
    let from_env = std::env::var_os("RUST_LOG").is_some();
    if verbose == 0 && !from_env {
        return;
    }
    let filter = if from_env {
        tracing_subscriber::EnvFilter::from_default_env()
    } else if verbose == 1 {
        tracing_subscriber::EnvFilter::new("pipewright=debug")
    } else {
        tracing_subscriber::EnvFilter::new(
            "pipewright=trace,aws_config=debug,aws_smithy_runtime=debug",
        )
    };
    let safe = tracing_subscriber::filter::filter_fn(|meta| !may_hold_credentials(meta));
    // A second initialisation (tests run the CLI many times) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(safe),
        )
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_carrying_sdk_events_are_dropped_at_any_filter() {
        use tracing::Level;
        use tracing::callsite::Identifier;
        use tracing::field::FieldSet;
        use tracing::metadata::Kind;
        struct Site;
        impl tracing::Callsite for Site {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &tracing::Metadata<'_> {
                unreachable!("never registered")
            }
        }
        static SITE: Site = Site;
        let meta = |target: &'static str, level: Level| {
            tracing::Metadata::new(
                "event",
                target,
                level,
                None,
                None,
                None,
                FieldSet::new(&[], Identifier(&SITE)),
                Kind::EVENT,
            )
        };
        let dropped = |target, level| may_hold_credentials(&meta(target, level));
        assert!(dropped(
            "aws_smithy_runtime::client::orchestrator",
            Level::TRACE
        ));
        assert!(dropped(
            "aws_smithy_runtime::client::orchestrator::endpoints",
            Level::DEBUG
        ));
        assert!(dropped("aws_sigv4::http_request::sign", Level::DEBUG));
        assert!(!dropped(
            "aws_smithy_runtime::client::retries",
            Level::DEBUG
        ));
        assert!(!dropped("aws_sigv4::http_request::sign", Level::INFO));
        assert!(!dropped("pipewright::engine", Level::TRACE));
    }
}
