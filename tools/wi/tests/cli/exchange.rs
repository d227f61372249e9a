//! `wi exchange`: every RFC 8693 parameter reaches the server; token inputs.

use crate::support::{is_access_token, run, server, wi, TempFile};

const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

#[test]
fn sends_every_parameter_with_basic_client_auth() {
    let server = server();
    let subject = TempFile::new("every-subject", "user-token-value\n");
    let outcome = run(
        wi(&server),
        &[
            "exchange",
            "--subject-token-file",
            subject.path(),
            "--subject-token-type",
            JWT_TYPE,
            "--audience",
            "billing",
            "--resource",
            "https://billing.example.com/api",
            "--scope",
            "invoices:read invoices:write",
            "--requested-token-type",
            "urn:ietf:params:oauth:token-type:access_token",
            "--actor-token-stdin",
            "--actor-token-type",
            JWT_TYPE,
            "--client-auth",
            "client_secret_basic",
            "--json",
        ],
        Some("actor-token-value\n"),
    )
    .ok();
    let line = outcome.line();
    let token = line
        .strip_prefix("{\"access_token\":\"")
        .and_then(|rest| rest.split('"').next());
    assert!(token.is_some_and(is_access_token), "{outcome:?}");
    assert!(
        line.ends_with(
            "\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:access_token\",\
             \"token_type\":\"Bearer\",\"expires_in\":3600,\
             \"scope\":\"invoices:read invoices:write\"}"
        ),
        "{outcome:?}"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "only the exchange is sent");
    let request = &requests[0];
    assert_eq!(request.path, "/oauth/exchange");
    assert_eq!(
        request.header("authorization"),
        Some("Basic ZGV2LWNsaWVudDpkZXYtc2VjcmV0")
    );
    let mut form = request.form.clone();
    form.sort();
    let expected = [
        ("actor_token", "actor-token-value"),
        ("actor_token_type", JWT_TYPE),
        ("audience", "billing"),
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        (
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("resource", "https://billing.example.com/api"),
        ("scope", "invoices:read invoices:write"),
        ("subject_token", "user-token-value"),
        ("subject_token_type", JWT_TYPE),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    assert_eq!(form, expected);
}

#[test]
fn reads_tokens_from_files_and_stdin() {
    let server = server();
    let subject = TempFile::new("subject-token", "user-token-value\n");
    let actor = TempFile::new("actor-token", "actor-token-value\n");
    let outcome = run(
        wi(&server),
        &[
            "exchange",
            "--subject-token-file",
            subject.path(),
            "--subject-token-type",
            JWT_TYPE,
            "--actor-token-file",
            actor.path(),
            "--actor-token-type",
            JWT_TYPE,
            "--client-auth=client_secret_post",
        ],
        None,
    )
    .ok();
    assert!(is_access_token(outcome.line()), "{outcome:?}");
    let request = &server.requests()[0];
    assert_eq!(
        request.form_value("subject_token"),
        Some("user-token-value")
    );
    assert_eq!(request.form_value("actor_token"), Some("actor-token-value"));
    assert_eq!(request.form_value("client_id"), Some("dev-client"));
    assert_eq!(request.form_value("client_secret"), Some("dev-secret"));
    assert_eq!(request.header("authorization"), None);

    // `wi token | wi exchange --subject-token-stdin`: the default subject type
    // (access_token) makes the server check it is one it issued.
    let access = run(wi(&server), &["token"], None).ok();
    let exchanged = run(
        wi(&server),
        &["exchange", "--subject-token-stdin", "--scope", "read"],
        Some(&access.stdout),
    )
    .ok();
    assert!(is_access_token(exchanged.line()), "{exchanged:?}");
    let last = server.requests().pop().expect("the exchange was recorded");
    assert_eq!(
        last.form_value("subject_token"),
        Some(access.line()),
        "the subject token is sent without its newline"
    );
    assert_eq!(
        last.form_value("subject_token_type"),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
    assert_eq!(last.form_value("client_secret"), None);
}

#[test]
fn refuses_ambiguous_or_incomplete_requests() {
    let server = server();
    let token = TempFile::new("ambiguous-token", "a");
    let file = token.path();
    let usage = |args: &[&str], stdin: Option<&str>, says: &str| {
        let outcome = run(wi(&server), args, stdin).fails(2);
        assert!(outcome.stderr.contains(says), "{args:?}: {outcome:?}");
    };
    usage(&["exchange"], None, "missing the subject token");
    usage(
        &[
            "exchange",
            "--subject-token-file",
            file,
            "--subject-token-stdin",
        ],
        None,
        "--subject-token-file cannot be used with --subject-token-stdin",
    );
    usage(
        &[
            "exchange",
            "--subject-token-file",
            file,
            "--actor-token-file",
            file,
        ],
        None,
        "go together",
    );
    usage(
        &[
            "exchange",
            "--subject-token-file",
            file,
            "--actor-token-type",
            "t",
        ],
        None,
        "go together",
    );
    usage(
        &["exchange", "--subject-token-stdin", "--client-secret-stdin"],
        Some("x"),
        "--subject-token-stdin and --client-secret-stdin cannot both read standard input",
    );
    usage(
        &[
            "exchange",
            "--subject-token-stdin",
            "--actor-token-stdin",
            "--actor-token-type",
            "t",
        ],
        Some("x"),
        "--subject-token-stdin and --actor-token-stdin cannot both read standard input",
    );
    usage(
        &[
            "exchange",
            "--subject-token-file",
            file,
            "--client-auth",
            "jwt",
        ],
        None,
        "--client-auth: option client_auth",
    );
    assert!(server.requests().is_empty());
}

#[test]
fn refuses_tokens_as_flag_values_without_echoing_them() {
    let server = server();
    for args in [
        &["exchange", "--subject-token", "s3cr3t-subject"][..],
        &["exchange", "--subject-token=s3cr3t-subject"],
        &[
            "exchange",
            "--subject-token-stdin",
            "--actor-token",
            "s3cr3t-actor",
        ],
    ] {
        let refused = run(wi(&server), args, Some("x")).fails(2);
        assert!(
            refused.stderr.contains("is refused")
                && refused.stderr.contains("-file PATH")
                && refused.stderr.contains("-stdin"),
            "{refused:?}"
        );
        assert!(!refused.stderr.contains("s3cr3t"), "{refused:?}");
    }
    // An empty token file is an input failure, not an empty exchange.
    let empty = TempFile::new("empty-token", "\n");
    let outcome = run(
        wi(&server),
        &["exchange", "--subject-token-file", empty.path()],
        None,
    )
    .fails(1);
    assert!(outcome.stderr.contains("is empty"), "{outcome:?}");
    assert!(server.requests().is_empty());
}

#[test]
fn a_rejected_exchange_exits_4_with_the_oauth_error() {
    let server = server();
    // An access token the server never issued.
    let outcome = run(
        wi(&server),
        &["exchange", "--subject-token-stdin"],
        Some("at_unknown"),
    )
    .fails(4);
    assert!(
        outcome.stderr.contains("invalid_grant") && outcome.stderr.contains("HTTP 400"),
        "{outcome:?}"
    );
}
