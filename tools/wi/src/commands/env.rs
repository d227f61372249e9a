//! `wi env`: print the project's environment variables.

use crate::args::Args;
use crate::commands::{unexpected, Common};
use crate::failure::Failure;
use crate::output;

/// Fetches the project's variables and prints `KEY=VALUE` lines in server
/// order, or `{"vars":[{"key":…,"value":…},…]}`.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut common = Common::default();
    common.parse(
        "env",
        args,
        |_, _| Ok(false),
        |value| Err(unexpected("env", &value)),
    )?;
    let vars = common.connection.client()?.project_env_vars()?;
    output::emit(|out| {
        if !common.json {
            for var in &vars {
                out.write_all(var.key.as_bytes())?;
                out.write_all(b"=")?;
                out.write_all(var.value.expose().as_bytes())?;
                out.write_all(b"\n")?;
            }
            return Ok(());
        }
        out.write_all(b"{\"vars\":[")?;
        for (index, var) in vars.iter().enumerate() {
            if index > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{\"key\":")?;
            output::string(out, &var.key)?;
            out.write_all(b",\"value\":")?;
            output::string(out, var.value.expose())?;
            out.write_all(b"}")?;
        }
        out.write_all(b"]}\n")
    })
}
