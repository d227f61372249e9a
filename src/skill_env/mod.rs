//! Skill environment loading: the Coze SDK's `load_skill_env` (shared/PROTOCOL.md,
//! "The outbound auth proxy and skill environment"), once per process.
//!
//! 1. The source path (given, else the current directory, then the running
//!    executable) is searched for an agent directory `.coze/agents/<digits>`;
//!    its `config.json` gives `patToken` and `skills`, the skill being the
//!    first whose `relPath` is in the source path; `/source/ticket.json` may
//!    give the identity ticket. Missing pieces end here, with nothing loaded,
//!    and do not count as the process's attempt (a later call tries again).
//! 2. The process environment gets `agent_id`, `pat_token`, `skill_id`
//!    (removed when no skill matched: then loading is done and successful) and
//!    `identity_ticket` = `IDENTITY_TICKET`.
//! 3. With a skill, the endpoint's variables are applied, except that a
//!    `COZE_OUTBOUND_AUTH_PROXY` already set is kept, and the CA variables are
//!    applied only when `COZE_OUTBOUND_AUTH_PROXY_CA_PATH` was not already set
//!    (content preferred over path).
//!
//! Best effort, as the Coze SDK: every failure is a warning and "nothing
//! loaded", except an API error code (`BaseResp.StatusCode` not 0), which is a
//! [`crate::ErrorKind::SkillEnv`] error. Warnings and the report name
//! variables, files and ids, never a value, a token or the ticket.
//!
//! Once per process: the first attempt's report is returned to later callers
//! (`cached`), unless they force a new attempt. Concurrent callers wait for the
//! attempt in flight and share its outcome. After `fork`, a child whose parent
//! was loading starts afresh; a child of a parent that had loaded keeps the
//! result (its environment was inherited too).

mod agent;
mod wire;

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration;

use serde_json::json;

use crate::egress::{
    COZE_OUTBOUND_AUTH_PROXY, COZE_OUTBOUND_AUTH_PROXY_CA, COZE_OUTBOUND_AUTH_PROXY_CA_PATH,
};
use crate::error::{Error, Operation};
use crate::fork::{lock, ForkLocal};
use crate::log::{log, Level};
use crate::secret::SecretString;
use crate::transport::{HttpRequest, Payload, Transport};
use agent::ConfigProblem;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use agent::{config_of, match_skill, ticket_of};
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use wire::parse_answer;
pub(crate) use wire::Answer;

/// The variable naming the skill environment endpoint.
pub const COZE_SKILL_ENV_ENDPOINT: &str = "COZE_SKILL_ENV_ENDPOINT";
/// The endpoint used when `COZE_SKILL_ENV_ENDPOINT` is unset.
pub const DEFAULT_SKILL_ENV_ENDPOINT: &str =
    "https://www.coze.cn/api/coze_claw/skill/get_skill_envs";
/// The connect and read timeout when none is given (the SDK's 10 s).
pub const DEFAULT_SKILL_ENV_TIMEOUT: Duration = Duration::from_secs(10);
/// Where the platform leaves the identity ticket.
pub const DEFAULT_TICKET_FILE: &str = "/source/ticket.json";

/// What to load from.
#[derive(Clone, Debug, Default)]
pub struct SkillEnvOptions {
    /// Paths to search for `.coze/agents/<digits>`, first match wins; empty:
    /// the current directory, then the running executable.
    pub source_paths: Vec<PathBuf>,
    /// Load again even if this process already did.
    pub force: bool,
    /// Connect and read timeout of the endpoint request; `None`: 10 s.
    pub timeout: Option<Duration>,
    /// The identity ticket file; `None`: [`DEFAULT_TICKET_FILE`].
    pub ticket_file: Option<PathBuf>,
}

