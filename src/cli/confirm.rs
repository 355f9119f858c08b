//! The question `apply` and `destroy` ask before they change AWS.

use std::io::{BufRead, IsTerminal, Write};

use super::error::CliError;

/// Asks `question` on the terminal unless `yes`; without a terminal, refuses.
///
/// The question goes to `err` and the answer comes from the process's stdin: only `yes` goes on.
pub(super) fn confirm(
    yes: bool,
    question: &str,
    verb: &str,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let review = if verb == "destroy" {
            "plan --destroy"
        } else {
            "plan"
        };
        return Err(CliError::message(format!(
            "{verb} changes AWS and needs a confirmation, but there is no terminal to ask on: \
             review `{review}`, then run `{verb} --yes`"
        )));
    }
    let _ = write!(err, "{question} Only 'yes' is accepted: ");
    let _ = err.flush();
    let mut answer = String::new();
    if stdin.lock().read_line(&mut answer).is_err() || answer.trim() != "yes" {
        return Err(CliError::lines(vec![format!(
            "{verb} cancelled; nothing was changed"
        )]));
    }
    Ok(())
}
