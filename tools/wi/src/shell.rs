//! Variable assignments a POSIX shell can source: `NAME='value'`, with the
//! value in single quotes (inside which sh, bash, zsh and dotenv loaders
//! take every character literally, line breaks included) and each `'`
//! written as `'\''` (close, escaped quote, reopen).

use std::io::{self, Write};

/// Whether `name` can be assigned by a shell: a letter or `_`, then letters,
/// digits or `_` (ASCII). Anything else would not parse, or would run as code.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why `name=value` cannot be written as a shell assignment, if it cannot.
/// A shell variable holds no NUL byte, so such a value would not survive.
pub fn unassignable(name: &str, value: &str) -> Option<String> {
    if !is_name(name) {
        Some(format!(
            "variable name {name:?} is not a shell name (letters, digits and _, \
             not starting with a digit)"
        ))
    } else if value.contains('\0') {
        Some(format!(
            "the value of {name} holds a NUL character, which a shell variable cannot"
        ))
    } else {
        None
    }
}

/// Writes `prefix` (`""` or `"export "`), then `name='value'` and a newline.
/// `name` must pass [`unassignable`]; the value is written piece by piece, so
/// no extra copy of a secret is made.
pub fn assignment(out: &mut dyn Write, prefix: &str, name: &str, value: &str) -> io::Result<()> {
    out.write_all(prefix.as_bytes())?;
    out.write_all(name.as_bytes())?;
    out.write_all(b"='")?;
    let mut pieces = value.split('\'');
    if let Some(first) = pieces.next() {
        out.write_all(first.as_bytes())?;
    }
    for piece in pieces {
        out.write_all(b"'\\''")?;
        out.write_all(piece.as_bytes())?;
    }
    out.write_all(b"'\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(prefix: &str, name: &str, value: &str) -> String {
        let mut out = Vec::new();
        assignment(&mut out, prefix, name, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quotes_every_value_and_escapes_single_quotes() {
        assert_eq!(render("", "A", "on"), "A='on'\n");
        assert_eq!(render("", "A", ""), "A=''\n");
        assert_eq!(render("export ", "A", "it's"), "export A='it'\\''s'\n");
        assert_eq!(render("", "A", "'"), "A=''\\'''\n");
        assert_eq!(
            render("", "A", "$HOME `id` \\ \"x\"\nnext"),
            "A='$HOME `id` \\ \"x\"\nnext'\n"
        );
    }

    #[test]
    fn accepts_only_shell_names_and_nul_free_values() {
        for good in ["A", "_", "a_1", "DATABASE_URL"] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["", "1A", "A-B", "A B", "A=B", "$(id)", "É", "A;B"] {
            assert!(!is_name(bad), "{bad}");
        }
        assert!(unassignable("A", "x\0y").is_some());
        assert!(unassignable("A-B", "x").is_some());
        assert!(unassignable("A", "x\ny'z").is_none());
    }
}
