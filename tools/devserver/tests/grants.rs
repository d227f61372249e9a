//! The OAuth token endpoint `/oauth2/token`: every grant, scope, audience and refresh rotation.

mod common;

use common::{basic, control, error_of, last_request, post_form, send, Response};
use serde_json::{json, Value};
use wi_devserver::{DevServer, Options};

const TOKEN: &str = "/oauth2/token";
const EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

fn start() -> DevServer {
    DevServer::start(Options::default()).unwrap()
}

fn token(port: u16, form: &[(&str, &str)]) -> Response {
    post_form(port, TOKEN, form, &[])
}

fn introspect(port: u16, token: &str) -> Value {
    let form = [
        ("token", token),
        ("client_id", "dev-client"),
        ("client_secret", "dev-secret"),
    ];
    let reply = post_form(port, "/oauth2/introspect", &form, &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

fn text(value: &Value, name: &str) -> String {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {value}"))
        .to_owned()
}

#[test]
fn client_credentials_returns_the_access_token_itself() {
    let server = start();
    let port = server.port();
    assert_eq!(
        server.oauth_token_endpoint(),
        format!("http://127.0.0.1:{port}/oauth2/token")
    );
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "read write"),
        ("audience", "https://api.example"),
        ("resource", "https://r1.example"),
        ("resource", "https://r2.example"),
    ];
    let basic = basic("dev-client", "dev-secret");
    let reply = post_form(port, TOKEN, &form, &[("Authorization", &basic)]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer = reply.json();
    let access = text(&answer, "access_token");
    assert!(access.starts_with("at_"), "{access}");
    assert_eq!(
        (
            &answer["token_type"],
            &answer["expires_in"],
            &answer["scope"]
        ),
        (&json!("Bearer"), &json!(3600), &json!("read write"))
    );
    assert!(answer.get("refresh_token").is_none(), "{answer}");
    assert!(answer.get("issued_token_type").is_none());

    // The token is an access token: the outbound API takes it.
    let bearer = format!("Bearer {access}");
    assert_eq!(
        send(
            port,
            "GET",
            "/outbound/env",
            &[("Authorization", &bearer)],
            ""
        )
        .status,
        200
    );
    let info = introspect(port, &access);
    assert_eq!(info["active"], true);
    assert_eq!(
        (&info["client_id"], &info["sub"], &info["scope"]),
        (
            &json!("dev-client"),
            &json!("dev-client"),
            &json!("read write")
        )
    );
    assert_eq!(
        info["aud"],
        json!([
            "https://api.example",
            "https://r1.example",
            "https://r2.example"
        ])
    );
    let recorded = last_request(port, TOKEN);
    assert_eq!(recorded["client_auth"], "client_secret_basic");
    assert_eq!(recorded["form"]["audience"], "https://api.example");

    // Without scope, no scope member; the grant needs a secret or a key.
    let plain = token(
        port,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "dev-client"),
            ("client_secret", "dev-secret"),
        ],
    );
    assert!(plain.json().get("scope").is_none());
    let bare = token(
        port,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "dev-client"),
        ],
    );
    assert_eq!(error_of(&bare), (401, "invalid_client".to_owned()));
    let repeated = token(
        port,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "a"),
            ("scope", "b"),
            ("client_id", "dev-client"),
            ("client_secret", "dev-secret"),
        ],
    );
    assert_eq!(error_of(&repeated), (400, "invalid_request".to_owned()));
    let unknown = token(
        port,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "dev-client"),
        ],
    );
    assert_eq!(
        error_of(&unknown),
        (400, "unsupported_grant_type".to_owned())
    );

    // Refresh tokens for client_credentials answers only when configured.
    control(
        port,
        "config",
        Some(&json!({"refresh_token_grants": ["client_credentials", "refresh_token"]})),
    );
    let with_refresh = token(
        port,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "dev-client"),
            ("client_secret", "dev-secret"),
        ],
    );
    assert!(text(&with_refresh.json(), "refresh_token").starts_with("rt_"));
}

