//! Log output that cannot fail. A log line that cannot be written (stderr on a full disk, or
//! redirected to `/dev/full`) is dropped: a failed write must never reach the code that logged
//! it, least of all the store's writer in the middle of a commit.

use std::io::Write;

/// Standard error for a log subscriber, ignoring write errors: `with_writer(|| LogStderr)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogStderr;

impl Write for LogStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}
