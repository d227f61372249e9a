//! `--help` of every command, `wi help COMMAND` and `wi version`.

use crate::support::{bare, run};

const COMMANDS: [&str; 7] = [
    "token",
    "exchange",
    "integration",
    "env",
    "devserver",
    "version",
    "help",
];

#[test]
fn every_command_has_help_with_examples() {
    for command in COMMANDS {
        let help = run(bare(), &[command, "--help"], None).ok();
        assert!(
            help.stdout.starts_with(&format!("wi {command}: ")),
            "{command}: {}",
            help.stdout
        );
        assert!(
            help.stdout.contains(&format!("Usage: wi {command}")),
            "{command}"
        );
        assert!(help.stdout.contains("Example"), "{command}");
        assert!(
            help.stdout.lines().all(|line| line.chars().count() <= 80),
            "{command}"
        );
        assert_eq!(run(bare(), &[command, "-h"], None).ok().stdout, help.stdout);
        assert_eq!(
            run(bare(), &["help", command], None).ok().stdout,
            help.stdout
        );
    }
    // Help wins over whatever else is on the line.
    let help = run(bare(), &["token", "--bogus", "--help"], None).ok();
    assert!(help.stdout.starts_with("wi token: "));
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
    assert_eq!(run(bare(), &["help"], None).ok().stdout, overview.stdout);
    assert_eq!(run(bare(), &["-h"], None).ok().stdout, overview.stdout);
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
