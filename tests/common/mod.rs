//! Shared helpers of the integration tests: a dev server per test, and clients
//! configured for it without reading the process environment.
#![allow(dead_code)]

use wi_devserver::{DevServer, Fault, FaultKind, Options};
use workload_identity::{Client, ConfigBuilder};

/// A dev server on an ephemeral loopback port (a new port is a new identity).
pub fn server() -> DevServer {
    DevServer::start(Options::default()).expect("the dev server starts")
}

/// Settings for `server` with the default credentials, plus `extra` options.
pub fn settings(server: &DevServer, extra: &[(&str, &str)]) -> ConfigBuilder {
    let mut builder = ConfigBuilder::new();
    builder
        .set("client_id", "dev-client")
        .unwrap()
        .set("client_secret", "dev-secret")
        .unwrap()
        .set("token_endpoint", &server.token_endpoint())
        .unwrap()
        .set("access_token_endpoint", &server.access_token_endpoint())
        .unwrap()
        .set("outbound_auth_endpoint", &server.outbound_auth_endpoint())
        .unwrap();
    for (key, value) in extra {
        builder.set(key, value).unwrap();
    }
    builder
}

/// A client for `server`, isolated from the process environment.
pub fn client(server: &DevServer, extra: &[(&str, &str)]) -> Client {
    Client::new(settings(server, extra).build_with_env(|_| None).unwrap()).unwrap()
}

/// A client on settings passed to a child process as `key=value` lines
/// (the child tests of the cross-process store), isolated from the environment.
pub fn client_from_settings_lines(lines: &str) -> Client {
    let mut builder = ConfigBuilder::new();
    for pair in lines.split('\n') {
        let (key, value) = pair.split_once('=').unwrap();
        builder.set(key, value).unwrap();
    }
    Client::new(builder.build_with_env(|_| None).unwrap()).unwrap()
}

/// A client for `server` whose identity runs on `clock` (tests move time).
pub fn client_with_clock(
    server: &DevServer,
    extra: &[(&str, &str)],
    clock: std::sync::Arc<workload_identity::ManualClock>,
) -> Client {
    let mut builder = settings(server, extra);
    builder.clock(clock);
    Client::new(builder.build_with_env(|_| None).unwrap()).unwrap()
}

/// A status fault on `path` for `count` requests.
pub fn status_fault(path: &str, status: u16, body: &str, count: u32) -> Fault {
    Fault {
        count,
        ..Fault::new(
            path,
            FaultKind::Status {
                status,
                body: body.to_owned(),
                retry_after: None,
            },
        )
    }
}

/// The value of form field `name` in the `index`-th request to `path`.
pub fn form_field(server: &DevServer, path: &str, index: usize, name: &str) -> Option<String> {
    server
        .requests()
        .into_iter()
        .filter(|request| request.path == path)
        .nth(index)
        .and_then(|request| request.form_value(name).map(str::to_owned))
}

/// Settings of a `client_credentials` client of `server` whose endpoints all
/// come from discovery (option `issuer`), plus `extra` options.
pub fn oauth_settings(server: &DevServer, extra: &[(&str, &str)]) -> ConfigBuilder {
    let mut builder = ConfigBuilder::new();
    builder
        .set("flow", "client_credentials")
        .unwrap()
        .set("client_id", "dev-client")
        .unwrap()
        .set("client_secret", "dev-secret")
        .unwrap()
        .set("issuer", &server.issuer())
        .unwrap();
    for (key, value) in extra {
        builder.set(key, value).unwrap();
    }
    builder
}

/// A client of [`oauth_settings`], isolated from the process environment; a
/// `clock` makes an identity of its own (tests move time).
pub fn oauth_client(
    server: &DevServer,
    extra: &[(&str, &str)],
    clock: Option<std::sync::Arc<workload_identity::ManualClock>>,
) -> Client {
    let mut builder = oauth_settings(server, extra);
    if let Some(clock) = clock {
        builder.clock(clock);
    }
    Client::new(builder.build_with_env(|_| None).unwrap()).unwrap()
}

/// The paths of the requests `server` recorded, in arrival order.
pub fn paths(server: &DevServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .map(|request| request.path)
        .collect()
}

/// The dev server's exchange endpoint path (the Coze step 2 and RFC 8693 exchanges).
pub const EXCHANGE: &str = "/oauth/exchange";

/// Exchange requests `server` saw, the Coze step 2 of a client's own token
/// (an ID token as subject) excluded.
pub fn exchanges(server: &DevServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|request| request.path == EXCHANGE)
        .filter(|request| {
            request.form_value("subject_token_type")
                != Some("urn:ietf:params:oauth:token-type:id_token")
        })
        .count()
}
