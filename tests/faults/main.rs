//! The fault tier: the SDK clients, and later the engine, through a proxy that injects throttling,
//! server errors, dropped connections and latency between them and the emulator.

// The emulator harness is shared with the LocalStack tier; not every helper is used here.
#[allow(dead_code)]
#[path = "../localstack/harness.rs"]
mod harness;

mod apply;
mod proxy;
mod sdk;
