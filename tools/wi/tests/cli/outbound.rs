//! `wi integration` and `wi env`.

use crate::support::{run, server, wi};

#[test]
fn prints_an_integration_credential_plain_and_as_json() {
    let server = server();
    let plain = run(wi(&server), &["integration", "github"], None).ok();
    assert_eq!(plain.stdout, "ghp_dev_github_credential\n");
    let json = run(wi(&server), &["integration", "--json", "slack"], None).ok();
    assert_eq!(
        json.stdout,
        "{\"credential\":\"xoxb-dev-slack-credential\"}\n"
    );
    let request = server.requests().pop().expect("recorded");
    assert_eq!(request.path, "/outbound/integration");
    assert_eq!(request.body, "{\"integration_name\":\"slack\"}");
}

#[test]
fn escapes_credentials_in_json() {
    let server = server();
    // A credential is visible ASCII (it goes in headers): quotes and
    // backslashes are what JSON must escape.
    server.set_integration("odd", "quote\"backslash\\end");
    let json = run(wi(&server), &["integration", "odd", "--json"], None).ok();
    assert_eq!(
        json.stdout,
        "{\"credential\":\"quote\\\"backslash\\\\end\"}\n"
    );
}

#[test]
fn prints_env_vars_as_lines_and_as_json() {
    let server = server();
    let lines = run(wi(&server), &["env"], None).ok();
    assert_eq!(
        lines.stdout,
        "DATABASE_URL='postgres://dev:dev@127.0.0.1/dev'\nFEATURE_FLAG='on'\nGREETING='héllo wörld'\n"
    );
    let json = run(wi(&server), &["env", "--json"], None).ok();
    assert_eq!(
        json.stdout,
        "{\"vars\":[{\"key\":\"DATABASE_URL\",\"value\":\"postgres://dev:dev@127.0.0.1/dev\"},\
         {\"key\":\"FEATURE_FLAG\",\"value\":\"on\"},\
         {\"key\":\"GREETING\",\"value\":\"héllo wörld\"}]}\n"
    );
    server.set_env_vars(Vec::new());
    assert_eq!(run(wi(&server), &["env"], None).ok().stdout, "");
    assert_eq!(
        run(wi(&server), &["env", "--json"], None).ok().stdout,
        "{\"vars\":[]}\n"
    );
}
