//! `wi completion SHELL`: the shell completion script (clap_complete).

use clap_complete::Shell;

use crate::cli;
use crate::failure::Failure;
use crate::output;

/// Print the shell completion script for bash, zsh or fish
///
/// Prints a script that completes wi's commands, flags and values (formats,
/// shells) in SHELL; elvish and powershell are accepted too.
#[derive(clap::Args)]
#[command(after_help = EXAMPLES)]
pub struct Completion {
    /// The shell to complete in
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

const EXAMPLES: &str = "\
Examples:
  source <(wi completion bash)                # this bash session
  wi completion bash > ~/.local/share/bash-completion/completions/wi
  wi completion zsh > \"${fpath[1]}/_wi\"       # then: compinit
  wi completion fish > ~/.config/fish/completions/wi.fish
";

impl Completion {
    /// Writes the script to stdout.
    pub fn run(self) -> Result<(), Failure> {
        // Generated into memory first: clap_complete panics on a write error.
        let mut script = Vec::new();
        clap_complete::generate(self.shell, &mut cli::command(), "wi", &mut script);
        output::emit(|out| out.write_all(&script))
    }
}
