//! RFC 7009 revocation against the dev server: the token dies at the server
//! and leaves this process's caches of the identity and the file store.

mod common;

use common::{oauth_client, paths, server, status_fault};
use workload_identity::ErrorKind;

#[test]
fn a_revoked_access_token_is_dead_at_the_server_and_gone_from_the_cache() {
    let server = server();
    let client = oauth_client(&server, &[], None);
    let other_client_of_the_identity = oauth_client(&server, &[], None);
    let token = client.access_token().unwrap();
    assert!(client.token_is_active(token.expose(), None).unwrap());
    other_client_of_the_identity
        .revoke_token(token.expose(), Some("access_token"))
        .unwrap();
    let request = server
        .requests()
        .into_iter()
        .find(|request| request.path == "/oauth2/revoke")
        .unwrap();
    assert_eq!(request.form_value("token"), Some(token.expose()));
    assert_eq!(request.form_value("token_type_hint"), Some("access_token"));
    assert_eq!(request.client_auth.as_deref(), Some("client_secret_post"));
    assert!(!client.token_is_active(token.expose(), None).unwrap());
    assert!(
        client.peek_access_token().is_none(),
        "dropped for every client"
    );
    let next = client.access_token().unwrap();
    assert_ne!(next.expose(), token.expose());
    assert_eq!(server.request_count("/oauth2/token"), 2);
}

#[test]
fn a_refused_revocation_is_an_error_and_the_token_leaves_the_cache_anyway() {
    let server = server();
    let client = oauth_client(&server, &[("max_retries", "0")], None);
    let token = client.access_token().unwrap();
    server.push_fault(status_fault("/oauth2/revoke", 503, "{}", 1));
    let error = client.revoke_token(token.expose(), None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OAuthOperation);
    assert!(
        error.is_retryable() && error.http_status() == Some(503),
        "{error}"
    );
    assert!(!error.message().contains(token.expose()));
    assert!(client.peek_access_token().is_none());

    // A token of another client: refused with the server's OAuth error.
    let foreign = server.issue_access_token("someone-else", None);
    let error = client.revoke_token(&foreign, None).unwrap_err();
    assert_eq!(error.oauth_error(), Some("invalid_grant"), "{error}");
    assert!(!error.message().contains(&foreign));

    for (token, hint) in [("", None), ("t", Some(""))] {
        let error = client.revoke_token(token, hint).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    }
}

#[test]
fn retries_apply_to_revocation() {
    let server = server();
    let client = oauth_client(&server, &[("max_retries", "2")], None);
    server.push_fault(status_fault("/oauth2/revoke", 503, "{}", 2));
    client.revoke_token("whatever", None).unwrap();
    assert_eq!(server.request_count("/oauth2/revoke"), 3);
    assert_eq!(client.stats().retries, 2);
}

#[test]
fn a_revoked_refresh_token_is_never_sent_again() {
    let server = server();
    let refresh_token = server.issue_refresh_token("dev-client", None);
    let client = oauth_client(
        &server,
        &[("flow", "refresh_token"), ("refresh_token", &refresh_token)],
        None,
    );
    client
        .revoke_token(&refresh_token, Some("refresh_token"))
        .unwrap();
    let error = client.access_token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenRetrieval, "{error}");
    assert!(
        !paths(&server).contains(&"/oauth2/token".to_owned()),
        "the revoked refresh token was sent: {:?}",
        paths(&server)
    );
}

#[test]
fn revocation_drops_the_token_from_the_file_store() {
    let server = server();
    let dir = std::env::temp_dir().join(format!("wi-revocation-{}", std::process::id()));
    let store = format!("file:{}", dir.display());
    let entries = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tokens")
            })
            .count()
    };
    let client = oauth_client(&server, &[("token_store", &store)], None);
    let token = client.access_token().unwrap();
    assert_eq!(entries(), 1);
    client.revoke_token(token.expose(), None).unwrap();
    assert_eq!(entries(), 0, "an entry left with no token is removed");
    // A client of the same settings (as another process would be) fetches a new token.
    let again = oauth_client(&server, &[("token_store", &store)], None);
    assert_ne!(again.access_token().unwrap().expose(), token.expose());
    std::fs::remove_dir_all(&dir).unwrap();
}
