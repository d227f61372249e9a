//! The argument cursor: `--flag VALUE`, `--flag=VALUE`, short flags, `--` and
//! positionals, consumed front to back by one command's parser.

use std::collections::VecDeque;
use std::ffi::OsString;

use crate::failure::Failure;

/// One command-line item.
pub enum Arg {
    /// `--name`, `--name=value` or `-n`.
    Flag(Flag),
    /// Anything else, `-` included, and everything after `--`.
    Positional(String),
}

/// A flag as written; the value of `--name=value` is kept until asked for.
pub struct Flag {
    /// The flag itself, e.g. `--audience` or `-v`.
    pub name: String,
    inline: Option<String>,
}

impl Flag {
    /// Checks that a flag which takes no value was not given one (`--json=yes`).
    pub fn switch(&self) -> Result<(), Failure> {
        match self.inline {
            Some(_) => Err(Failure::Usage(format!("{} takes no value", self.name))),
            None => Ok(()),
        }
    }
}

/// The arguments of one command not consumed yet. Owned by one parser; not shared.
pub struct Args {
    items: VecDeque<String>,
    positional_only: bool,
}

impl Args {
    /// Takes the process arguments (program name excluded); every one must be UTF-8.
    pub fn from_os(args: impl IntoIterator<Item = OsString>) -> Result<Args, Failure> {
        let items = args
            .into_iter()
            .enumerate()
            .map(|(index, arg)| {
                arg.into_string().map_err(|_| {
                    Failure::Usage(format!("argument {} is not valid UTF-8", index + 1))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Args {
            items,
            positional_only: false,
        })
    }

    /// The next item, or `None` when all are consumed.
    pub fn next(&mut self) -> Option<Arg> {
        let item = self.items.pop_front()?;
        if self.positional_only || item == "-" || !item.starts_with('-') {
            return Some(Arg::Positional(item));
        }
        if item == "--" {
            self.positional_only = true;
            return self.next();
        }
        let (name, inline) = match item.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                (name.to_owned(), Some(value.to_owned()))
            }
            _ => (item, None),
        };
        Some(Arg::Flag(Flag { name, inline }))
    }

    /// The value of `flag`: its `=value`, or else the next item whatever it looks like.
    pub fn value(&mut self, flag: &Flag) -> Result<String, Failure> {
        match &flag.inline {
            Some(value) => Ok(value.clone()),
            None => self
                .items
                .pop_front()
                .ok_or_else(|| Failure::Usage(format!("{} needs a value", flag.name))),
        }
    }

    /// Whether `-h` or `--help` appears before any `--`.
    pub fn wants_help(&self) -> bool {
        self.items
            .iter()
            .take_while(|item| *item != "--")
            .any(|item| item == "-h" || item == "--help")
    }

    /// The items not consumed yet, as given.
    pub fn into_rest(self) -> Vec<String> {
        self.items.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(items: &[&str]) -> Args {
        Args::from_os(items.iter().map(OsString::from)).unwrap()
    }

    #[test]
    fn splits_flags_values_and_positionals() {
        let mut args = args(&["--scope=a b", "--audience", "-x", "name", "--", "--json"]);
        let Some(Arg::Flag(scope)) = args.next() else {
            panic!("expected a flag")
        };
        assert_eq!(args.value(&scope).unwrap(), "a b");
        let Some(Arg::Flag(audience)) = args.next() else {
            panic!("expected a flag")
        };
        assert_eq!(args.value(&audience).unwrap(), "-x");
        assert!(matches!(args.next(), Some(Arg::Positional(name)) if name == "name"));
        assert!(matches!(args.next(), Some(Arg::Positional(json)) if json == "--json"));
        assert!(args.next().is_none());
    }

    #[test]
    fn reports_missing_values_and_unwanted_ones() {
        let mut given = args(&["--scope"]);
        let Some(Arg::Flag(scope)) = given.next() else {
            panic!("expected a flag")
        };
        assert!(given.value(&scope).is_err());
        let Some(Arg::Flag(json)) = args(&["--json=1"]).next() else {
            panic!("expected a flag")
        };
        assert!(json.switch().is_err());
    }

    #[test]
    fn help_after_double_dash_is_a_positional() {
        assert!(args(&["x", "--help"]).wants_help());
        assert!(!args(&["--", "--help"]).wants_help());
    }
}
