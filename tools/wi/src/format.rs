//! `--format FORMAT` and its shorthand `--json`, shared by every command that
//! prints a result; each command names its own formats (a [`clap::ValueEnum`]).

use clap::ValueEnum;

/// The output formats of one command.
pub trait Format: ValueEnum + Default + Clone + Send + Sync + 'static {
    /// The format `--json` stands for.
    const JSON: Self;
}

/// The output flags of a command whose formats are `F`. Owned by one command.
#[derive(clap::Args)]
pub struct FormatArgs<F: Format> {
    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<F>,

    /// Same as --format json
    #[arg(long, conflicts_with = "format")]
    json: bool,
}

impl<F: Format> FormatArgs<F> {
    /// The format asked for: `--format`, `--json`, or the command's default.
    pub fn get(&self) -> F {
        if self.json {
            F::JSON
        } else {
            self.format.clone().unwrap_or_default()
        }
    }
}
