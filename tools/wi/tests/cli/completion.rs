//! `wi completion SHELL`: scripts that the shells load and that complete
//! commands, flags and values (bash always; zsh and fish when installed).

use std::process::Command;

use crate::support::{bare, installed, run, TempDir};

/// Runs `script` in `shell` (`-c`) inside `dir`; returns stdout, asserting success.
fn shell_output(shell: &str, dir: &TempDir, script: &str) -> String {
    let output = Command::new(shell)
        .arg("-c")
        .arg(script)
        .current_dir(&dir.0)
        .env_clear()
        .env("HOME", &dir.0)
        .output()
        .expect("the shell runs");
    assert!(
        output.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn script(shell: &str, dir: &TempDir) -> String {
    let script = run(bare(), &["completion", shell], None).ok().stdout;
    let path = dir.0.join(format!("wi.{shell}"));
    std::fs::write(&path, &script).expect("written");
    path.display().to_string()
}

#[test]
fn bash_completes_commands_flags_and_values() {
    let dir = TempDir::new("completion-bash");
    let path = script("bash", &dir);
    let complete = |words: &str| {
        shell_output(
            "bash",
            &dir,
            &format!(
                "source {path}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
                 _wi wi \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\""
            ),
        )
    };
    assert_eq!(
        shell_output("bash", &dir, &format!("source {path}; complete -p wi")),
        "complete -o bashdefault -o default -o nosort -F _wi wi\n"
    );
    assert_eq!(complete("wi to"), "token\n");
    assert_eq!(complete("wi token --format ''"), "raw\njson\nenv\n");
    assert_eq!(complete("wi env --format ''"), "dotenv\nexport\njson\n");
    let shells = complete("wi completion ''");
    assert!(
        shells.ends_with("\nbash\nelvish\nfish\npowershell\nzsh\n"),
        "{shells}"
    );
    let exchange = complete("wi exchange --subject-token-");
    assert!(exchange.contains("--subject-token-file\n"), "{exchange}");
    assert!(exchange.contains("--subject-token-stdin\n"), "{exchange}");
    // Refused flags are hidden from completion.
    assert!(!exchange.contains("--subject-token\n"), "{exchange}");
}

#[test]
fn zsh_and_fish_load_their_scripts() {
    let dir = TempDir::new("completion-other");
    if installed("zsh") {
        let path = script("zsh", &dir);
        let loaded = shell_output(
            "zsh",
            &dir,
            &format!(
                "autoload -U compinit && compinit -u -d ./zcompdump && source {path} \
                 && print -r -- $_comps[wi]"
            ),
        );
        assert_eq!(loaded, "_wi\n");
    } else {
        eprintln!("zsh is not installed: its completion script is not checked");
    }
    if installed("fish") {
        let path = script("fish", &dir);
        let completions = shell_output(
            "fish",
            &dir,
            &format!("source {path}; complete -C 'wi to'; complete -C 'wi env --format '"),
        );
        assert!(completions.starts_with("token\t"), "{completions}");
        assert!(
            completions.contains("\ndotenv\t") && completions.contains("\nexport\t"),
            "{completions}"
        );
    } else {
        eprintln!("fish is not installed: its completion script is not checked");
    }
}
