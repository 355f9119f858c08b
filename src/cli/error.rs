//! The one error type of the command line: what went wrong, and the exit code it ends with.
//!
//! Commands return a [`CliError`] instead of printing; [`run`](super::run) prints it once, at the
//! end, so every failure reads the same way and no command forgets the exit code.

use std::error::Error;
use std::io::Write;

/// Why a command failed, as it is printed, and the exit code it ends the process with.
#[derive(Debug)]
pub(crate) struct CliError {
    code: u8,
    text: Text,
}

#[derive(Debug)]
enum Text {
    /// `error: CONTEXT: SOURCE`, then `  caused by: …` for each further source.
    Chain {
        context: String,
        source: Box<dyn Error>,
    },
    /// `error: MESSAGE`, for failures with no error value behind them.
    Message(String),
    /// Lines printed as they are: each says what it is (`error: …`, `conflict: …`).
    Lines(Vec<String>),
}

/// What a command that did its job exits with: 0, or 2 when `plan --detailed-exitcode` or
/// `drift` found something to change.
pub(crate) type Exit = Result<u8, CliError>;

impl CliError {
    /// `context`, then `source` and its whole chain; exit 1.
    pub(crate) fn new(context: impl Into<String>, source: impl Into<Box<dyn Error>>) -> Self {
        Self {
            code: 1,
            text: Text::Chain {
                context: context.into(),
                source: source.into(),
            },
        }
    }

    /// `error: MESSAGE`; exit 1.
    pub(crate) fn message(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            text: Text::Message(message.into()),
        }
    }

    /// These lines as they are; exit 1.
    pub(crate) fn lines(lines: Vec<String>) -> Self {
        Self {
            code: 1,
            text: Text::Lines(lines),
        }
    }

    /// The same error, ending the process with `code` instead.
    pub(crate) fn exit_code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }

    /// Prints the error on `err` and returns its exit code.
    pub(crate) fn print(&self, err: &mut dyn Write) -> u8 {
        // The process ends right after: a failing stderr leaves nothing better to do.
        let _ = match &self.text {
            Text::Chain { context, source } => print_chain(err, context, source.as_ref()),
            Text::Message(message) => writeln!(err, "error: {message}"),
            Text::Lines(lines) => lines.iter().try_for_each(|l| writeln!(err, "{l}")),
        };
        self.code
    }
}

fn print_chain(err: &mut dyn Write, context: &str, e: &dyn Error) -> std::io::Result<()> {
    writeln!(err, "error: {context}: {e}")?;
    let mut source = e.source();
    while let Some(s) = source {
        writeln!(err, "  caused by: {s}")?;
        source = s.source();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_prints_its_whole_chain_once_and_gives_its_code() {
        let inner = std::io::Error::other("disk full");
        let outer = crate::local::LocalError::StateDir {
            path: "/state".into(),
            source: inner,
        };
        let mut err = Vec::new();
        let code = CliError::new("the bundled LocalStack is not available", outer).print(&mut err);
        assert_eq!(code, 1);
        assert_eq!(
            String::from_utf8_lossy(&err),
            "error: the bundled LocalStack is not available: cannot write the LocalStack state \
             directory /state\n  caused by: disk full\n"
        );
        let mut err = Vec::new();
        let code = CliError::lines(vec!["not running".into()])
            .exit_code(3)
            .print(&mut err);
        assert_eq!(
            (code, String::from_utf8_lossy(&err).as_ref()),
            (3, "not running\n")
        );
    }
}
