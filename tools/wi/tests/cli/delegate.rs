//! `wi delegate`: the user token as the subject, the workload's own token as
//! the actor; the user token never from argv; a refused user token.

use crate::support::{is_access_token, run, server, wi, TempFile};

const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

#[test]
fn delegates_for_the_user_with_the_workload_as_actor() {
    let server = server();
    let user = server.issue_user_token("dev-client", "alice");
    let file = TempFile::new("delegate-user", &format!("{user}\n"));
    let outcome = run(
        wi(&server),
        &[
            "delegate",
            "--user-token-file",
            file.path(),
            "--audience",
            "orders",
            "--scope",
            "orders:read",
            "--json",
        ],
        None,
    )
    .ok();
    let line = outcome.line();
    let token = line
        .strip_prefix("{\"access_token\":\"")
        .and_then(|rest| rest.split('"').next())
        .expect("a JSON document");
    assert!(is_access_token(token), "{outcome:?}");
    assert!(
        line.ends_with(&format!(
            "\",\"issued_token_type\":\"{ACCESS_TOKEN_TYPE}\",\"token_type\":\"Bearer\",\
             \"expires_in\":3600,\"scope\":\"orders:read\"}}"
        )),
        "{outcome:?}"
    );
    assert_eq!(
        server.token_subject(token),
        Some(("alice".to_owned(), Some("dev-client".to_owned())))
    );
    let delegation = server.requests().pop().expect("the delegation");
    assert_eq!(delegation.form_value("subject_token"), Some(user.as_str()));
    assert_eq!(
        delegation.form_value("subject_token_type"),
        Some(ACCESS_TOKEN_TYPE)
    );
    assert!(delegation
        .form_value("actor_token")
        .is_some_and(is_access_token));
    assert_eq!(delegation.form_value("audience"), Some("orders"));

    // From standard input, raw output.
    let outcome = run(
        wi(&server),
        &["delegate", "--user-token-stdin"],
        Some(&user),
    )
    .ok();
    assert!(is_access_token(outcome.line()), "{outcome:?}");
}

#[test]
fn refuses_a_token_on_the_command_line_and_reports_a_refused_user() {
    let server = server();
    let outcome = run(
        wi(&server),
        &["delegate", "--user-token", "at_secret_value"],
        None,
    )
    .fails(2);
    assert!(outcome.stderr.contains("refused"), "{outcome:?}");
    assert!(!outcome.stderr.contains("at_secret_value"), "{outcome:?}");
    let outcome = run(wi(&server), &["delegate"], None).fails(2);
    assert!(
        outcome.stderr.contains("missing the user token"),
        "{outcome:?}"
    );
    let outcome = run(
        wi(&server),
        &["delegate", "--user-token-stdin", "--client-secret-stdin"],
        Some("x"),
    )
    .fails(2);
    assert!(
        outcome.stderr.contains("cannot both read standard input"),
        "{outcome:?}"
    );
    assert!(server.requests().is_empty());

    let expired = "at_00000000000000000000000000000000";
    let outcome = run(
        wi(&server),
        &["delegate", "--user-token-stdin"],
        Some(expired),
    )
    .fails(4);
    assert!(
        outcome.stderr.contains("refused the user token"),
        "{outcome:?}"
    );
    assert!(outcome.stderr.contains("invalid_grant"), "{outcome:?}");
    assert!(!outcome.stderr.contains(expired), "{outcome:?}");
}
