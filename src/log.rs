//! Logging: `WI_LOG=error|warn|info|debug` to stderr, or a callback installed by
//! the host. Messages never hold a secret or a token value.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwapOption;

/// Severity of a log message; a higher number is more verbose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Failures the caller sees.
    Error = 1,
    /// Trouble the library worked around (e.g. serving a still-valid token).
    Warn = 2,
    /// Token refreshes.
    Info = 3,
    /// Every request and retry.
    Debug = 4,
}

impl Level {
    /// Parses `error`, `warn`, `info` or `debug` (any case).
    pub fn parse(name: &str) -> Option<Level> {
        match name.trim().to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            _ => None,
        }
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }
}

/// A host-provided log sink.
pub type LogSink = Arc<dyn Fn(Level, &str) + Send + Sync>;

/// Not yet read from `WI_LOG`.
const UNSET: u8 = u8::MAX;
/// 0 = off; otherwise the most verbose level emitted. Read on every log call.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(UNSET);
/// Lock-free (`ArcSwap`), so that a forked child never finds it locked.
static SINK: ArcSwapOption<LogSink> = ArcSwapOption::const_empty();

fn env_level() -> u8 {
    std::env::var("WI_LOG")
        .ok()
        .and_then(|v| Level::parse(&v))
        .map_or(0, |level| level as u8)
}

fn max_level() -> u8 {
    match MAX_LEVEL.load(Ordering::Relaxed) {
        UNSET => {
            // A set_log_sink that came first wins.
            let _ = MAX_LEVEL.compare_exchange(
                UNSET,
                env_level(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
            MAX_LEVEL.load(Ordering::Relaxed)
        }
        level => level,
    }
}

/// Sends messages up to `max_level` to `sink` instead of stderr; `None` restores
/// stderr at the `WI_LOG` level. Process-wide; thread-safe.
pub fn set_log_sink(sink: Option<LogSink>, max_level_for_sink: Level) {
    let level = match &sink {
        Some(_) => max_level_for_sink as u8,
        None => env_level(),
    };
    SINK.store(sink.map(Arc::new));
    MAX_LEVEL.store(level, Ordering::Relaxed);
}

thread_local! {
    /// Lines of this thread held back by [`holding`], if it is holding.
    static HELD: RefCell<Option<Vec<(Level, String)>>> = const { RefCell::new(None) };
}

/// Lines held back while a thread led a refresh; [`Held::emit`] sends them.
#[must_use = "held lines are lost unless emitted"]
pub(crate) struct Held(Vec<(Level, String)>);

impl Held {
    /// Emits the held lines, in order. Call it with no lock held and no
    /// flight led: a host's callback may call back into the library.
    pub(crate) fn emit(self) {
        for (level, text) in self.0 {
            write(level, &text);
        }
    }
}

/// Runs `body` with this thread's log lines held back (a refresh it leads:
/// a callback calling the library then would wait on that very refresh).
pub(crate) fn holding<R>(body: impl FnOnce() -> R) -> (R, Held) {
    let outer = HELD.with(|held| held.replace(Some(Vec::new())));
    let result = body();
    let lines = HELD.with(|held| held.replace(outer)).unwrap_or_default();
    (result, Held(lines))
}

/// Emits a message built by `message` when `level` is enabled (or holds it
/// back, inside [`holding`]).
pub(crate) fn log(level: Level, message: impl FnOnce() -> String) {
    if (level as u8) > max_level() {
        return;
    }
    let text = message();
    let held = HELD.with(|held| match held.borrow_mut().as_mut() {
        Some(lines) => {
            lines.push((level, text));
            None
        }
        None => Some(text),
    });
    if let Some(text) = held {
        write(level, &text);
    }
}

/// Sends one line to the sink, or to stderr.
fn write(level: Level, text: &str) {
    // Loaded out of the slot, so that a sink may itself call set_log_sink.
    match SINK.load_full() {
        Some(sink) => sink(level, text),
        None => write_stderr(&format!("[workload-identity {}] {text}\n", level.name())),
    }
}

/// One `write(2)` per line: no lock (std's stderr lock could be held by a
/// thread of the parent when a child was forked), and lines do not interleave.
fn write_stderr(line: &str) {
    let mut rest = line.as_bytes();
    while !rest.is_empty() {
        // SAFETY: writes from a live buffer of `rest.len()` bytes to fd 2.
        let written = unsafe { libc::write(2, rest.as_ptr().cast(), rest.len()) };
        if written > 0 {
            rest = &rest[written as usize..];
        } else if written == 0
            || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted
        {
            return;
        }
    }
}
