//! The README's configuration table, the Go binding's typed options and the
//! Node binding's option types all come from the library's one table of
//! option keys (`OptionSpec::all()`). This test renders each and fails when a
//! committed copy differs; `WI_BLESS=1 cargo test --test option_table`
//! rewrites them.

use std::path::{Path, PathBuf};

use workload_identity::{OptionKind, OptionSpec};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares (or, with WI_BLESS=1, rewrites) the text between `begin` and
/// `end` in `path` with `rendered`.
fn check_block(path: &Path, begin: &str, end: &str, rendered: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let start = text
        .find(begin)
        .unwrap_or_else(|| panic!("{begin} in {path:?}"))
        + begin.len();
    let stop = text[start..]
        .find(end)
        .unwrap_or_else(|| panic!("{end} in {path:?}"))
        + start;
    if text[start..stop] == *rendered {
        return;
    }
    if std::env::var_os("WI_BLESS").is_some() {
        let updated = format!("{}{}{}", &text[..start], rendered, &text[stop..]);
        std::fs::write(path, updated).unwrap();
        return;
    }
    panic!(
        "{} is out of date with the option table; run WI_BLESS=1 cargo test --release --test option_table\nexpected:\n{rendered}",
        path.display()
    );
}

fn readme_table() -> String {
    let mut out = String::from(
        "\n| option key | environment variable | default | meaning |\n| --- | --- | --- | --- |\n",
    );
    for spec in OptionSpec::all() {
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} |\n",
            spec.name(),
            spec.env_var(),
            spec.default_text(),
            spec.doc()
        ));
    }
    out.push_str("| `header.<Name>` | | none | an extra HTTP header on every request; `Authorization`, `Content-Type`, `Content-Length` and `Host` are refused |\n");
    out
}

/// `client_id` -> `ClientID`; a duration's unit suffix is dropped (`timeout_ms` -> `Timeout`).
fn go_name(spec: &OptionSpec) -> String {
    let mut parts: Vec<&str> = spec.name().split('_').collect();
    if matches!(spec.kind(), OptionKind::Milliseconds | OptionKind::Seconds) {
        parts.pop();
    }
    parts
        .iter()
        .map(|part| match *part {
            "id" | "ca" | "http" | "url" | "jwt" => part.to_ascii_uppercase(),
            _ => {
                let mut chars = part.chars();
                let first = chars.next().unwrap().to_ascii_uppercase();
                std::iter::once(first).chain(chars).collect()
            }
        })
        .collect()
}

fn go_options() -> String {
    let mut out = String::from(
        "// Code generated from the library's option table by tests/option_table.rs; DO NOT EDIT.\n\
         // Regenerate: WI_BLESS=1 cargo test --release --test option_table\n\n\
         package workloadidentity\n\n\
         import (\n\t\"strconv\"\n\t\"time\"\n)\n",
    );
    for spec in OptionSpec::all() {
        let name = go_name(spec);
        let key = spec.name();
        let (param, value) = match spec.kind() {
            OptionKind::Milliseconds => ("d time.Duration", "milliseconds(d)".to_owned()),
            OptionKind::Seconds => ("d time.Duration", "seconds(d)".to_owned()),
            OptionKind::Count { .. } => ("n int", "strconv.Itoa(n)".to_owned()),
            OptionKind::Bool => ("enabled bool", "strconv.FormatBool(enabled)".to_owned()),
            OptionKind::Choice(_) if key == "flow" => ("flow Flow", "string(flow)".to_owned()),
            OptionKind::Choice(_) => ("method ClientAuth", "string(method)".to_owned()),
            _ => ("value string", "value".to_owned()),
        };
        let env = spec.env_var();
        out.push_str(&format!(
            "\n// With{name} sets {key}: {} (env {env}; default {}).\nfunc With{name}({param}) Option {{\n\treturn Option{{{key:?}, {value}}}\n}}\n",
            spec.doc().replace('`', ""),
            spec.default_text().replace('`', "")
        ));
    }
    out
}

fn camel(name: &str) -> String {
    let mut out = String::new();
    for (index, part) in name.split('_').enumerate() {
        if index == 0 {
            out.push_str(part);
        } else {
            let mut chars = part.chars();
            out.push(chars.next().unwrap().to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out
}

fn node_options() -> String {
    let mut out = String::from("\n");
    for spec in OptionSpec::all() {
        let ty = match spec.kind() {
            OptionKind::Milliseconds | OptionKind::Seconds | OptionKind::Count { .. } => {
                "number | string".to_owned()
            }
            OptionKind::Bool => "boolean | string".to_owned(),
            OptionKind::Choice(choices) => choices
                .iter()
                .map(|choice| format!("'{choice}'"))
                .collect::<Vec<_>>()
                .join(" | "),
            _ => "string".to_owned(),
        };
        out.push_str(&format!(
            "  /** {} (env {}; default {}). */\n",
            spec.doc().replace('`', ""),
            spec.env_var(),
            spec.default_text().replace('`', "")
        ));
        let camel = camel(spec.name());
        if camel != spec.name() {
            out.push_str(&format!("  {camel}?: {ty};\n"));
        }
        out.push_str(&format!("  {}?: {ty};\n", spec.name()));
    }
    out.push_str("  ");
    out
}

#[test]
fn readme_configuration_table_follows_the_option_table() {
    check_block(
        &root().join("README.md"),
        "<!-- options:begin -->\n",
        "<!-- options:end -->",
        &readme_table(),
    );
}

#[test]
fn go_options_follow_the_option_table() {
    let path = root().join("bindings/go/options_gen.go");
    if !path.exists() && std::env::var_os("WI_BLESS").is_some() {
        std::fs::write(&path, "").unwrap();
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let rendered = go_options();
    if text == rendered {
        return;
    }
    if std::env::var_os("WI_BLESS").is_some() {
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    panic!("bindings/go/options_gen.go is out of date; run WI_BLESS=1 cargo test --release --test option_table");
}

#[test]
fn node_option_types_follow_the_option_table() {
    check_block(
        &root().join("bindings/node/index.d.ts"),
        "  // <options: generated by tests/option_table.rs>",
        "// </options>",
        &node_options(),
    );
}

#[test]
fn every_key_has_a_distinct_environment_variable() {
    let mut seen = std::collections::HashSet::new();
    for spec in OptionSpec::all() {
        assert!(seen.insert(spec.env_var()), "{}", spec.name());
        assert!(!spec.doc().is_empty(), "{}", spec.name());
    }
}
