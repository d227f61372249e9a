//! Authenticated egress end to end: the settings from the process environment
//! take a real HTTP client (ureq) through the dev server's authenticating
//! proxy to its HTTPS target; and skill environment loading through the public
//! API into the process environment. The tests change the process
//! environment, so they run one at a time.

use std::path::PathBuf;
use std::sync::Mutex;

use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};
use wi_devserver::{DevServer, Options};
use workload_identity::{
    load_skill_env, outbound_ca_bundle_path, ErrorKind, OutboundProxy, SkillEnvOptions,
};

static ENVIRONMENT: Mutex<()> = Mutex::new(());

const TICKET: &str = "tk+egress/ticket=1";

fn clear_environment() {
    for name in [
        "COZE_SKILL_PROXY_DOMAIN",
        "COZE_OUTBOUND_AUTH_PROXY",
        "COZE_OUTBOUND_AUTH_PROXY_CA",
        "COZE_OUTBOUND_AUTH_PROXY_CA_PATH",
        "identity_ticket",
        "IDENTITY_TICKET",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
    ] {
        std::env::remove_var(name);
    }
}

/// GET `url` through `proxy`, trusting only the proxy's CA.
fn fetch(proxy: &OutboundProxy, url: &str) -> Result<String, ureq::Error> {
    let pem = std::fs::read(proxy.ca_bundle_path().expect("a CA bundle")).unwrap();
    let certs: Vec<_> = parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    let agent = ureq::Agent::config_builder()
        .proxy(Some(ureq::Proxy::new(proxy.url().expose())?))
        .tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::new_with_certs(&certs))
                .build(),
        )
        .build()
        .new_agent();
    agent.get(url).call()?.body_mut().read_to_string()
}

#[test]
fn a_request_reaches_the_target_through_the_proxy_with_the_ca() {
    let _environment = ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner());
    clear_environment();
    let server = DevServer::start(Options::default()).unwrap();
    let rig = server.egress(TICKET).unwrap();
    std::env::set_var("COZE_OUTBOUND_AUTH_PROXY", &rig.proxy_url);
    std::env::set_var("identity_ticket", TICKET);
    std::env::set_var("COZE_OUTBOUND_AUTH_PROXY_CA", &rig.ca_pem);

    let proxy = OutboundProxy::from_env().unwrap();
    assert!(!format!("{proxy:?}").contains("egress"));
    assert!(proxy
        .masked_url()
        .starts_with("http://space:***@127.0.0.1:"));
    let body = fetch(&proxy, &format!("{}hello", rig.target_url)).unwrap();
    assert!(body.contains("\"path\":\"/hello\""), "{body}");
    let seen = server.egress_info().unwrap();
    assert_eq!((seen.connects_allowed, seen.connects_refused), (1, 0));

    // The CA file: private, one per content, and the path variant.
    let ca_path = proxy.ca_bundle_path().unwrap().to_path_buf();
    assert_eq!(outbound_ca_bundle_path().unwrap(), Some(ca_path.clone()));
    std::env::remove_var("COZE_OUTBOUND_AUTH_PROXY_CA");
    std::env::set_var("COZE_OUTBOUND_AUTH_PROXY_CA_PATH", &ca_path);
    let by_path = OutboundProxy::from_env().unwrap();
    assert_eq!(by_path.ca_bundle_path(), Some(ca_path.as_path()));
    fetch(&by_path, &rig.target_url).unwrap();

    // A wrong ticket is refused by the proxy.
    std::env::set_var("identity_ticket", "not-the-ticket");
    let wrong = OutboundProxy::from_env().unwrap();
    let error = fetch(&wrong, &rig.target_url).unwrap_err();
    assert!(
        matches!(error, ureq::Error::ConnectProxyFailed(_)),
        "{error:?}"
    );
    let seen = server.egress_info().unwrap();
    assert_eq!((seen.connects_allowed, seen.connects_refused), (2, 1));

    // A CA path that does not exist: the SDK's error.
    std::env::set_var("COZE_OUTBOUND_AUTH_PROXY_CA_PATH", "/nonexistent/ca.pem");
    let error = OutboundProxy::from_env().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    assert!(error.message().contains("but the file does not exist"));
    clear_environment();
}

#[test]
fn the_skill_environment_loads_once_into_the_process() {
    let _environment = ENVIRONMENT.lock().unwrap_or_else(|e| e.into_inner());
    clear_environment();
    let server = DevServer::start(Options::default()).unwrap();
    std::env::set_var("COZE_SKILL_ENV_ENDPOINT", server.skill_env_endpoint());
    let root = std::env::temp_dir().join(format!("wi-egress-test-{}", std::process::id()));
    let skill: PathBuf = root.join(".coze/agents/7001/skills/weather");
    std::fs::create_dir_all(&skill).unwrap();
    std::fs::write(
        root.join(".coze/agents/7001/config.json"),
        r#"{"patToken": "dev-pat-token", "skills": [{"relPath": "skills/weather", "skillId": "42"}]}"#,
    )
    .unwrap();

    let options = SkillEnvOptions {
        source_paths: vec![PathBuf::from("/elsewhere"), skill.join("run.sh")],
        ..SkillEnvOptions::default()
    };
    let report = load_skill_env(&options).unwrap();
    assert!(report.loaded && !report.cached, "{report:?}");
    assert_eq!(std::env::var("SKILL_REGION").unwrap(), "cn-north");
    assert_eq!(std::env::var("skill_id").unwrap(), "42");
    let again = load_skill_env(&SkillEnvOptions::default()).unwrap();
    assert!(again.cached && again.loaded);
    assert_eq!(server.requests().len(), 1);

    // Forced, from the current directory: the agent root has no skill.
    let previous = std::env::current_dir().unwrap();
    std::env::set_current_dir(root.join(".coze/agents/7001")).unwrap();
    let forced = load_skill_env(&SkillEnvOptions {
        force: true,
        ..SkillEnvOptions::default()
    });
    std::env::set_current_dir(previous).unwrap();
    let forced = forced.unwrap();
    assert!(forced.loaded && !forced.cached && forced.skill_id.is_none());
    assert!(std::env::var_os("skill_id").is_none());
    assert!(!forced.to_json().contains("dev-pat-token"));

    std::env::remove_var("COZE_SKILL_ENV_ENDPOINT");
    std::fs::remove_dir_all(&root).unwrap();
}