#[test]
fn password_grant_checks_the_user() {
    let server = start();
    let port = server.port();
    server.add_user("alice", "wonder land");
    let login = |username: &str, password: &str| {
        token(
            port,
            &[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
                ("scope", "profile"),
                ("client_id", "dev-client"),
            ],
        )
    };
    let reply = login("alice", "wonder land");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer = reply.json();
    assert!(text(&answer, "refresh_token").starts_with("rt_"));
    assert_eq!(answer["scope"], "profile");
    let info = introspect(port, &text(&answer, "access_token"));
    assert_eq!(
        (&info["sub"], &info["username"], &info["client_id"]),
        (&json!("alice"), &json!("alice"), &json!("dev-client"))
    );
    assert_eq!(last_request(port, TOKEN)["client_auth"], "none");

    assert_eq!(
        error_of(&login("alice", "wrong")),
        (400, "invalid_grant".to_owned())
    );
    assert_eq!(
        error_of(&login("dev-user", "dev-password")).0,
        200,
        "the default user"
    );
    let missing = token(
        port,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("client_id", "dev-client"),
        ],
    );
    assert_eq!(error_of(&missing), (400, "invalid_request".to_owned()));
    assert!(missing.body.contains("password"));
    let wrong_client = token(
        port,
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", "wonder land"),
            ("client_id", "dev-client"),
            ("client_secret", "nope"),
        ],
    );
    assert_eq!(error_of(&wrong_client), (401, "invalid_client".to_owned()));
}

fn refresh(port: u16, refresh_token: &str, scope: Option<&str>) -> Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", "dev-client"),
        ("client_secret", "dev-secret"),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token(port, &form)
}

