//! The loader against the dev server's skill environment endpoint, with an
//! in-memory environment and agent directories in a temporary folder; and the
//! once-per-process state machine on a private state.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wi_devserver::{DevServer, Fault, FaultKind, Options};

use super::*;
use crate::ErrorKind;

const PAT: &str = "dev-pat-token";

#[derive(Default)]
struct FakeEnvironment(HashMap<String, String>);

impl Environment for FakeEnvironment {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|value| !value.is_empty()).cloned()
    }

    fn set(&mut self, name: &str, value: &str) {
        self.0.insert(name.to_owned(), value.to_owned());
    }

    fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }
}

/// A temporary workspace with `.coze/agents/7001` and a skill `skills/weather` (id 42).
struct Workspace {
    root: PathBuf,
}

impl Workspace {
    fn new(config: &str) -> Workspace {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "wi-skill-env-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let skill = root.join(".coze/agents/7001/skills/weather");
        std::fs::create_dir_all(&skill).unwrap();
        std::fs::write(skill.join("main.py"), "").unwrap();
        std::fs::write(root.join(".coze/agents/7001/config.json"), config).unwrap();
        Workspace { root }
    }

    fn standard() -> Workspace {
        Workspace::new(
            r#"{"patToken": "dev-pat-token", "skills": [
                {"relPath": "skills/other", "skillId": "7"},
                {"relPath": "skills/weather", "skillId": "42"}]}"#,
        )
    }

    fn skill_source(&self) -> PathBuf {
        self.root.join(".coze/agents/7001/skills/weather/main.py")
    }

    fn agent_root(&self) -> PathBuf {
        self.root.join(".coze/agents/7001")
    }

    fn ticket_file(&self, content: Option<&str>) -> PathBuf {
        let path = self.root.join("ticket.json");
        if let Some(content) = content {
            std::fs::write(&path, content).unwrap();
        }
        path
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn server() -> DevServer {
    DevServer::start(Options::default()).unwrap()
}

fn environment(server: &DevServer) -> FakeEnvironment {
    let mut env = FakeEnvironment::default();
    env.set(COZE_SKILL_ENV_ENDPOINT, &server.skill_env_endpoint());
    env
}

fn attempt(env: &mut FakeEnvironment, ticket_file: &Path, source: &Path) -> Outcome {
    Loader { env, ticket_file }.attempt(&[source.to_path_buf()], Duration::from_secs(5))
}

fn attempted(outcome: Outcome) -> (SkillEnvReport, Option<Error>) {
    match outcome {
        Outcome::Attempted(report, error) => (report, error),
        Outcome::NotAttempted(report) => panic!("not attempted: {report:?}"),
    }
}

fn not_attempted(outcome: Outcome) -> SkillEnvReport {
    match outcome {
        Outcome::NotAttempted(report) => report,
        Outcome::Attempted(report, _) => panic!("attempted: {report:?}"),
    }
}

#[test]
fn a_matching_skill_loads_its_variables() {
    let (server, workspace) = (server(), Workspace::standard());
    let mut env = environment(&server);
    let ticket = workspace.ticket_file(Some(r#"{"IDENTITY_TICKET": "tk+dev/1="}"#));
    let (report, error) = attempted(attempt(&mut env, &ticket, &workspace.skill_source()));
    assert!(error.is_none());
    assert!(report.loaded && !report.cached, "{report:?}");
    assert_eq!(report.agent_id.as_deref(), Some("7001"));
    assert_eq!(report.skill_id.as_deref(), Some("42"));
    assert_eq!(
        report.set,
        [
            "agent_id",
            "pat_token",
            "skill_id",
            "identity_ticket",
            "IDENTITY_TICKET",
            "SKILL_API_KEY",
            "SKILL_REGION"
        ]
    );
    assert_eq!(
        env.get("SKILL_API_KEY").as_deref(),
        Some("sk-dev-skill-key")
    );
    assert_eq!(env.get("pat_token").as_deref(), Some(PAT));
    assert_eq!(env.get("IDENTITY_TICKET").as_deref(), Some("tk+dev/1="));
    let json = report.to_json();
    for secret in [PAT, "tk+dev/1=", "sk-dev-skill-key"] {
        assert!(!json.contains(secret), "{json}");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].body,
        r#"{"agent_id": 7001, "skill_id": 42, "identity_ticket": "tk+dev/1="}"#
    );
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer dev-pat-token")
    );
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
}

#[test]
fn no_matching_skill_loads_the_agent_only() {
    let (server, workspace) = (server(), Workspace::standard());
    let mut env = environment(&server);
    env.set("skill_id", "stale");
    let ticket = workspace.ticket_file(None);
    let (report, error) = attempted(attempt(&mut env, &ticket, &workspace.agent_root()));
    assert!(error.is_none() && report.loaded, "{report:?}");
    assert_eq!(report.skill_id, None);
    assert_eq!(report.unset, ["skill_id"]);
    assert_eq!(env.get("skill_id"), None);
    assert_eq!(env.get("agent_id").as_deref(), Some("7001"));
    assert!(report.message.unwrap().contains("no skill"));
    assert!(server.requests().is_empty(), "no request without a skill");
}

#[test]
fn an_api_error_code_is_an_error_and_an_attempt() {
    let (server, workspace) = (
        server(),
        Workspace::new(
            r#"{"patToken": "dev-pat-token", "skills": [{"relPath": "skills/weather", "skillId": "999"}]}"#,
        ),
    );
    let mut env = environment(&server);
    let (report, error) = attempted(attempt(
        &mut env,
        &workspace.ticket_file(None),
        &workspace.skill_source(),
    ));
    let error = error.expect("an API error code");
    assert_eq!(error.kind(), ErrorKind::SkillEnv);
    let payload = error
        .message()
        .strip_prefix("GetSkillEnvs error: ")
        .unwrap();
    let payload: serde_json::Value = serde_json::from_str(payload).unwrap();
    assert_eq!(payload["BaseResp"]["StatusCode"], 404);
    assert!(!report.loaded);
    assert_eq!(env.get("skill_id").as_deref(), Some("999"));
}

#[test]
fn bad_answers_load_nothing() {
    let (server, workspace) = (server(), Workspace::standard());
    let path = "/skill/get_skill_envs";
    let faults = [
        Fault::new(path, FaultKind::status(500)),
        Fault::new(path, FaultKind::MalformedJson),
        Fault::new(path, FaultKind::HugeBody { bytes: 2_000_000 }),
        Fault::new(
            path,
            FaultKind::Status {
                status: 200,
                body: r#"{"data": {"envs": {"A": 1}}}"#.into(),
                retry_after: None,
            },
        ),
    ];
    for (fault, why) in
        faults
            .into_iter()
            .zip(["status 500", "not JSON", "larger than", "missing env map"])
    {
        server.push_fault(fault);
        let mut env = environment(&server);
        let (report, error) = attempted(attempt(
            &mut env,
            &workspace.ticket_file(None),
            &workspace.skill_source(),
        ));
        assert!(error.is_none() && !report.loaded, "{why}: {report:?}");
        let message = report.message.unwrap();
        assert!(message.contains(why), "{why}: {message}");
        assert_eq!(env.get("SKILL_API_KEY"), None);
    }
}

#[test]
fn unreachable_and_clear_text_endpoints_load_nothing() {
    let workspace = Workspace::standard();
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/skill", listener.local_addr().unwrap())
    };
    for (endpoint, why) in [
        (unreachable.as_str(), "Failed to load"),
        ("http://skills.example.com/x", "plain http"),
        ("ftp://skills.example.com/x", "not an http"),
    ] {
        let mut env = FakeEnvironment::default();
        env.set(COZE_SKILL_ENV_ENDPOINT, endpoint);
        let (report, _) = attempted(attempt(
            &mut env,
            &workspace.ticket_file(None),
            &workspace.skill_source(),
        ));
        assert!(!report.loaded);
        let message = report.message.unwrap();
        assert!(message.contains(why), "{endpoint}: {message}");
        assert!(!message.contains(PAT));
    }
}

