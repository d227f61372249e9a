//! `wi env --format dotenv|export|json` and `wi token --format env`: the
//! output is sourced by real shells (sh, bash, and zsh when installed), and
//! every value comes back byte for byte.

use std::collections::BTreeMap;
use std::process::Command;

use crate::support::{installed, is_access_token, run, server, wi, TempDir};

/// Values that break naive `KEY=VALUE` or double-quoted output.
const HOSTILE: [(&str, &str); 14] = [
    ("PLAIN", "on"),
    ("EMPTY", ""),
    ("SPACES", "  two  spaces  "),
    ("NEWLINES", "line one\nline two\n"),
    ("SINGLE_QUOTES", "it's 'quoted''"),
    ("DOUBLE_QUOTES", "say \"hi\""),
    ("BACKSLASHES", "C:\\path\\n\\"),
    ("DOLLARS", "$HOME ${PATH} $(touch pwned-dollar) $1 $$"),
    ("BACKTICKS", "`touch pwned-backtick` `id`"),
    ("EVERYTHING", "'\"\\$`\n\t;|&<>*?[]{}#~!%= \u{7f}"),
    ("UNICODE", "héllo wörld ✓"),
    ("CARRIAGE_RETURN", "a\rb\r"),
    ("DASHES", "-e -n --"),
    ("_under_score9", "x=y"),
];

/// Runs `script` in `shell` inside `dir` with an empty environment; returns
/// the exported variables (`env -0`), after checking that nothing ran.
fn exported_after(shell: &str, dir: &TempDir, script: &str) -> BTreeMap<String, String> {
    let output = Command::new(shell)
        .arg("-c")
        .arg(format!("{script}\nexec env -0"))
        .current_dir(&dir.0)
        .env_clear()
        .output()
        .expect("the shell runs");
    assert!(
        output.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.stderr.is_empty(), "{shell}: {output:?}");
    for planted in ["pwned-dollar", "pwned-backtick"] {
        assert!(!dir.0.join(planted).exists(), "{shell} ran a command");
    }
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .split('\0')
        .filter_map(|entry| entry.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

fn shells() -> Vec<&'static str> {
    let mut shells = vec!["sh", "bash"];
    if installed("zsh") {
        shells.push("zsh");
    } else {
        eprintln!("zsh is not installed: sourcing checked in sh and bash only");
    }
    shells
}

#[test]
fn dotenv_and_export_output_survive_sourcing_in_sh_and_bash() {
    let server = server();
    server.set_env_vars(
        HOSTILE
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
    );
    let dir = TempDir::new("env-sourcing");
    let dotenv = run(wi(&server), &["env"], None).ok();
    assert_eq!(
        run(wi(&server), &["env", "--format", "dotenv"], None)
            .ok()
            .stdout,
        dotenv.stdout
    );
    let export = run(wi(&server), &["env", "--format", "export"], None).ok();
    assert!(
        dotenv.stdout.starts_with("PLAIN='on'\nEMPTY=''\n"),
        "{dotenv:?}"
    );
    assert!(
        export.stdout.starts_with("export PLAIN='on'\n"),
        "{export:?}"
    );
    std::fs::write(dir.0.join(".env"), &dotenv.stdout).expect("written");
    std::fs::write(dir.0.join("vars.sh"), &export.stdout).expect("written");
    for shell in shells() {
        for script in [
            "set -a; . ./.env; set +a",
            ". ./vars.sh",
            "eval \"$(cat vars.sh)\"",
        ] {
            let exported = exported_after(shell, &dir, script);
            for (key, value) in HOSTILE {
                assert_eq!(
                    exported.get(key).map(String::as_str),
                    Some(value),
                    "{shell}, {script}: {key}"
                );
            }
        }
    }
}

#[test]
fn names_a_shell_cannot_assign_fail_before_printing() {
    let server = server();
    for (key, value, says) in [
        ("BAD-NAME", "x", "\"BAD-NAME\" is not a shell name"),
        ("X;touch pwned", "x", "is not a shell name"),
        ("9LIVES", "x", "is not a shell name"),
    ] {
        server.set_env_vars(vec![
            ("GOOD".to_owned(), "first".to_owned()),
            (key.to_owned(), value.to_owned()),
        ]);
        for format in ["dotenv", "export"] {
            let outcome = run(wi(&server), &["env", "--format", format], None).fails(1);
            assert!(
                outcome.stderr.contains(says) && outcome.stderr.contains("--format json"),
                "{outcome:?}"
            );
        }
        let json = run(wi(&server), &["env", "--json"], None).ok();
        assert!(
            json.stdout.starts_with("{\"vars\":[{\"key\":\"GOOD\""),
            "{json:?}"
        );
    }
}

#[test]
fn token_env_format_sets_wi_access_token() {
    let server = server();
    let outcome = run(wi(&server), &["token", "--format", "env"], None).ok();
    let mut lines = outcome.stdout.lines();
    let token = lines
        .next()
        .and_then(|line| line.strip_prefix("export WI_ACCESS_TOKEN='"))
        .and_then(|rest| rest.strip_suffix('\''));
    assert!(token.is_some_and(is_access_token), "{outcome:?}");
    let expiry = lines
        .next()
        .and_then(|line| line.strip_prefix("export WI_ACCESS_TOKEN_EXPIRES_AT='"))
        .and_then(|rest| rest.strip_suffix("Z'"));
    assert!(expiry.is_some_and(|at| at.len() == 19), "{outcome:?}");
    let dir = TempDir::new("token-env");
    std::fs::write(dir.0.join("token.sh"), &outcome.stdout).expect("written");
    for shell in ["sh", "bash"] {
        let exported = exported_after(shell, &dir, ". ./token.sh");
        assert_eq!(
            exported.get("WI_ACCESS_TOKEN").map(String::as_str),
            token,
            "{shell}"
        );
    }
}
