//! `wi devserver`: the local development identity server, as `wi-devserver`.

use crate::args::Args;

/// Runs `wi_devserver::run_cli` with the remaining arguments; returns only on
/// a usage error (2) or when the server cannot start (1).
pub fn run(args: Args) -> u8 {
    let code = wi_devserver::run_cli(args.into_rest());
    u8::try_from(code).unwrap_or(crate::failure::EXIT_OTHER)
}