#[test]
fn precedence_of_proxy_and_ca_variables() {
    let (server, workspace) = (server(), Workspace::standard());
    let envs = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let served = envs(&[
        (COZE_OUTBOUND_AUTH_PROXY, "http://served-proxy:1"),
        (COZE_OUTBOUND_AUTH_PROXY_CA, "served CA"),
        (COZE_OUTBOUND_AUTH_PROXY_CA_PATH, "/served/ca.pem"),
        ("OTHER", "x"),
    ]);
    server.set_skill_envs(vec![wi_devserver::SkillEnv {
        agent_id: "7001".into(),
        skill_id: "42".into(),
        pat_token: PAT.into(),
        envs: served,
    }]);
    // Nothing set before: everything applies, CA content preferred over path.
    let mut env = environment(&server);
    let ticket = workspace.ticket_file(None);
    let (report, _) = attempted(attempt(&mut env, &ticket, &workspace.skill_source()));
    assert!(report.loaded && report.kept.is_empty(), "{report:?}");
    assert_eq!(
        env.get(COZE_OUTBOUND_AUTH_PROXY).as_deref(),
        Some("http://served-proxy:1")
    );
    assert_eq!(
        env.get(COZE_OUTBOUND_AUTH_PROXY_CA).as_deref(),
        Some("served CA")
    );
    assert_eq!(env.get(COZE_OUTBOUND_AUTH_PROXY_CA_PATH), None);
    // Proxy and CA path already set: both kept.
    let mut env = environment(&server);
    env.set(COZE_OUTBOUND_AUTH_PROXY, "http://mine:1");
    env.set(COZE_OUTBOUND_AUTH_PROXY_CA_PATH, "/mine/ca.pem");
    let (report, _) = attempted(attempt(&mut env, &ticket, &workspace.skill_source()));
    assert_eq!(
        report.kept,
        [
            COZE_OUTBOUND_AUTH_PROXY,
            COZE_OUTBOUND_AUTH_PROXY_CA,
            COZE_OUTBOUND_AUTH_PROXY_CA_PATH
        ]
    );
    assert_eq!(
        env.get(COZE_OUTBOUND_AUTH_PROXY).as_deref(),
        Some("http://mine:1")
    );
    assert_eq!(
        env.get(COZE_OUTBOUND_AUTH_PROXY_CA_PATH).as_deref(),
        Some("/mine/ca.pem")
    );
    assert_eq!(env.get(COZE_OUTBOUND_AUTH_PROXY_CA), None);
    assert_eq!(env.get("OTHER").as_deref(), Some("x"));
    // Only variables that are kept: nothing loaded.
    server.set_skill_envs(vec![wi_devserver::SkillEnv {
        agent_id: "7001".into(),
        skill_id: "42".into(),
        pat_token: PAT.into(),
        envs: envs(&[
            (COZE_OUTBOUND_AUTH_PROXY, "http://served:1"),
            ("bad=name", "v"),
        ]),
    }]);
    let (report, _) = attempted(attempt(&mut env, &ticket, &workspace.skill_source()));
    assert!(!report.loaded);
    assert!(report.message.unwrap().contains("already exist"));
}

