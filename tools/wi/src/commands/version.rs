//! `wi version`: the versions of `wi` and of the library.

use crate::cli;
use crate::failure::Failure;
use crate::output;

/// Print the versions of wi and of the workload-identity library
#[derive(clap::Args)]
#[command(after_help = "Example:\n  wi version     # the same as wi --version and wi -V\n")]
pub struct Version {}

impl Version {
    /// Prints `wi VERSION (workload-identity library VERSION)`.
    pub fn run(self) -> Result<(), Failure> {
        output::emit(|out| out.write_all(cli::version_line().as_bytes()))
    }
}
