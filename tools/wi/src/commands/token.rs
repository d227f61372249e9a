//! `wi token`: print the workload's access token.

use crate::args::Args;
use crate::commands::{unexpected, Common};
use crate::failure::Failure;
use crate::output::{self, Json};

/// Fetches the access token (two-step flow) and prints it, or `{"access_token":…}`.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut common = Common::default();
    common.parse(
        "token",
        args,
        |_, _| Ok(false),
        |value| Err(unexpected("token", &value)),
    )?;
    let token = common.connection.client()?.access_token()?;
    output::emit(|out| {
        if common.json {
            output::object(out, &[("access_token", Json::Text(token.expose()))])
        } else {
            out.write_all(token.expose().as_bytes())?;
            out.write_all(b"\n")
        }
    })
}