#[test]
fn unusable_local_files_are_not_an_attempt() {
    let server = server();
    for (config, why) in [
        ("{oops", "not JSON"),
        ("[]", "not a JSON object"),
        (r#"{"skills": []}"#, "no patToken"),
    ] {
        let workspace = Workspace::new(config);
        let mut env = environment(&server);
        let report = not_attempted(attempt(
            &mut env,
            &workspace.ticket_file(None),
            &workspace.skill_source(),
        ));
        let message = report.message.unwrap();
        assert!(
            message.contains("config.json") && message.contains(why),
            "{message}"
        );
        assert!(env.get("agent_id").is_none());
    }
    let workspace = Workspace::standard();
    std::fs::remove_file(workspace.agent_root().join("config.json")).unwrap();
    let mut env = environment(&server);
    let report = not_attempted(attempt(
        &mut env,
        &workspace.ticket_file(None),
        &workspace.skill_source(),
    ));
    assert!(report.message.unwrap().contains("no "));
    let report = not_attempted(attempt(
        &mut env,
        Path::new("/nonexistent"),
        Path::new("/tmp"),
    ));
    assert!(report.message.unwrap().contains(".coze/agents"));
    // A bad ticket file is only a warning: the skill still loads.
    let workspace = Workspace::standard();
    let ticket = workspace.ticket_file(Some("{not json"));
    let (report, _) = attempted(attempt(&mut env, &ticket, &workspace.skill_source()));
    assert!(report.loaded && !report.set.iter().any(|name| name == "identity_ticket"));
    assert!(server
        .requests()
        .iter()
        .all(|r| !r.body.contains("identity_ticket")));
}

fn report(loaded: bool) -> SkillEnvReport {
    SkillEnvReport {
        loaded,
        ..SkillEnvReport::default()
    }
}

fn private_state() -> OnceState {
    OnceState::new(Phase::Idle)
}

#[test]
fn once_per_process_unless_forced() {
    let state = private_state();
    let not = run_once(&state, false, || Outcome::NotAttempted(report(false))).unwrap();
    assert!(!not.cached && !not.attempted);
    let first = run_once(&state, false, || Outcome::Attempted(report(true), None)).unwrap();
    assert!(first.loaded && !first.cached && first.attempted);
    let again = run_once(&state, false, || panic!("must not run")).unwrap();
    assert!(again.loaded && again.cached && again.attempted);
    let forced = run_once(&state, true, || Outcome::Attempted(report(false), None)).unwrap();
    assert!(!forced.loaded && !forced.cached);
    // A forced call that stops early keeps the earlier result.
    run_once(&state, true, || Outcome::NotAttempted(report(true))).unwrap();
    assert!(
        !run_once(&state, false, || panic!("must not run"))
            .unwrap()
            .loaded
    );
    // An API error is reported once, then cached as "not loaded".
    let state = private_state();
    let error = Error::new(Operation::SkillEnv, "GetSkillEnvs error: {}");
    let failed = run_once(&state, false, || {
        Outcome::Attempted(report(false), Some(error))
    });
    assert_eq!(failed.unwrap_err().kind(), ErrorKind::SkillEnv);
    assert!(
        !run_once(&state, false, || panic!("must not run"))
            .unwrap()
            .loaded
    );
}

#[test]
fn concurrent_callers_share_one_attempt_and_a_panic_releases_them() {
    let state = Arc::new(private_state());
    let attempts = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (state, attempts) = (Arc::clone(&state), Arc::clone(&attempts));
            std::thread::spawn(move || {
                run_once(&state, false, || {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(50));
                    Outcome::Attempted(report(true), None)
                })
                .unwrap()
            })
        })
        .collect();
    let reports: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert!(reports.iter().all(|report| report.loaded));
    assert_eq!(reports.iter().filter(|report| !report.cached).count(), 1);

    let state = private_state();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_once(&state, false, || panic!("boom"))
    }));
    assert!(panicked.is_err());
    let after = run_once(&state, false, || Outcome::Attempted(report(true), None)).unwrap();
    assert!(after.loaded && !after.cached);
}
