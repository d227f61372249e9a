//! Logging: `WI_LOG=error|warn|info|debug` to stderr, or a callback installed by
//! the host. Messages never hold a secret or a token value.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;

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

/// 0 = off; otherwise the most verbose level emitted. Read on every log call.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static INIT: OnceLock<()> = OnceLock::new();
static SINK: RwLock<Option<LogSink>> = RwLock::new(None);

fn max_level() -> u8 {
    INIT.get_or_init(|| {
        if let Some(level) = std::env::var("WI_LOG").ok().and_then(|v| Level::parse(&v)) {
            MAX_LEVEL.store(level as u8, Ordering::Relaxed);
        }
    });
    MAX_LEVEL.load(Ordering::Relaxed)
}

/// Sends messages up to `max_level` to `sink` instead of stderr; `None` restores
/// stderr at the `WI_LOG` level. Process-wide; thread-safe.
pub fn set_log_sink(sink: Option<LogSink>, max_level_for_sink: Level) {
    max_level();
    let level = match &sink {
        Some(_) => max_level_for_sink as u8,
        None => std::env::var("WI_LOG")
            .ok()
            .and_then(|v| Level::parse(&v))
            .map_or(0, |level| level as u8),
    };
    *SINK.write() = sink;
    MAX_LEVEL.store(level, Ordering::Relaxed);
}

/// Emits a message built by `message` when `level` is enabled.
pub(crate) fn log(level: Level, message: impl FnOnce() -> String) {
    if (level as u8) > max_level() {
        return;
    }
    let text = message();
    // Cloned out so that a sink may itself call set_log_sink.
    let sink = SINK.read().clone();
    match sink {
        Some(sink) => sink(level, &text),
        None => eprintln!("[workload-identity {}] {text}", level.name()),
    }
}
