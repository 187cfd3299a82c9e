//! Progress bars on stderr for what takes long: big uploads, and `--split` sends of many
//! messages (a rate limit may space them out over minutes).
//!
//! Only on a terminal, and not with `NO_COLOR` or `TERM=dumb`: anywhere else (CI logs, pipes,
//! the tests' captured output) the output is the plain lines it always was. Log lines (retry
//! warnings) go through [`Bars`] as the tracing writer, so that a bar being drawn is lifted for
//! them instead of overwriting them.

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether bars are drawn, and the one being drawn now; clones share it.
#[derive(Clone, Default)]
pub struct Bars {
    enabled: bool,
    current: Arc<Mutex<Option<ProgressBar>>>,
}

impl Bars {
    /// Bars as this process's stderr and environment allow.
    pub fn detect() -> Bars {
        let term = std::env::var_os("TERM");
        Bars {
            enabled: wanted(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR").is_some(),
                term.as_deref().and_then(|term| term.to_str()),
            ),
            current: Arc::default(),
        }
    }

    /// A bar for uploading `name`, in bytes; its length is set by the first progress.
    pub fn upload(&self, name: &str) -> Bar {
        self.start(
            0,
            "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} \
             {binary_bytes_per_sec} {eta}",
            format!("uploading {name}"),
        )
    }

    /// A bar for sending `total` messages one after the other.
    pub fn messages(&self, total: usize) -> Bar {
        let total = u64::try_from(total).unwrap_or(u64::MAX);
        self.start(
            total,
            "{msg} [{bar:30}] {pos}/{len} {elapsed}",
            "sending".to_owned(),
        )
    }

    fn start(&self, length: u64, template: &str, message: String) -> Bar {
        if !self.enabled {
            return Bar { bar: None };
        }
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::new(length)
            .with_style(style)
            .with_message(message);
        // Redrawn now and then even without progress, so that a stalled upload shows its
        // elapsed time and rate falling instead of freezing.
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.lock() = Some(bar.clone());
        Bar {
            bar: Some(BarInner {
                bar,
                current: Arc::clone(&self.current),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether to draw bars: on a terminal that is not `dumb`, without `NO_COLOR`.
fn wanted(stderr_is_terminal: bool, no_color: bool, term: Option<&str>) -> bool {
    stderr_is_terminal && !no_color && term != Some("dumb")
}

/// One bar, cleared from the screen when dropped (what it showed is then said in plain lines).
pub struct Bar {
    bar: Option<BarInner>,
}

struct BarInner {
    bar: ProgressBar,
    current: Arc<Mutex<Option<ProgressBar>>>,
}

impl Bar {
    /// A function that sets the position and the length (known only once the upload starts),
    /// for an upload's progress callback.
    pub fn mover(&self) -> impl Fn(u64, u64) + Send + Sync + 'static {
        let bar = self.bar.as_ref().map(|inner| inner.bar.clone());
        move |position, length| {
            if let Some(bar) = &bar {
                if bar.length() != Some(length) {
                    bar.set_length(length);
                }
                bar.set_position(position);
            }
        }
    }

    /// One more done.
    pub fn step(&self) {
        if let Some(inner) = &self.bar {
            inner.bar.inc(1);
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(inner) = self.bar.take() {
            inner.bar.finish_and_clear();
            *inner.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Bars {
    type Writer = Stderr;

    fn make_writer(&'a self) -> Stderr {
        Stderr {
            bar: self.lock().clone(),
        }
    }
}

/// Stderr for log lines, with the current bar (if any) lifted while each is written.
pub struct Stderr {
    bar: Option<ProgressBar>,
}

impl std::io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let write = || std::io::stderr().write_all(buf).map(|()| buf.len());
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_only_on_a_terminal_without_no_color_or_a_dumb_term() {
        assert!(wanted(true, false, Some("xterm-256color")));
        assert!(wanted(true, false, None));
        assert!(
            !wanted(false, false, Some("xterm")),
            "piped, as in CI and tests"
        );
        assert!(!wanted(true, true, Some("xterm")), "NO_COLOR");
        assert!(!wanted(true, false, Some("dumb")));
    }

    #[test]
    fn a_disabled_bar_does_nothing_and_leaves_log_lines_alone() {
        let bars = Bars::default();
        let bar = bars.upload("x");
        bar.mover()(1, 2);
        bar.step();
        assert!(bar.bar.is_none());
        assert!(bars.lock().is_none());
    }
}
