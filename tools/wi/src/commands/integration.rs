//! `wi integration NAME`: print the credential of an integration.

use crate::args::Args;
use crate::commands::{unexpected, Common};
use crate::failure::Failure;
use crate::output::{self, Json};

/// Fetches integration `NAME`'s credential and prints it, or `{"credential":…}`.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut common = Common::default();
    let mut name = None;
    common.parse(
        "integration",
        args,
        |_, _| Ok(false),
        |value| match name {
            None => {
                name = Some(value);
                Ok(())
            }
            Some(_) => Err(unexpected("integration", &value)),
        },
    )?;
    let Some(name) = name else {
        return Err(Failure::Usage(
            "missing the integration NAME (see `wi integration --help`)".to_owned(),
        ));
    };
    let credential = common.connection.client()?.integration_credential(&name)?;
    output::emit(|out| {
        if common.json {
            output::object(out, &[("credential", Json::Text(credential.expose()))])
        } else {
            out.write_all(credential.expose().as_bytes())?;
            out.write_all(b"\n")
        }
    })
}
