//! The serving loop: routes requests, applies faults, one thread per request.
//!
//! [`Shared`] is owned jointly (via `Arc`) by the [`DevServer`](crate::DevServer)
//! handle and the serving thread; all of it is thread-safe.

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use tiny_http::Server;

use crate::faults::take_matching;
use crate::http::{RecordedRequest, Reply};
use crate::options::Options;
use crate::state::State;
use crate::{
    control, discovery, grants, introspection, oauth, outbound, registration, revocation, skill,
};

/// Prefix of the control API, which is never recorded nor faulted.
const CONTROL_PREFIX: &str = "/_dev/";

type Handler = fn(&mut State, &RecordedRequest) -> Result<Reply, Reply>;

/// `(method, path, handler)` of every endpoint.
const ROUTES: &[(&str, &str, Handler)] = &[
    ("POST", "/oauth/token", oauth::token),
    ("POST", "/oauth/exchange", oauth::exchange),
    ("POST", "/oauth2/token", grants::token),
    ("POST", "/oauth2/introspect", introspection::introspect),
    ("POST", "/oauth2/revoke", revocation::revoke),
    ("POST", "/oauth2/register", registration::register),
    ("POST", "/outbound/integration", outbound::integration),
    ("GET", "/outbound/env", outbound::env),
    ("POST", "/skill/get_skill_envs", skill::get_skill_envs),
    ("GET", "/_dev/requests", control::requests),
    ("GET", "/_dev/stats", control::stats),
    ("POST", "/_dev/reset", control::reset),
    ("POST", "/_dev/revoke", control::revoke),
    ("POST", "/_dev/faults", control::push_fault),
    ("DELETE", "/_dev/faults", control::clear_faults),
    ("POST", "/_dev/config", control::config),
    ("POST", "/_dev/tokens", control::issue_token),
    ("POST", "/_dev/egress", control::start_egress),
    ("GET", "/_dev/egress", control::egress),
];

/// State plus the stop signal, shared by the handle and every request thread.
pub(crate) struct Shared {
    state: Mutex<State>,
    stopping: Mutex<bool>,
    wake: Condvar,
    log: bool,
    started: Instant,
    /// Milliseconds from `started` to the last request received.
    last_request_ms: AtomicU64,
}

impl Shared {
    /// Shared state for a server started with `options` at `base_url`.
    pub fn new(options: &Options, base_url: String) -> Result<Shared, String> {
        Ok(Shared {
            state: Mutex::new(State::new(options, base_url)?),
            stopping: Mutex::new(false),
            wake: Condvar::new(),
            log: options.log_requests,
            started: Instant::now(),
            last_request_ms: AtomicU64::new(0),
        })
    }

    /// Locks the state (a panicked handler does not poison it for others).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Marks the server as stopping and cuts every fault delay short.
    pub fn stop(&self) {
        *self.stopping.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.wake.notify_all();
    }

    pub fn is_stopping(&self) -> bool {
        *self.stopping.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps for `duration`, or less if the server stops meanwhile.
    pub fn sleep(&self, duration: Duration) {
        let stopping = self.stopping.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .wake
            .wait_timeout_while(stopping, duration, |stopping| !*stopping);
    }

    /// How long since the last request arrived (since start if none has).
    pub fn since_last_request(&self) -> Duration {
        let last = Duration::from_millis(self.last_request_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }
}

/// Serves until [`Shared::stop`] and `server.unblock()`; joins every request thread.
pub(crate) fn serve(server: &Server, shared: &Shared, port: u16) {
    thread::scope(|scope| {
        scope.spawn(|| crate::nudge::run(shared, port));
        loop {
            match server.recv() {
                Ok(request) => {
                    scope.spawn(move || handle(shared, request));
                }
                Err(_) if shared.is_stopping() => break,
                Err(_) => continue,
            }
        }
    });
}

fn handle(shared: &Shared, mut request: tiny_http::Request) {
    let arrived = shared.started.elapsed().as_millis() as u64;
    shared.last_request_ms.fetch_max(arrived, Ordering::Relaxed);
    let recorded = RecordedRequest::read(&mut request);
    let reply = reply(shared, &recorded);
    if shared.log {
        let line = format!("{} {} {}\n", recorded.method, recorded.path, reply.status);
        // Logging must never take the server down (e.g. a closed stdout).
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
    // The client may have gone away; nothing to do about it.
    let _ = request.respond(reply.into_response());
}

/// Records the request, applies any fault, then routes it.
fn reply(shared: &Shared, request: &RecordedRequest) -> Reply {
    if request.path.starts_with(CONTROL_PREFIX) {
        return route(&mut shared.state(), request);
    }
    let (slot, fault) = {
        let mut state = shared.state();
        let slot = state.record(request.clone());
        (slot, take_matching(&mut state.faults, &request.path))
    };
    let reply = match fault {
        None => route(&mut shared.state(), request),
        Some(fault) => {
            shared.sleep(Duration::from_millis(fault.delay_ms));
            match fault.kind.reply() {
                Some(reply) => reply,
                None => fault.kind.edit(route(&mut shared.state(), request)),
            }
        }
    };
    shared.state().answered(slot, reply.status);
    reply
}

fn route(state: &mut State, request: &RecordedRequest) -> Reply {
    let outbound = request.path.starts_with("/outbound/");
    let error = |status: u16, code: &str, description: String| {
        if outbound {
            outbound::error(status, &description)
        } else {
            Reply::error(status, code, &description)
        }
    };
    if let Some(issuer_path) = discovery::issuer_path(&request.path) {
        return match request.method.as_str() {
            "GET" => discovery::metadata(state, issuer_path),
            _ => error(
                405,
                "method_not_allowed",
                format!("{} requires GET", request.path),
            )
            .with_header("Allow", "GET".to_owned()),
        };
    }
    let methods: Vec<&str> = ROUTES
        .iter()
        .filter(|(_, path, _)| *path == request.path)
        .map(|(method, _, _)| *method)
        .collect();
    if methods.is_empty() {
        return error(404, "not_found", format!("no endpoint {}", request.path));
    }
    let found = ROUTES
        .iter()
        .find(|(method, path, _)| *path == request.path && *method == request.method);
    let Some(&(_, _, handler)) = found else {
        let allowed = methods.join(", ");
        let description = format!("{} requires {allowed}", request.path);
        return error(405, "method_not_allowed", description).with_header("Allow", allowed);
    };
    handler(state, request).unwrap_or_else(|reply| reply)
}
