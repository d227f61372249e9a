//! `-h` and `--help` of every command, `wi help COMMAND` and `wi version`.

use crate::support::{bare, run};

const COMMANDS: [&str; 11] = [
    "token",
    "exchange",
    "delegate",
    "integration",
    "env",
    "proxy",
    "skill-env",
    "devserver",
    "completion",
    "version",
    "help",
];

/// Service commands: `-h` leaves the connection options to `--help`.
const SERVICE_COMMANDS: [&str; 5] = ["token", "exchange", "delegate", "integration", "env"];

#[test]
fn every_command_has_help_with_examples() {
    for command in COMMANDS {
        let long = run(bare(), &[command, "--help"], None).ok();
        let short = run(bare(), &[command, "-h"], None).ok();
        for help in [&long, &short] {
            let summary = help.stdout.lines().next().unwrap_or_default();
            assert!(
                summary.chars().next().is_some_and(char::is_uppercase),
                "{command}: {}",
                help.stdout
            );
            assert!(
                help.stdout.contains(&format!("\nUsage: wi {command}")),
                "{command}"
            );
            assert!(help.stdout.contains("Example"), "{command}");
            assert!(
                help.stdout.lines().all(|line| line.chars().count() <= 80),
                "{command}: {}",
                help.stdout
            );
        }
        assert!(short.stdout.len() <= long.stdout.len(), "{command}");
        assert_eq!(
            run(bare(), &["help", command], None).ok().stdout,
            long.stdout
        );
    }
    for command in SERVICE_COMMANDS {
        let long = run(bare(), &[command, "--help"], None).ok().stdout;
        let short = run(bare(), &[command, "-h"], None).ok().stdout;
        assert!(long.contains("Connection options:\n"), "{command}");
        assert!(long.contains("--client-secret-file <PATH>"), "{command}");
        assert!(!short.contains("--client-id <ID>"), "{command}");
        assert!(short.contains("see --help"), "{command}");
    }
    // Help wins over whatever else is on the line.
    let help = run(bare(), &["token", "--bogus", "--help"], None).ok();
    assert_eq!(
        help.stdout,
        run(bare(), &["token", "--help"], None).ok().stdout
    );
}

#[test]
fn option_help_lists_every_key_of_the_core_table() {
    let help = run(bare(), &["env", "--help"], None).ok().stdout;
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let keys = flat
        .split("Keys:")
        .nth(1)
        .expect("the -o help lists the keys");
    for spec in workload_identity::OptionSpec::all() {
        let key = spec.name();
        let listed = keys.contains(&format!(" {key},")) || keys.contains(&format!(" {key} "));
        if spec.is_secret() {
            assert!(!listed, "a secret ({key}) is never an -o key");
        } else {
            assert!(listed, "{key} missing from: {help}");
        }
        // The Coze variables are each shown beside their named flag.
        let variable = spec.env_var();
        if variable.starts_with("COZE_") && !spec.is_secret() {
            assert!(flat.contains(variable.as_ref()), "{variable}");
        }
    }
}

#[test]
fn the_overview_lists_commands_and_exit_codes() {
    let overview = run(bare(), &["--help"], None).ok();
    for command in COMMANDS {
        assert!(
            overview.stdout.contains(&format!("\n  {command} ")),
            "{command}"
        );
    }
    for code in [
        "0  success",
        "1  other",
        "2  usage",
        "3  configuration",
        "4  token",
        "5  integration",
    ] {
        assert!(overview.stdout.contains(code), "{code}");
    }
    assert!(overview.stdout.contains("Examples:"));
    assert!(overview
        .stdout
        .lines()
        .all(|line| line.chars().count() <= 80));
    assert_eq!(run(bare(), &["help"], None).ok().stdout, overview.stdout);
    let short = run(bare(), &["-h"], None).ok();
    assert!(short.stdout.contains("Examples:") && short.stdout.contains("`wi --help`"));
    for command in COMMANDS {
        assert!(
            short.stdout.contains(&format!("\n  {command} ")),
            "{command}"
        );
    }
}

#[test]
fn prints_the_version() {
    let version = run(bare(), &["version"], None).ok();
    assert!(version
        .stdout
        .starts_with("wi 0.1.0 (workload-identity library "));
    assert_eq!(
        run(bare(), &["--version"], None).ok().stdout,
        version.stdout
    );
    assert_eq!(run(bare(), &["-V"], None).ok().stdout, version.stdout);
}