/// What a load did. Holds names and ids only, never a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkillEnvReport {
    /// The Coze SDK's return value: the agent was found and either no skill
    /// matched or at least one skill variable was applied.
    pub loaded: bool,
    /// True when this call did nothing and reports the process's earlier attempt.
    pub cached: bool,
    /// True when this report is of the process's attempt (this call's or,
    /// when `cached`, an earlier one's): later calls without `force` do
    /// nothing. False when loading stopped before it counted (no agent
    /// directory, no usable `config.json`): a later call tries again.
    pub attempted: bool,
    /// The source path whose agent directory was used.
    pub source_path: Option<PathBuf>,
    /// The agent id (the digits of `.coze/agents/<digits>`).
    pub agent_id: Option<String>,
    /// The matched skill id.
    pub skill_id: Option<String>,
    /// Variables written to the environment, in order, each once.
    pub set: Vec<String>,
    /// Variables removed from the environment.
    pub unset: Vec<String>,
    /// Variables served by the endpoint but not applied (already set).
    pub kept: Vec<String>,
    /// Why nothing (or not everything) was loaded, when something went wrong.
    pub message: Option<String>,
}

impl SkillEnvReport {
    /// The report as a JSON object: `loaded`, `cached`, `attempted` (booleans),
    /// `source_path`, `agent_id`, `skill_id`, `message` (strings or null),
    /// `set`, `unset`, `kept` (arrays of variable names).
    pub fn to_json(&self) -> String {
        json!({
            "loaded": self.loaded,
            "cached": self.cached,
            "attempted": self.attempted,
            "source_path": self.source_path.as_ref().map(|path| path.to_string_lossy()),
            "agent_id": self.agent_id,
            "skill_id": self.skill_id,
            "set": self.set,
            "unset": self.unset,
            "kept": self.kept,
            "message": self.message,
        })
        .to_string()
    }
}

/// Loads the skill environment into the process environment, once per process
/// unless `options.force`.
///
/// Thread-safe; concurrent callers share one attempt. Writes the process
/// environment (`setenv`), which races with other threads reading it through
/// `getenv` at the same moment (Rust's `std::env` takes a lock; C code does
/// not): where that matters, load before starting threads.
///
/// Errors: only [`crate::ErrorKind::SkillEnv`], for an API error code; the
/// message carries the error payload as JSON after `GetSkillEnvs error: `.
pub fn load_skill_env(options: &SkillEnvOptions) -> Result<SkillEnvReport, Error> {
    crate::fork::install_handlers();
    let candidates = if options.source_paths.is_empty() {
        std::env::current_dir()
            .into_iter()
            .chain(std::env::current_exe())
            .collect()
    } else {
        options.source_paths.clone()
    };
    let timeout = options.timeout.unwrap_or(DEFAULT_SKILL_ENV_TIMEOUT);
    let ticket_file = options
        .ticket_file
        .as_deref()
        .unwrap_or(Path::new(DEFAULT_TICKET_FILE));
    let state = STATE.get(OnceState::inherit);
    run_once(&state, options.force, || {
        Loader {
            env: &mut ProcessEnvironment,
            ticket_file,
        }
        .attempt(&candidates, timeout)
    })
}

/// The environment the loader reads and writes.
trait Environment {
    /// The value of `name`; unset and empty are both `None`.
    fn get(&self, name: &str) -> Option<String>;
    fn set(&mut self, name: &str, value: &str);
    fn remove(&mut self, name: &str);
}

struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(|value| value.to_string_lossy().into_owned())
    }

    fn set(&mut self, name: &str, value: &str) {
        std::env::set_var(name, value);
    }

    fn remove(&mut self, name: &str) {
        std::env::remove_var(name);
    }
}

/// How an attempt ended.
enum Outcome {
    /// Stopped before it counted as the process's attempt.
    NotAttempted(SkillEnvReport),
    /// The process's attempt, with the API error if there was one.
    Attempted(SkillEnvReport, Option<Error>),
}

enum Phase {
    Idle,
    Loading { pid: u32 },
    Done { report: SkillEnvReport },
}

/// The process-wide state: one attempt at a time, its report kept. A forked
/// child replaces it (`crate::fork::ForkLocal`), keeping a finished report.
struct OnceState {
    phase: Mutex<Phase>,
    changed: Condvar,
}

