//! What the library puts on the wire, checked at a real server (shared/PROTOCOL.md).

mod common;

use common::{client, server};
use workload_identity::ExchangeParams;

#[test]
fn step_one_and_two_are_byte_exact() {
    let server = server();
    let client = client(&server, &[]);
    client.access_token().unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let (step1, step2) = (&requests[0], &requests[1]);
    assert_eq!(
        (step1.method.as_str(), step1.path.as_str()),
        ("POST", "/oauth/token")
    );
    assert_eq!(
        step1.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        step1.body,
        "client_id=dev-client&client_secret=dev-secret&grant_type=client_credentials"
    );
    assert_eq!(step1.header("authorization"), None);
    assert_eq!(
        (step2.method.as_str(), step2.path.as_str()),
        ("POST", "/oauth/exchange")
    );
    assert_eq!(
        step2.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let id_token = step2.form_value("subject_token").unwrap();
    assert!(id_token.starts_with("idt_"));
    assert_eq!(
        step2.body,
        format!(
            "client_id=dev-client&subject_token={id_token}\
             &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aid_token\
             &grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
        )
    );
    assert!(step1
        .header("user-agent")
        .unwrap()
        .starts_with("workload-identity/"));
}

#[test]
fn lanes_add_their_headers_to_every_request() {
    for (lane, tt_env, use_ppe) in [
        (Some("ppe_feature"), Some("ppe_feature"), Some("1")),
        (Some("boe_test"), Some("boe_test"), None),
        (Some("my_lane"), Some("my_lane"), None),
        (Some("NONE"), None, None),
        (None, None, None),
    ] {
        let server = server();
        let extra: Vec<(&str, &str)> = lane.iter().map(|lane| ("server_env", *lane)).collect();
        let client = client(&server, &extra);
        client.access_token().unwrap();
        client.integration_credential("github").unwrap();
        client.project_env_vars().unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 4);
        for request in requests {
            assert_eq!(
                request.header("x-tt-env"),
                tt_env,
                "{lane:?} {}",
                request.path
            );
            assert_eq!(
                request.header("x-use-ppe"),
                use_ppe,
                "{lane:?} {}",
                request.path
            );
        }
    }
}

#[test]
fn integration_and_env_requests() {
    let server = server();
    let client = client(&server, &[]);
    let credential = client.integration_credential("github").unwrap();
    assert_eq!(credential.expose(), "ghp_dev_github_credential");
    let vars = client.project_env_vars().unwrap();
    let keys: Vec<&str> = vars.iter().map(|var| var.key.as_str()).collect();
    assert_eq!(keys, ["DATABASE_URL", "FEATURE_FLAG", "GREETING"]);
    assert_eq!(vars[2].value.expose(), "héllo wörld");
    let token = client.access_token().unwrap();
    let requests = server.requests();
    let integration = &requests[2];
    assert_eq!(integration.path, "/outbound/integration");
    assert_eq!(integration.header("content-type"), Some("application/json"));
    assert_eq!(integration.body, r#"{"integration_name":"github"}"#);
    assert_eq!(
        integration.header("authorization"),
        Some(format!("Bearer {}", token.expose()).as_str())
    );
    let env = &requests[3];
    assert_eq!(
        (env.method.as_str(), env.path.as_str()),
        ("GET", "/outbound/env")
    );
    assert_eq!(
        env.header("authorization"),
        integration.header("authorization")
    );
    assert_eq!(requests.len(), 4, "the access token is fetched once");
}

#[test]
fn general_exchange_sends_every_parameter() {
    let server = server();
    let client = client(&server, &[]);
    let subject = client.access_token().unwrap();
    let exchanged = client
        .exchange_token(&ExchangeParams {
            subject_token: subject.expose(),
            audience: Some("aud ience"),
            resource: Some("https://api.example.com/r"),
            scope: Some("read write"),
            requested_token_type: Some("urn:ietf:params:oauth:token-type:access_token"),
            actor_token: Some(subject.expose()),
            actor_token_type: Some("urn:ietf:params:oauth:token-type:access_token"),
            ..ExchangeParams::default()
        })
        .unwrap();
    assert!(exchanged.access_token.expose().starts_with("at_"));
    assert_eq!(exchanged.scope.as_deref(), Some("read write"));
    let request = server.requests().pop().unwrap();
    let expected = [
        ("client_id", "dev-client"),
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", subject.expose()),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("audience", "aud ience"),
        ("resource", "https://api.example.com/r"),
        ("scope", "read write"),
        (
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("actor_token", subject.expose()),
        (
            "actor_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
    ];
    let form: Vec<(&str, &str)> = request
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(form, expected);
    assert!(request.body.contains("audience=aud+ience"));
    assert!(request.body.contains("scope=read+write"));
}

#[test]
fn general_exchange_leaves_out_unset_parameters() {
    let server = server();
    let client = client(&server, &[]);
    let subject = client.access_token().unwrap();
    client
        .exchange_token(&ExchangeParams {
            subject_token: subject.expose(),
            ..ExchangeParams::default()
        })
        .unwrap();
    let request = server.requests().pop().unwrap();
    let names: Vec<&str> = request.form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "grant_type",
            "subject_token",
            "subject_token_type"
        ]
    );
}

#[test]
fn client_authentication_modes_of_the_general_exchange() {
    let server = server();
    let subject = client(&server, &[]).access_token().unwrap();
    let params = ExchangeParams {
        subject_token: subject.expose(),
        ..ExchangeParams::default()
    };
    client(&server, &[("client_auth", "client_secret_post")])
        .exchange_token(&params)
        .unwrap();
    let post = server.requests().pop().unwrap();
    assert_eq!(post.form_value("client_id"), Some("dev-client"));
    assert_eq!(post.form_value("client_secret"), Some("dev-secret"));
    assert_eq!(post.header("authorization"), None);
    client(&server, &[("client_auth", "client_secret_basic")])
        .exchange_token(&params)
        .unwrap();
    let basic = server.requests().pop().unwrap();
    assert_eq!(basic.form_value("client_id"), None);
    assert_eq!(basic.form_value("client_secret"), None);
    // base64("dev-client:dev-secret")
    assert_eq!(
        basic.header("authorization"),
        Some("Basic ZGV2LWNsaWVudDpkZXYtc2VjcmV0")
    );
}

#[test]
fn custom_user_agent() {
    let server = server();
    client(&server, &[("user_agent", "agent/7")])
        .access_token()
        .unwrap();
    assert_eq!(server.requests()[0].header("user-agent"), Some("agent/7"));
}
