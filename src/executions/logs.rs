//! Reading a build's log page after page, each line once.

use super::{Executions, LogFrom, LogLine, LogStream};
use crate::provider::api::ProviderError;

/// Reads a log on from where it left off, so that across pages and polls no line is lost or
/// told twice: it keeps `GetLogEvents`' `nextForwardToken`, and takes AWS's answer of the same
/// token as "nothing more yet".
///
/// ```no_run
/// # async fn demo(source: &dyn pipewright::executions::Executions, log: pipewright::executions::LogStream) -> Result<(), pipewright::provider::api::ProviderError> {
/// use pipewright::executions::LogCursor;
///
/// let mut cursor = LogCursor::new(log);
/// for line in cursor.drain(source, 100).await? {
///     println!("{}", line.message);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct LogCursor {
    log: LogStream,
    token: Option<String>,
}

impl LogCursor {
    /// A cursor at the start of `log`.
    #[must_use]
    pub fn new(log: LogStream) -> Self {
        Self { log, token: None }
    }

    /// The log it reads.
    #[must_use]
    pub fn log(&self) -> &LogStream {
        &self.log
    }

    /// One page (one `GetLogEvents` call): the lines after those already read, and whether more
    /// may follow at once (AWS gave a new token).
    ///
    /// # Errors
    /// The AWS error (`ResourceNotFoundException` while the stream does not exist yet); the
    /// cursor stays where it was.
    pub async fn page(
        &mut self,
        source: &dyn Executions,
    ) -> Result<(Vec<LogLine>, bool), ProviderError> {
        let from = self.token.clone().map_or(LogFrom::Start, LogFrom::Token);
        let page = source.log_events(&self.log, &from).await?;
        let more = page.next.is_some() && page.next != self.token;
        if page.next.is_some() {
            self.token = page.next;
        }
        Ok((page.lines, more))
    }

    /// Pages until AWS says there is nothing more (the same token back), at most `max_pages`
    /// calls; every line read, in order.
    ///
    /// # Errors
    /// As [`page`](Self::page); lines read before the error are lost to this call but not to
    /// the cursor's position, so call [`page`](Self::page) when that matters.
    pub async fn drain(
        &mut self,
        source: &dyn Executions,
        max_pages: usize,
    ) -> Result<Vec<LogLine>, ProviderError> {
        let mut lines = Vec::new();
        for _ in 0..max_pages {
            let (page, more) = self.page(source).await?;
            lines.extend(page);
            if !more {
                break;
            }
        }
        Ok(lines)
    }
}