static STATE: ForkLocal<OnceState> = ForkLocal::new();

impl OnceState {
    fn new(phase: Phase) -> OnceState {
        OnceState {
            phase: Mutex::new(phase),
            changed: Condvar::new(),
        }
    }

    /// A fresh state, keeping the inherited one's finished report when its
    /// lock is free (an attempt in flight at the fork has no thread here).
    fn inherit(inherited: Option<&OnceState>) -> OnceState {
        let done = inherited
            .and_then(|state| state.phase.try_lock().ok())
            .and_then(|phase| match &*phase {
                Phase::Done { report } => Some(Phase::Done {
                    report: report.clone(),
                }),
                _ => None,
            });
        OnceState::new(done.unwrap_or(Phase::Idle))
    }
}

fn run_once(
    state: &OnceState,
    force: bool,
    attempt: impl FnOnce() -> Outcome,
) -> Result<SkillEnvReport, Error> {
    let pid = std::process::id();
    let previous = {
        let mut phase = lock(&state.phase);
        loop {
            match &*phase {
                Phase::Loading { pid: loading } if *loading == pid => {
                    phase = state
                        .changed
                        .wait(phase)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Phase::Done { report } if !force => {
                    return Ok(SkillEnvReport {
                        cached: true,
                        ..report.clone()
                    });
                }
                _ => break,
            }
        }
        match std::mem::replace(&mut *phase, Phase::Loading { pid }) {
            // A parent's attempt, copied by fork: nothing runs it here.
            Phase::Loading { .. } => Phase::Idle,
            other => other,
        }
    };
    let mut settle = Settle {
        state,
        previous: Some(previous),
    };
    let (next, result) = match attempt() {
        Outcome::NotAttempted(report) => (settle.previous.take(), Ok(report)),
        Outcome::Attempted(report, error) => {
            let report = SkillEnvReport {
                attempted: true,
                ..report
            };
            let next = Some(Phase::Done {
                report: report.clone(),
            });
            (next, error.map_or(Ok(report), Err))
        }
    };
    settle.finish(next.unwrap_or(Phase::Idle));
    result
}

/// Ends the `Loading` phase whatever happens: a panicking attempt restores the
/// previous phase, so that waiters never wait forever.
struct Settle<'a> {
    state: &'a OnceState,
    previous: Option<Phase>,
}

impl Settle<'_> {
    fn finish(mut self, next: Phase) {
        self.previous = None;
        *lock(&self.state.phase) = next;
        self.state.changed.notify_all();
    }
}

impl Drop for Settle<'_> {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            *lock(&self.state.phase) = previous;
            self.state.changed.notify_all();
        }
    }
}

/// One attempt, against an environment and a ticket file.
struct Loader<'a> {
    env: &'a mut dyn Environment,
    ticket_file: &'a Path,
}

