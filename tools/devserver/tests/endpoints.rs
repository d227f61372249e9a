//! Discovery (RFC 8414 / OpenID), introspection (RFC 7662), revocation (RFC 7009),
//! registration (RFC 7591), custom headers, and faults on each.

mod common;

use common::{
    assertion_claims, basic, control, error_of, last_request, post_form, post_json, send, TestKey,
};
use serde_json::{json, Value};
use wi_devserver::{DevServer, Fault, FaultKind, Options};

fn start() -> DevServer {
    DevServer::start(Options::default()).unwrap()
}

const DEV: [(&str, &str); 2] = [("client_id", "dev-client"), ("client_secret", "dev-secret")];

fn introspect(port: u16, token: &str) -> common::Response {
    post_form(
        port,
        "/oauth2/introspect",
        &[("token", token), DEV[0], DEV[1]],
        &[],
    )
}

fn revoke(port: u16, token: &str, client: [(&str, &str); 2]) -> common::Response {
    let form = [
        ("token", token),
        ("token_type_hint", "access_token"),
        client[0],
        client[1],
    ];
    post_form(port, "/oauth2/revoke", &form, &[])
}

#[test]
fn discovery_documents_and_their_faults() {
    let server = start();
    let port = server.port();
    let base = server.issuer();
    let get = |path: &str| send(port, "GET", path, &[], "");

    let oauth = get("/.well-known/oauth-authorization-server");
    assert_eq!(oauth.status, 200);
    let document = oauth.json();
    assert_eq!(document["issuer"], base);
    assert_eq!(document["token_endpoint"], server.oauth_token_endpoint());
    assert_eq!(
        document["introspection_endpoint"],
        server.introspection_endpoint()
    );
    assert_eq!(
        document["revocation_endpoint"],
        server.revocation_endpoint()
    );
    assert_eq!(
        document["registration_endpoint"],
        server.registration_endpoint()
    );
    assert!(document["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap()
        .contains(&json!("private_key_jwt")));
    assert_eq!(get("/.well-known/openid-configuration").json(), document);

    // RFC 8414 3.1: the well-known part goes between host and path; OpenID appends it.
    let tenant = get("/.well-known/oauth-authorization-server/tenants/a").json();
    assert_eq!(tenant["issuer"], format!("{base}/tenants/a"));
    assert_eq!(tenant["token_endpoint"], server.oauth_token_endpoint());
    let appended = get("/tenants/a/.well-known/openid-configuration").json();
    assert_eq!(appended["issuer"], format!("{base}/tenants/a"));
    assert_eq!(
        get("/tenants/a/.well-known/oauth-authorization-server").status,
        404
    );
    let post = send(port, "POST", "/.well-known/openid-configuration", &[], "");
    assert_eq!((post.status, post.header("allow")), (405, Some("GET")));

    // Faults: not JSON, no token_endpoint, another issuer, huge, not found.
    let path = "/.well-known/oauth-authorization-server";
    server.push_fault(Fault::new(path, FaultKind::MalformedJson));
    assert!(serde_json::from_str::<Value>(&get(path).body).is_err());
    control(
        port,
        "faults",
        Some(&json!({"path": path, "remove": ["token_endpoint"]})),
    );
    let partial = get(path).json();
    assert!(partial.get("token_endpoint").is_none() && partial["issuer"] == base);
    control(
        port,
        "faults",
        Some(&json!({"path": path, "set": {"issuer": "http://127.0.0.1:1"}})),
    );
    assert_eq!(get(path).json()["issuer"], "http://127.0.0.1:1");
    server.push_fault(Fault::new(path, FaultKind::HugeBody { bytes: 3_000_000 }));
    assert_eq!(get(path).body.len(), 3_000_000);
    control(
        port,
        "faults",
        Some(&json!({"path": path, "status": 404, "count": 2})),
    );
    assert_eq!(get(path).status, 404);
    assert_eq!(get(path).status, 404);
    assert_eq!(get(path).json()["issuer"], base);
    assert_eq!(get("/.well-known/openid-configuration").status, 200);
    assert_eq!(server.request_count(path), 8);
}

#[test]
fn introspection_reports_live_tokens_only() {
    let server = start();
    let port = server.port();
    let access = server.issue_access_token("dev-client", Some("read"));
    let answer = introspect(port, &access);
    assert_eq!(answer.status, 200);
    let info = answer.json();
    assert_eq!(
        (
            &info["active"],
            &info["scope"],
            &info["client_id"],
            &info["token_type"]
        ),
        (
            &json!(true),
            &json!("read"),
            &json!("dev-client"),
            &json!("Bearer")
        )
    );
    assert_eq!(info["iss"], server.issuer());
    let (iat, exp) = (info["iat"].as_u64().unwrap(), info["exp"].as_u64().unwrap());
    assert_eq!(exp - iat, 3600);
    assert_eq!(
        last_request(port, "/oauth2/introspect")["client_auth"],
        "client_secret_post"
    );

    for dead in ["at_unknown", ""] {
        if dead.is_empty() {
            let missing = post_form(port, "/oauth2/introspect", &DEV, &[]);
            assert_eq!(error_of(&missing), (400, "invalid_request".to_owned()));
        } else {
            assert_eq!(introspect(port, dead).json(), json!({"active": false}));
        }
    }
    server.set_ttl(0);
    let expired = server.issue_access_token("dev-client", None);
    assert_eq!(introspect(port, &expired).json(), json!({"active": false}));

    // No client, a wrong secret: 401. JSON instead of a form: 400.
    let anonymous = post_form(port, "/oauth2/introspect", &[("token", &access)], &[]);
    assert_eq!(error_of(&anonymous), (401, "invalid_client".to_owned()));
    let header = basic("dev-client", "wrong");
    let wrong = post_form(
        port,
        "/oauth2/introspect",
        &[("token", &access)],
        &[("Authorization", &header)],
    );
    assert_eq!(error_of(&wrong), (401, "invalid_client".to_owned()));
    let as_json = post_json(port, "/oauth2/introspect", &json!({"token": access}), &[]);
    assert_eq!(error_of(&as_json), (400, "invalid_request".to_owned()));

    // A fault makes `active` something other than a boolean, or fails the request.
    control(
        port,
        "faults",
        Some(&json!({"path": "/oauth2/introspect", "set": {"active": "true"}})),
    );
    assert_eq!(introspect(port, &access).json()["active"], "true");
    control(
        port,
        "faults",
        Some(&json!({"path": "/oauth2/introspect", "remove": ["active"]})),
    );
    assert!(introspect(port, &access).json().get("active").is_none());
    control(
        port,
        "faults",
        Some(&json!({"path": "/oauth2/introspect", "status": 500})),
    );
    assert_eq!(introspect(port, &access).status, 500);
    assert_eq!(introspect(port, &access).json()["active"], true);
}

#[test]
fn revocation_answers_200_and_kills_tokens() {
    let server = start();
    let port = server.port();
    let reply = revoke(port, "at_never_issued", DEV);
    assert_eq!((reply.status, reply.body.as_str()), (200, ""));

    let access = server.issue_access_token("dev-client", None);
    assert_eq!(revoke(port, &access, DEV).status, 200);
    assert_eq!(introspect(port, &access).json(), json!({"active": false}));
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
        401
    );
    assert_eq!(revoke(port, &access, DEV).status, 200, "twice is fine");

    // A refresh token takes its grant's access tokens with it.
    let login = post_form(
        port,
        "/oauth2/token",
        &[
            ("grant_type", "password"),
            ("username", "dev-user"),
            ("password", "dev-password"),
            DEV[0],
            DEV[1],
        ],
        &[],
    )
    .json();
    let (access, refresh) = (
        login["access_token"].as_str().unwrap(),
        login["refresh_token"].as_str().unwrap(),
    );
    assert_eq!(introspect(port, access).json()["active"], true);
    assert_eq!(revoke(port, refresh, DEV).status, 200);
    assert_eq!(introspect(port, refresh).json()["active"], false);
    assert_eq!(introspect(port, access).json()["active"], false);

    // Another client's token is not yours to revoke; a client is required.
    server.add_client("other", "other-secret");
    let theirs = server.issue_access_token("other", None);
    let refused = revoke(port, &theirs, DEV);
    assert_eq!(error_of(&refused), (400, "invalid_grant".to_owned()));
    assert_eq!(introspect(port, &theirs).json()["active"], true);
    let anonymous = post_form(port, "/oauth2/revoke", &[("token", &theirs)], &[]);
    assert_eq!(error_of(&anonymous), (401, "invalid_client".to_owned()));
    control(
        port,
        "faults",
        Some(&json!({"path": "/oauth2/revoke", "status": 503, "retry_after": 2})),
    );
    let faulted = revoke(
        port,
        &theirs,
        [("client_id", "other"), ("client_secret", "other-secret")],
    );
    assert_eq!(
        (faulted.status, faulted.header("retry-after")),
        (503, Some("2"))
    );
}

