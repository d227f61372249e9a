//! The root README's flow examples run as written: every flow against the
//! dev server, through `wi` and a shell.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_readme_flow_examples_run_as_written() {
    let readme = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let text = std::fs::read_to_string(readme).unwrap();
    let block = text
        .split("<!-- flows-example:begin -->\n```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n<!-- flows-example:end -->").next())
        .expect("the README holds the flow examples");
    let tools = PathBuf::from(env!("CARGO_BIN_EXE_wi"));
    let path = format!(
        "{}:{}",
        tools.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The key pair the example's comment says how to make.
    let setup = "rm -f /tmp/wi-flows.port\n\
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out /tmp/wi-flows-key.pem 2>/dev/null\n\
        openssl pkey -in /tmp/wi-flows-key.pem -pubout -out /tmp/wi-flows-key.pub.pem\n";
    let output = Command::new("bash")
        .args(["-e", "-o", "pipefail", "-c", &format!("{setup}{block}")])
        .env_clear()
        .env("PATH", path)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    let tokens: Vec<&str> = stdout
        .lines()
        .filter(|line| !line.starts_with("listening"))
        .collect();
    assert_eq!(tokens.len(), 6, "one token per example: {stdout}");
    assert!(
        tokens
            .iter()
            .all(|token| token.len() > 10 && !token.contains(' ')),
        "{stdout}"
    );
}
