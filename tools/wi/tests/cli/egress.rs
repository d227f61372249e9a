//! `wi proxy` and `wi skill-env`: the outbound proxy settings (masked unless
//! asked) and the skill environment, against the dev server.

use std::os::unix::fs::PermissionsExt;

use crate::support::{bare, run, server, TempDir};

#[test]
fn proxy_settings_are_masked_unless_revealed() {
    let ca = TempDir::new("proxy-ca");
    let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    let command = || {
        let mut command = bare();
        command
            .env("COZE_OUTBOUND_AUTH_PROXY", "http://proxy.internal:8888")
            .env("identity_ticket", "ticket-s3cret/+=")
            .env("COZE_OUTBOUND_AUTH_PROXY_CA", pem);
        command
    };
    let masked = run(command(), &["proxy"], None).ok();
    assert!(!masked.stdout.contains("ticket-s3cret"), "{masked:?}");
    assert!(masked.stdout.contains("proxy.internal:8888"), "{masked:?}");
    let revealed = run(command(), &["proxy", "--reveal"], None).ok();
    assert_eq!(
        revealed.stdout,
        "http://space:ticket-s3cret%2F%2B%3D@proxy.internal:8888\n"
    );
    let kept = ca.0.join("ca.pem");
    let kept_arg = kept.display().to_string();
    let env = run(
        command(),
        &["proxy", "--format", "env", "--ca-file", &kept_arg],
        None,
    )
    .ok();
    assert!(
        env.stdout
            .contains("export HTTPS_PROXY='http://space:***@proxy.internal:8888'")
            || env
                .stdout
                .contains("export HTTPS_PROXY='http://***@proxy.internal:8888'"),
        "{env:?}"
    );
    assert!(
        env.stdout
            .contains(&format!("export SSL_CERT_FILE='{kept_arg}'")),
        "{env:?}"
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), pem);
    let mode = std::fs::metadata(&kept).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let json = run(
        command(),
        &["proxy", "--json", "--ca-file", &kept_arg],
        None,
    )
    .ok();
    assert!(json.stdout.starts_with("{\"proxy_url\":\"") && json.stdout.contains("ca_bundle_path"));
    // A CA given as content: its file goes when wi exits, so printing its path
    // for later use is refused unless a copy is kept.
    for format in [&["proxy", "--json"][..], &["proxy", "--format", "env"]] {
        let refused = run(command(), format, None).fails(2);
        assert!(refused.stderr.contains("--ca-file"), "{refused:?}");
    }
    // Not configured: the SDK's configuration error (exit 3), naming both variables.
    let missing = run(bare(), &["proxy"], None).fails(3);
    assert!(
        missing.stderr.contains("COZE_SKILL_PROXY_DOMAIN"),
        "{missing:?}"
    );
}

#[test]
fn skill_env_loads_and_prints_names_or_exports() {
    let server = server();
    let agent = TempDir::new("agent");
    let skill = agent.0.join(".coze/agents/7001/skills/weather");
    std::fs::create_dir_all(&skill).unwrap();
    std::fs::write(
        agent.0.join(".coze/agents/7001/config.json"),
        r#"{"patToken": "dev-pat-token", "skills": [{"relPath": "skills/weather", "skillId": "42"}]}"#,
    )
    .unwrap();
    let source = skill.display().to_string();
    let command = || {
        let mut command = bare();
        command.env("COZE_SKILL_ENV_ENDPOINT", server.skill_env_endpoint());
        command
    };
    let names = run(command(), &["skill-env", "--source", &source], None).ok();
    let set: Vec<&str> = names.stdout.lines().collect();
    assert!(
        set.contains(&"SKILL_API_KEY") && set.contains(&"SKILL_REGION"),
        "{names:?}"
    );
    assert!(!names.stdout.contains("sk-dev-skill-key"), "names only");
    let export = run(
        command(),
        &["skill-env", "--source", &source, "--format", "export"],
        None,
    )
    .ok();
    assert!(
        export
            .stdout
            .contains("export SKILL_API_KEY='sk-dev-skill-key'"),
        "{export:?}"
    );
    let json = run(
        command(),
        &["skill-env", "--source", &source, "--json"],
        None,
    )
    .ok();
    assert!(
        json.stdout.contains("\"agent_id\":\"7001\"") && json.stdout.contains("\"loaded\":true")
    );
}