impl Loader<'_> {
    fn attempt(&mut self, candidates: &[PathBuf], timeout: Duration) -> Outcome {
        let mut report = SkillEnvReport::default();
        let found = candidates.iter().find_map(|candidate| {
            let source = agent::resolve(candidate);
            agent::agent_dir(&source).map(|agent| (source, agent))
        });
        let Some((source, agent)) = found else {
            let searched: Vec<String> = candidates
                .iter()
                .map(|path| path.display().to_string())
                .collect();
            let message = format!(
                "no .coze/agents/<digits> directory in {}",
                if searched.is_empty() {
                    "(no path)".to_owned()
                } else {
                    searched.join(", ")
                }
            );
            log(Level::Debug, || format!("skill environment: {message}"));
            report.message = Some(message);
            return Outcome::NotAttempted(report);
        };
        report.source_path = Some(source.clone());
        report.agent_id = Some(agent.agent_id.clone());
        let config = match agent::read_config(&agent) {
            Ok(config) => config,
            Err(ConfigProblem::Missing(message)) => {
                log(Level::Debug, || format!("skill environment: {message}"));
                report.message = Some(message);
                return Outcome::NotAttempted(report);
            }
            Err(ConfigProblem::Unusable(message)) => {
                log(Level::Warn, || {
                    format!("skill environment not loaded: {message}")
                });
                report.message = Some(message);
                return Outcome::NotAttempted(report);
            }
        };
        let skill_id = agent::match_skill(&config.skills, &source);
        let ticket = agent::read_ticket(self.ticket_file).unwrap_or_else(|warning| {
            log(Level::Warn, || warning);
            None
        });

        // From here on, this is the process's attempt.
        self.set("agent_id", &agent.agent_id, &mut report);
        self.set("pat_token", config.pat_token.expose(), &mut report);
        let Some(skill_id) = skill_id else {
            self.env.remove("skill_id");
            report.unset.push("skill_id".to_owned());
            self.set_ticket(ticket.as_ref(), &mut report);
            let message = format!(
                "no skill in {}/config.json matches {}; skill environment request skipped",
                agent.path.display(),
                source.display()
            );
            log(Level::Debug, || format!("skill environment: {message}"));
            report.message = Some(message);
            report.loaded = true;
            return Outcome::Attempted(report, None);
        };
        report.skill_id = Some(skill_id.clone());
        self.set("skill_id", &skill_id, &mut report);
        self.set_ticket(ticket.as_ref(), &mut report);

        let ids = format!("agent_id={}, skill_id={skill_id}", agent.agent_id);
        let fetched = self.fetch(
            &agent.agent_id,
            &skill_id,
            &config.pat_token,
            ticket.as_ref(),
            timeout,
        );
        let (variables, reason) = match fetched {
            Ok(variables) => (variables, None),
            Err(Fetched::ApiError(payload)) => {
                report.message = Some("the skill environment API returned an error code".into());
                let error = Error::new(
                    Operation::SkillEnv,
                    format!("GetSkillEnvs error: {payload}"),
                );
                log(Level::Warn, || error.to_string());
                return Outcome::Attempted(report, Some(error));
            }
            Err(Fetched::Failed(why)) => {
                log(Level::Warn, || why.clone());
                (Vec::new(), Some(why))
            }
        };
        if variables.is_empty() {
            let message = format!("No skill environment variables loaded for {ids}");
            log(Level::Warn, || message.clone());
            report.message = Some(reason.unwrap_or(message));
            return Outcome::Attempted(report, None);
        }
        report.loaded = self.apply(&variables, &mut report);
        self.set_ticket(ticket.as_ref(), &mut report);
        if !report.loaded {
            let message = format!("Skill environment variables already exist for {ids}");
            log(Level::Info, || message.clone());
            report.message = Some(message);
        }
        Outcome::Attempted(report, None)
    }

    /// Asks the endpoint; `Ok` holds the variables (possibly none).
    fn fetch(
        &self,
        agent_id: &str,
        skill_id: &str,
        pat_token: &SecretString,
        ticket: Option<&SecretString>,
        timeout: Duration,
    ) -> Result<Vec<(String, SecretString)>, Fetched> {
        let endpoint = self
            .env
            .get(COZE_SKILL_ENV_ENDPOINT)
            .unwrap_or_else(|| DEFAULT_SKILL_ENV_ENDPOINT.to_owned());
        let failed = |why: String| {
            Fetched::Failed(format!("Failed to load skill environment variables: {why}"))
        };
        let facts = crate::url::HttpUrl::parse(&endpoint)
            .map_err(|why| failed(format!("{COZE_SKILL_ENV_ENDPOINT}: {why}")))?;
        if facts.plain_http && !facts.loopback {
            return Err(failed(format!(
                "{COZE_SKILL_ENV_ENDPOINT} uses plain http to a host that is not loopback; \
                 the PAT token is not sent in clear text"
            )));
        }
        let body = wire::request_body(agent_id, skill_id, ticket);
        let authorization = SecretString::new(format!("Bearer {}", pat_token.expose()));
        log(Level::Debug, || {
            format!(
                "skill environment: POST {endpoint} (agent_id={agent_id}, skill_id={skill_id}, \
                 identity ticket {})",
                if ticket.is_some() { "sent" } else { "unknown" }
            )
        });
        let request = HttpRequest {
            url: &endpoint,
            payload: Payload::Json(&body),
            authorization: Some(authorization.expose()),
        };
        let response = Transport::standalone(timeout)
            .send(&request, timeout * 2)
            .map_err(|error| failed(error.message))?;
        if response.status != 200 {
            return Err(Fetched::Failed(format!(
                "Skill environment request failed with status {}",
                response.status
            )));
        }
        match wire::parse_answer(&response.body) {
            Answer::Variables(variables) => Ok(variables),
            Answer::Unusable(why) => Err(Fetched::Failed(why)),
            Answer::ApiError(payload) => Err(Fetched::ApiError(payload)),
        }
    }

    /// Applies the endpoint's variables with the SDK's precedence; true when
    /// at least one was written.
    fn apply(&mut self, variables: &[(String, SecretString)], report: &mut SkillEnvReport) -> bool {
        let proxy_was_set = self.env.get(COZE_OUTBOUND_AUTH_PROXY).is_some();
        let ca_path_was_set = self.env.get(COZE_OUTBOUND_AUTH_PROXY_CA_PATH).is_some();
        let mut loaded = false;
        for (name, value) in variables {
            if name == COZE_OUTBOUND_AUTH_PROXY && proxy_was_set {
                report.kept.push(name.clone());
                continue;
            }
            if name == COZE_OUTBOUND_AUTH_PROXY_CA || name == COZE_OUTBOUND_AUTH_PROXY_CA_PATH {
                continue;
            }
            loaded |= self.set(name, value.expose(), report);
        }
        let served = |name: &str| {
            variables
                .iter()
                .find(|(served, value)| served == name && !value.is_empty())
                .map(|(_, value)| value)
        };
        let ca_names = [
            COZE_OUTBOUND_AUTH_PROXY_CA,
            COZE_OUTBOUND_AUTH_PROXY_CA_PATH,
        ];
        if ca_path_was_set {
            report.kept.extend(
                ca_names
                    .iter()
                    .filter(|name| served(name).is_some())
                    .map(|name| name.to_string()),
            );
        } else if let Some(name) = ca_names.iter().find(|name| served(name).is_some()) {
            let value = served(name)
                .map(|value| value.expose().to_owned())
                .unwrap_or_default();
            loaded |= self.set(name, &value, report);
        }
        loaded
    }

    fn set_ticket(&mut self, ticket: Option<&SecretString>, report: &mut SkillEnvReport) {
        if let Some(ticket) = ticket {
            self.set("identity_ticket", ticket.expose(), report);
        }
    }

    /// Writes `name` (and its twin: `identity_ticket` and `IDENTITY_TICKET` go
    /// together). A name or value the environment cannot hold is skipped with a
    /// warning; returns whether it was written.
    fn set(&mut self, name: &str, value: &str, report: &mut SkillEnvReport) -> bool {
        if name.is_empty() || name.contains(['=', '\0']) || value.contains('\0') {
            log(Level::Warn, || {
                format!(
                    "skill environment: variable {:?} skipped: an environment variable name \
                     cannot be empty or hold '=' or NUL, nor a value NUL",
                    name.replace('\0', "\\0")
                )
            });
            return false;
        }
        let twin = match name {
            "identity_ticket" => Some("IDENTITY_TICKET"),
            "IDENTITY_TICKET" => Some("identity_ticket"),
            _ => None,
        };
        for name in std::iter::once(name).chain(twin) {
            self.env.set(name, value);
            if !report.set.iter().any(|set| set == name) {
                report.set.push(name.to_owned());
            }
        }
        true
    }
}

/// Why the endpoint gave no variables.
enum Fetched {
    /// A warning to log (nothing loaded).
    Failed(String),
    /// An API error code: the payload as JSON text.
    ApiError(String),
}

#[cfg(test)]
mod tests;