#[test]
fn refresh_tokens_rotate_and_are_never_accepted_twice() {
    let server = start();
    let port = server.port();
    let first = server.issue_refresh_token("dev-client", Some("read write"));
    assert!(first.starts_with("rt_"));

    let answer = refresh(port, &first, None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = answer.json();
    let second = text(&answer, "refresh_token");
    assert_ne!(second, first);
    assert_eq!(answer["scope"], "read write");
    assert!(text(&answer, "access_token").starts_with("at_"));

    let replay = refresh(port, &first, None);
    assert_eq!(error_of(&replay), (400, "invalid_grant".to_owned()));
    assert_eq!(introspect(port, &first), json!({"active": false}));

    // A narrower scope is granted; a wider one is not; the refresh token keeps the original.
    let narrowed = refresh(port, &second, Some("read")).json();
    assert_eq!(narrowed["scope"], "read");
    let third = text(&narrowed, "refresh_token");
    assert_eq!(introspect(port, &third)["scope"], "read write");
    let wider = refresh(port, &third, Some("read admin"));
    assert_eq!(error_of(&wider), (400, "invalid_scope".to_owned()));
    assert_eq!(
        refresh(port, &third, None).status,
        200,
        "a refused request uses nothing"
    );

    // Another client's refresh token, an access token, garbage: invalid_grant.
    server.add_client("other", "other-secret");
    let foreign = server.issue_refresh_token("other", None);
    let access = server.issue_access_token("dev-client", None);
    for bad in [foreign.as_str(), access.as_str(), "rt_forged"] {
        assert_eq!(
            error_of(&refresh(port, bad, None)),
            (400, "invalid_grant".to_owned()),
            "{bad}"
        );
    }
    assert_eq!(
        error_of(&token(
            port,
            &[("grant_type", "refresh_token"), ("client_id", "dev-client")]
        )),
        (400, "invalid_request".to_owned())
    );

    // Without rotation the answer has no refresh token and the old one lives on.
    server.set_refresh_token_grants(&["password"]);
    let kept = server.issue_refresh_token("dev-client", None);
    for _ in 0..2 {
        let answer = refresh(port, &kept, None).json();
        assert!(answer.get("refresh_token").is_none(), "{answer}");
    }
    server.reset();
    let rotated = refresh(port, &kept, None).json();
    assert!(
        rotated.get("refresh_token").is_some(),
        "reset restores rotation"
    );
}

#[test]
fn token_exchange_at_the_token_endpoint() {
    let server = start();
    let port = server.port();
    server.add_client("api", "api-secret");
    let user_token = server.issue_access_token("dev-client", Some("mail"));
    let actor_token = server.issue_access_token("api", None);
    let form = [
        ("grant_type", EXCHANGE_GRANT),
        ("subject_token", user_token.as_str()),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
        ("actor_token", actor_token.as_str()),
        ("actor_token_type", ACCESS_TOKEN_TYPE),
        ("audience", "https://downstream.example"),
        ("scope", "mail.read"),
        ("client_id", "api"),
        ("client_secret", "api-secret"),
    ];
    let reply = token(port, &form);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer = reply.json();
    assert_eq!(
        (
            &answer["issued_token_type"],
            &answer["scope"],
            &answer["token_type"]
        ),
        (
            &json!(ACCESS_TOKEN_TYPE),
            &json!("mail.read"),
            &json!("Bearer")
        )
    );
    let info = introspect(port, &text(&answer, "access_token"));
    assert_eq!(
        (&info["sub"], &info["act"], &info["aud"], &info["client_id"]),
        (
            &json!("dev-client"),
            &json!({"sub": "api"}),
            &json!("https://downstream.example"),
            &json!("api")
        )
    );

    // A Kubernetes-style JWT subject token is external: accepted as it is.
    let external = [
        ("grant_type", EXCHANGE_GRANT),
        ("subject_token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
        ("subject_token_type", "urn:ietf:params:oauth:token-type:jwt"),
        ("client_id", "api"),
    ];
    assert_eq!(token(port, &external).status, 200);
    let dead_actor = [
        form[0],
        form[1],
        form[2],
        ("actor_token", "at_forged"),
        form[4],
        form[7],
    ];
    assert_eq!(
        error_of(&token(port, &dead_actor)),
        (400, "invalid_grant".to_owned())
    );
}

#[test]
fn delegation_names_the_user_and_the_refused_token() {
    let server = start();
    let port = server.port();
    let user_token = server.issue_user_token("dev-client", "alice");
    assert_eq!(
        server.token_subject(&user_token),
        Some(("alice".to_owned(), None))
    );
    let workload_token = server.issue_access_token("dev-client", None);
    let delegation = |subject: &str, actor: &str| {
        token(
            port,
            &[
                ("grant_type", EXCHANGE_GRANT),
                ("subject_token", subject),
                ("subject_token_type", ACCESS_TOKEN_TYPE),
                ("actor_token", actor),
                ("actor_token_type", ACCESS_TOKEN_TYPE),
                ("client_id", "dev-client"),
            ],
        )
    };
    let reply = delegation(&user_token, &workload_token);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let delegated = text(&reply.json(), "access_token");
    assert_eq!(
        server.token_subject(&delegated),
        Some(("alice".to_owned(), Some("dev-client".to_owned())))
    );
    let info = introspect(port, &delegated);
    assert_eq!(
        (&info["sub"], &info["act"]),
        (&json!("alice"), &json!({"sub": "dev-client"}))
    );

    for (subject, actor, named) in [
        ("at_expired_user", workload_token.as_str(), "subject_token"),
        (user_token.as_str(), "at_forged_actor", "actor_token"),
    ] {
        let reply = delegation(subject, actor);
        assert_eq!(error_of(&reply), (400, "invalid_grant".to_owned()));
        let description = text(&reply.json(), "error_description");
        assert!(description.starts_with(named), "{description}");
        assert!(
            !description.contains("at_"),
            "no token value: {description}"
        );
    }
    assert_eq!(server.token_subject("at_unknown"), None);
}