#[test]
fn registration_issues_clients_that_work() {
    let server = start();
    let port = server.port();
    let register = |body: &Value, token: Option<&str>| {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = bearer
            .iter()
            .map(|b| ("Authorization", b.as_str()))
            .collect();
        post_json(port, "/oauth2/register", body, &headers)
    };
    let metadata = json!({"client_name": "reg test", "grant_types": ["client_credentials"]});
    let created = register(&metadata, None);
    assert_eq!(created.status, 201, "{}", created.body);
    let client = created.json();
    assert_eq!(client["client_name"], "reg test");
    assert_eq!(client["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(client["client_secret_expires_at"], 0);
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    let header = basic(id, secret);
    let token = post_form(
        port,
        "/oauth2/token",
        &[("grant_type", "client_credentials")],
        &[("Authorization", &header)],
    );
    assert_eq!(token.status, 200, "{}", token.body);

    // An initial access token, once configured, is required.
    control(
        port,
        "config",
        Some(&json!({"registration_token": "iat-123"})),
    );
    let refused = register(&metadata, None);
    assert_eq!(error_of(&refused), (401, "invalid_token".to_owned()));
    assert_eq!(error_of(&register(&metadata, Some("wrong"))).0, 401);
    assert_eq!(register(&metadata, Some("iat-123")).status, 201);
    assert_eq!(
        last_request(port, "/oauth2/register")["headers"]["authorization"],
        "Bearer iat-123"
    );
    server.set_registration_token(None);

    // private_key_jwt with jwks: no secret, and the key then authenticates.
    let ec = TestKey::ec();
    let keyed = register(
        &json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [ec.jwk("reg-ec")]}}),
        None,
    )
    .json();
    assert!(keyed.get("client_secret").is_none(), "{keyed}");
    let keyed_id = keyed["client_id"].as_str().unwrap();
    let assertion = ec.sign(
        &assertion_claims(keyed_id, &server.oauth_token_endpoint()),
        Some("reg-ec"),
    );
    let token = post_form(
        port,
        "/oauth2/token",
        &[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ],
        &[],
    );
    assert_eq!(token.status, 200, "{}", token.body);
    let public = register(&json!({"token_endpoint_auth_method": "none"}), None).json();
    assert!(public.get("client_secret").is_none());

    // Bad metadata.
    for (body, code) in [
        (json!(["not", "an", "object"]), "invalid_client_metadata"),
        (
            json!({"token_endpoint_auth_method": "tls_client_auth"}),
            "invalid_client_metadata",
        ),
        (
            json!({"token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"jwks_uri": "https://keys.example"}),
            "invalid_client_metadata",
        ),
        (
            json!({"jwks": {"keys": [{"kty": "oct"}]}}),
            "invalid_client_metadata",
        ),
    ] {
        assert_eq!(
            error_of(&register(&body, None)),
            (400, code.to_owned()),
            "{body}"
        );
    }
    let not_json = send(
        port,
        "POST",
        "/oauth2/register",
        &[("Content-Type", "application/json")],
        "{oops",
    );
    assert_eq!(
        error_of(&not_json),
        (400, "invalid_client_metadata".to_owned())
    );
    let form = post_form(port, "/oauth2/register", &[("client_name", "x")], &[]);
    assert_eq!(error_of(&form), (400, "invalid_request".to_owned()));
}

#[test]
fn custom_headers_arrive_on_every_endpoint() {
    let server = start();
    let port = server.port();
    let headers = [("X-Tenant", "acme"), ("X-Request-Tag", "a b;c")];
    let mut with_form = vec![("Content-Type", "application/x-www-form-urlencoded")];
    with_form.extend_from_slice(&headers);
    let mut with_json = vec![("Content-Type", "application/json")];
    with_json.extend_from_slice(&headers);
    let form =
        "grant_type=client_credentials&token=x&client_id=dev-client&client_secret=dev-secret";
    for path in [
        "/oauth/token",
        "/oauth2/token",
        "/oauth2/introspect",
        "/oauth2/revoke",
    ] {
        send(port, "POST", path, &with_form, form);
    }
    send(port, "POST", "/oauth2/register", &with_json, "{}");
    send(
        port,
        "GET",
        "/.well-known/oauth-authorization-server",
        &headers,
        "",
    );
    send(port, "GET", "/outbound/env", &headers, "");
    let recorded = control(port, "requests", None);
    let recorded = recorded["requests"].as_array().unwrap();
    assert_eq!(recorded.len(), 7);
    for request in recorded {
        assert_eq!(
            request["headers"]["x-tenant"], "acme",
            "{}",
            request["path"]
        );
        assert_eq!(request["headers"]["x-request-tag"], "a b;c");
    }
    let requests = server.requests();
    assert_eq!(requests[1].header("X-Tenant"), Some("acme"));
    assert_eq!(
        requests[1].client_auth.as_deref(),
        Some("client_secret_post")
    );
}

#[test]
fn control_api_issues_tokens_and_adds_users() {
    let server = start();
    let port = server.port();
    let issued = control(
        port,
        "tokens",
        Some(
            &json!({"kind": "refresh", "client_id": "dev-client", "scope": "a b", "subject": "bob"}),
        ),
    );
    let refresh = issued["token"].as_str().unwrap();
    assert!(refresh.starts_with("rt_"));
    let info = introspect(port, refresh).json();
    assert_eq!(
        (&info["sub"], &info["token_type"]),
        (&json!("bob"), &json!("refresh_token"))
    );
    for bad in [
        json!({"kind": "id", "client_id": "dev-client"}),
        json!({"kind": "access", "client_id": "nobody"}),
        json!({"kind": "access"}),
        json!({"kind": "access", "client_id": "dev-client", "audience": "x"}),
    ] {
        assert_eq!(
            post_json(port, "/_dev/tokens", &bad, &[]).status,
            400,
            "{bad}"
        );
    }
    control(
        port,
        "config",
        Some(&json!({"users": [["carol", "pw"]], "refresh_token_grants": []})),
    );
    let login = post_form(
        port,
        "/oauth2/token",
        &[
            ("grant_type", "password"),
            ("username", "carol"),
            ("password", "pw"),
            DEV[0],
        ],
        &[],
    );
    assert_eq!(login.status, 200, "{}", login.body);
    assert!(login.json().get("refresh_token").is_none());
    for bad in [
        json!({"users": "carol"}),
        json!({"registration_token": 5}),
        json!({"refresh_token_grants": [1]}),
        json!({"client_keys": [["x"]]}),
    ] {
        assert_eq!(
            post_json(port, "/_dev/config", &bad, &[]).status,
            400,
            "{bad}"
        );
    }
}
