//! The commands, one file each. A new command is a file here, a variant of
//! [`Command`] and a line in [`Command::run`]; a service command flattens
//! [`crate::connection::Connection`] for the shared connection flags and
//! [`crate::format::FormatArgs`] for `--format`/`--json`.

pub mod completion;
pub mod delegate;
pub mod devserver;
pub mod env;
pub mod exchange;
pub mod help;
pub mod integration;
pub mod proxy;
pub mod skill_env;
pub mod token;
pub mod version;

use crate::failure::Failure;

/// Every `wi` command; each struct's doc comment is its help.
// One value per process, parsed once: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(clap::Subcommand)]
pub enum Command {
    Token(token::Token),
    Exchange(exchange::Exchange),
    Delegate(delegate::Delegate),
    Integration(integration::Integration),
    Env(env::Env),
    Proxy(proxy::Proxy),
    SkillEnv(skill_env::SkillEnv),
    Devserver(devserver::Devserver),
    Completion(completion::Completion),
    Version(version::Version),
    Help(help::Help),
}

impl Command {
    /// Runs the command; its result is on stdout when this returns `Ok`.
    pub fn run(self) -> Result<(), Failure> {
        match self {
            Command::Token(command) => command.run(),
            Command::Exchange(command) => command.run(),
            Command::Delegate(command) => command.run(),
            Command::Integration(command) => command.run(),
            Command::Env(command) => command.run(),
            Command::Proxy(command) => command.run(),
            Command::SkillEnv(command) => command.run(),
            Command::Devserver(command) => command.run(),
            Command::Completion(command) => command.run(),
            Command::Version(command) => command.run(),
            Command::Help(command) => command.run(),
        }
    }
}
