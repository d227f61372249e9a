//! `wi help [COMMAND]`: the same text as `wi [COMMAND] --help`.

use crate::cli;
use crate::failure::Failure;

/// Print the help of a command (or the overview)
#[derive(clap::Args)]
#[command(after_help = "Example:\n  wi help exchange     # the same as wi exchange --help\n")]
pub struct Help {
    /// The command; none: the overview
    #[arg(value_name = "COMMAND")]
    command: Option<String>,
}

impl Help {
    /// Prints the help text.
    pub fn run(self) -> Result<(), Failure> {
        cli::show_help(self.command.as_deref())
    }
}
