//! Clap's parse errors as `wi` usage errors: one line, `--flag` without its
//! value name, a suggestion when clap has one, and where to read more.
//! A value is echoed only when clap checked it (a format, a shell, a port
//! number) or it is a stray positional, never for a flag that takes a secret.

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::failure::Failure;

/// The usage failure for `error`; `command` is the subcommand named on the
/// command line (for the `see wi COMMAND --help` hint), if any.
pub fn failure(error: &clap::Error, command: Option<&str>) -> Failure {
    let mut message = describe(error);
    let suggestion = match error.get(ContextKind::SuggestedArg) {
        Some(ContextValue::String(flag)) => Some(flag.clone()),
        _ => first(error, ContextKind::SuggestedSubcommand)
            .or_else(|| first(error, ContextKind::SuggestedValue)),
    };
    if let Some(suggestion) = suggestion {
        message.push_str(&format!(" (did you mean {suggestion}?)"));
    }
    let topic = match command {
        Some(command) => format!("wi {command}"),
        None => "wi".to_owned(),
    };
    message.push_str(&format!(" (see `{topic} --help`)"));
    Failure::Usage(message)
}

fn describe(error: &clap::Error) -> String {
    let arg = || match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => flag(arg),
        _ => String::new(),
    };
    let value = || match error.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => value.clone(),
        _ => String::new(),
    };
    match error.kind() {
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "no command given".to_owned()
        }
        ErrorKind::InvalidSubcommand => match error.get(ContextKind::InvalidSubcommand) {
            Some(ContextValue::String(name)) => format!("unknown command {name:?}"),
            _ => "unknown command".to_owned(),
        },
        ErrorKind::UnknownArgument => {
            let arg = arg();
            if arg.starts_with('-') {
                format!("unknown option {arg}")
            } else {
                format!("unexpected argument {arg:?}")
            }
        }
        ErrorKind::TooManyValues => format!("{} takes no value", arg()),
        ErrorKind::InvalidValue if value().is_empty() => format!("{} needs a value", arg()),
        ErrorKind::InvalidValue => {
            let mut message = format!("{}: invalid value {:?}", arg(), value());
            if let Some(ContextValue::Strings(valid)) = error.get(ContextKind::ValidValue) {
                message.push_str(&format!("; expected one of {}", valid.join(", ")));
            }
            message
        }
        ErrorKind::ValueValidation => match std::error::Error::source(error) {
            Some(why) => format!("{}: invalid value {:?}: {why}", arg(), value()),
            None => format!("{}: invalid value {:?}", arg(), value()),
        },
        ErrorKind::ArgumentConflict => match error.get(ContextKind::PriorArg) {
            Some(ContextValue::String(prior)) if flag(prior) == arg() => {
                format!("{} is given more than once", arg())
            }
            Some(ContextValue::String(prior)) => {
                format!("{} cannot be used with {}", arg(), flag(prior))
            }
            Some(ContextValue::Strings(prior)) => {
                let prior: Vec<String> = prior.iter().map(|arg| flag(arg)).collect();
                format!("{} cannot be used with {}", arg(), prior.join(", "))
            }
            _ => format!("{} cannot be used with the other arguments", arg()),
        },
        ErrorKind::MissingRequiredArgument => match error.get(ContextKind::InvalidArg) {
            Some(ContextValue::Strings(missing)) => {
                let missing: Vec<String> = missing.iter().map(|arg| flag(arg)).collect();
                format!("missing {}", missing.join(", "))
            }
            _ => "missing a required argument".to_owned(),
        },
        // Anything else: clap's own first line (value checks of typed flags).
        _ => {
            let rendered = error.render().to_string();
            let line = rendered.lines().next().unwrap_or_default();
            line.strip_prefix("error: ").unwrap_or(line).to_owned()
        }
    }
}

/// `--client-id <ID>` as `--client-id`; a positional `<NAME>` as `NAME`.
fn flag(arg: &str) -> String {
    match arg.split_once(' ') {
        Some((name, _)) if name.starts_with('-') => name.to_owned(),
        _ => arg.trim_start_matches('<').trim_end_matches('>').to_owned(),
    }
}

fn first(error: &clap::Error, kind: ContextKind) -> Option<String> {
    match error.get(kind) {
        Some(ContextValue::String(value)) => Some(value.clone()),
        Some(ContextValue::Strings(values)) => values.first().cloned(),
        _ => None,
    }
}
