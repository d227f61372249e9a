//! Exchanged tokens at a real server: the cache (per parameter, bounded,
//! single flight, expiry buffer, refresh ahead, no `expires_in` no cache,
//! invalidation, stats, the file store) and delegation (the user's token as
//! the subject, the workload's own token as the actor; bad input; a refused
//! user token).

mod common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{exchanges, form_field, server, EXCHANGE};
use wi_devserver::{DevServer, Fault, FaultKind};
use workload_identity::{Client, ErrorKind, ExchangeParams, ManualClock};

thread_local! {
    /// The identity header of this test's clients (each test runs on a thread
    /// of its own): a later test's server may get a port of an earlier one,
    /// and must not meet the tokens its identity still caches.
    static IDENTITY: String = format!("{}-{:?}", std::process::id(), std::thread::current().id());
}

fn with_identity<'a>(extra: &[(&'a str, &'a str)], identity: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("header.X-Test-Identity", identity)];
    all.extend_from_slice(extra);
    all
}

/// A client of `server` with this test's identity header.
fn client_for(server: &DevServer, extra: &[(&str, &str)]) -> Client {
    IDENTITY.with(|identity| common::client(server, &with_identity(extra, identity)))
}

fn client_with_clock(
    server: &DevServer,
    extra: &[(&str, &str)],
    clock: Arc<ManualClock>,
) -> Client {
    IDENTITY
        .with(|identity| common::client_with_clock(server, &with_identity(extra, identity), clock))
}

const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The token `client` delegates for `user` (no audience, no scope).
fn delegate(client: &Client, user: &str) -> workload_identity::SecretString {
    client
        .delegated_token(user, None, None)
        .unwrap()
        .access_token
}

fn subject(token: &str) -> ExchangeParams<'_> {
    ExchangeParams {
        subject_token: token,
        ..ExchangeParams::default()
    }
}

#[test]
fn an_exchange_is_cached_per_parameter() {
    let server = server();
    let client = client_for(&server, &[]);
    let user = server.issue_user_token("dev-client", "alice");
    let first = client.exchange_token(&subject(&user)).unwrap();
    let second = client.exchange_token(&subject(&user)).unwrap();
    assert_eq!(first.access_token, second.access_token);
    assert_eq!(exchanges(&server), 1);
    assert_eq!(
        second.issued_token_type.as_deref(),
        Some(ACCESS_TOKEN_TYPE),
        "the details come with the cached token"
    );
    assert!(second.expires_in <= first.expires_in);
    assert!(second.expires_in > Duration::from_secs(3500));

    // Any parameter that differs is another exchange.
    let variants = [
        ExchangeParams {
            audience: Some("billing"),
            ..subject(&user)
        },
        ExchangeParams {
            audience: Some("billinG"),
            ..subject(&user)
        },
        ExchangeParams {
            scope: Some("billing"),
            ..subject(&user)
        },
        ExchangeParams {
            subject_token_type: Some(ACCESS_TOKEN_TYPE),
            ..subject(&user)
        },
        ExchangeParams {
            requested_token_type: Some(ACCESS_TOKEN_TYPE),
            ..subject(&user)
        },
    ];
    let mut seen = vec![first.access_token.clone()];
    for (index, params) in variants.iter().enumerate() {
        let token = client.exchange_token(params).unwrap().access_token;
        assert!(!seen.contains(&token), "variant {index} got a cached token");
        seen.push(token);
        assert_eq!(exchanges(&server), index + 2);
    }
    // Other clients of the identity share the cache.
    let other = client_for(&server, &[("timeout_ms", "2000")]);
    assert_eq!(
        other.exchange_token(&variants[0]).unwrap().access_token,
        seen[1]
    );
    assert_eq!(exchanges(&server), variants.len() + 1);
    let stats = client.stats();
    assert_eq!(stats.exchange_cache_misses, variants.len() as u64 + 1);
    assert_eq!(stats.exchange_cache_hits, 2);
    assert_eq!(stats.exchange_cache_evictions, 0);
}

#[test]
fn sixty_four_threads_exchanging_one_subject_cause_one_request() {
    let server = server();
    let client = client_for(&server, &[]);
    client.access_token().unwrap();
    let user = server.issue_user_token("dev-client", "alice");
    server.push_fault(Fault {
        count: 1,
        delay_ms: 200,
        ..Fault::new(EXCHANGE, FaultKind::DelayOnly)
    });
    let barrier = Arc::new(Barrier::new(64));
    let threads: Vec<_> = (0..64)
        .map(|index| {
            let (client, barrier, user) = (client.clone(), barrier.clone(), user.clone());
            std::thread::spawn(move || {
                barrier.wait();
                if index % 2 == 0 {
                    client.exchange_token(&subject(&user)).unwrap().access_token
                } else {
                    let params = ExchangeParams {
                        subject_token: &user,
                        ..ExchangeParams::default()
                    };
                    client.exchange_token(&params).unwrap().access_token
                }
            })
        })
        .collect();
    let tokens: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(tokens.iter().all(|token| *token == tokens[0]));
    assert_eq!(exchanges(&server), 1, "one request for 64 threads");
    // The same for delegation, on another user.
    let bob = server.issue_user_token("dev-client", "bob");
    server.push_fault(Fault {
        count: 1,
        delay_ms: 200,
        ..Fault::new(EXCHANGE, FaultKind::DelayOnly)
    });
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (client, barrier, bob) = (client.clone(), barrier.clone(), bob.clone());
            std::thread::spawn(move || {
                barrier.wait();
                delegate(&client, &bob)
            })
        })
        .collect();
    let tokens: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert!(tokens.iter().all(|token| *token == tokens[0]));
    assert_eq!(exchanges(&server), 2);
}

#[test]
fn delegation_sends_the_user_token_and_the_workload_token() {
    let server = server();
    let client = client_for(&server, &[]);
    let own = client.access_token().unwrap();
    let alice = server.issue_user_token("dev-client", "alice");
    let delegated = client
        .delegated_token(&alice, Some("https://orders.example"), Some("orders:read"))
        .unwrap()
        .access_token;
    let sent = |name| form_field(&server, EXCHANGE, 1, name);
    assert_eq!(sent("subject_token").as_deref(), Some(alice.as_str()));
    assert_eq!(
        sent("subject_token_type").as_deref(),
        Some(ACCESS_TOKEN_TYPE)
    );
    assert_eq!(sent("actor_token").as_deref(), Some(own.expose()));
    assert_eq!(sent("actor_token_type").as_deref(), Some(ACCESS_TOKEN_TYPE));
    assert_eq!(sent("audience").as_deref(), Some("https://orders.example"));
    assert_eq!(sent("scope").as_deref(), Some("orders:read"));
    assert_eq!(
        server.token_subject(delegated.expose()),
        Some(("alice".to_owned(), Some("dev-client".to_owned())))
    );
    // Cached per user, audience and scope; NULL audience and scope are left out.
    assert_eq!(
        client
            .delegated_token(&alice, Some("https://orders.example"), Some("orders:read"))
            .unwrap()
            .access_token,
        delegated
    );
    assert_eq!(exchanges(&server), 1);
    let plain = delegate(&client, &alice);
    assert_ne!(plain, delegated);
    assert_eq!(form_field(&server, EXCHANGE, 2, "audience"), None);
    assert_eq!(form_field(&server, EXCHANGE, 2, "scope"), None);
    let bob = server.issue_user_token("dev-client", "bob");
    let for_bob = delegate(&client, &bob);
    assert_eq!(
        server.token_subject(for_bob.expose()).map(|(user, _)| user),
        Some("bob".to_owned())
    );
    // A general exchange of the same fields is another entry.
    let general = client
        .exchange_token(&ExchangeParams {
            subject_token: &bob,
            subject_token_type: Some(ACCESS_TOKEN_TYPE),
            actor_token: Some(own.expose()),
            actor_token_type: Some(ACCESS_TOKEN_TYPE),
            ..ExchangeParams::default()
        })
        .unwrap();
    assert_ne!(general.access_token, for_bob);
}

#[test]
fn bad_user_tokens_are_invalid_arguments() {
    let server = server();
    let client = client_for(&server, &[]);
    for (user, audience, scope) in [
        ("", None, None),
        ("at_user\0tail", None, None),
        ("at_user", Some("aud\0"), None),
        ("at_user", None, Some("\0")),
    ] {
        let error = client.delegated_token(user, audience, scope).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error}");
        assert!(!error.message().contains("at_user"), "{error}");
    }
    let error = client.exchange_token(&subject("s\0")).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidArgument);
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn a_refused_user_token_is_said_so_not_retried_and_not_cached() {
    let server = server();
    let client = client_for(&server, &[]);
    client.access_token().unwrap();
    let expired = "at_0123456789abcdef0123456789abcdef";
    let before = server.requests().len();
    let error = client.delegated_token(expired, None, None).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenExchange);
    assert_eq!(error.oauth_error(), Some("invalid_grant"));
    assert_eq!(error.http_status(), Some(400));
    assert!(!error.is_retryable());
    let text = error.to_string();
    assert!(text.contains("refused the user token"), "{text}");
    assert!(!text.contains(expired), "{text}");
    assert_eq!(server.requests().len(), before + 1, "not retried");
    // Not cached: the next call asks again (a user who signs in again may succeed).
    client.delegated_token(expired, None, None).unwrap_err();
    assert_eq!(server.requests().len(), before + 2);
    assert_eq!(client.stats().exchange_cache_evictions, 0);

    // A server that echoes the token in its description: removed from the message.
    server.push_fault(common::status_fault(
        EXCHANGE,
        400,
        &format!(r#"{{"error":"invalid_grant","error_description":"token {expired} expired"}}"#),
        1,
    ));
    let error = client.delegated_token(expired, None, None).unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains(expired), "{text}");
    assert!(text.contains("***"), "{text}");
}

#[test]
fn a_token_without_expires_in_is_not_cached() {
    let server = server();
    let client = client_for(&server, &[]);
    client.access_token().unwrap();
    let user = server.issue_user_token("dev-client", "alice");
    for _ in 0..2 {
        server.push_fault(Fault::new(
            EXCHANGE,
            FaultKind::Patch {
                remove: vec!["expires_in".to_owned()],
                set: serde_json::Map::new(),
            },
        ));
    }
    let first = delegate(&client, &user);
    let second = delegate(&client, &user);
    assert_ne!(first, second);
    assert_eq!(exchanges(&server), 2);
    // With expires_in again, the token is cached.
    let third = delegate(&client, &user);
    assert_eq!(delegate(&client, &user), third);
    assert_eq!(exchanges(&server), 3);
}

#[test]
fn the_cache_is_bounded_and_can_be_disabled() {
    let server = server();
    let client = client_for(&server, &[("exchange_cache_size", "2")]);
    let users: Vec<String> = (0..3)
        .map(|n| server.issue_user_token("dev-client", &format!("user-{n}")))
        .collect();
    let first = delegate(&client, &users[0]);
    delegate(&client, &users[1]);
    delegate(&client, &users[0]); // users[1] is now the oldest
    delegate(&client, &users[2]);
    assert_eq!(client.stats().exchange_cache_evictions, 1);
    assert_eq!(delegate(&client, &users[0]), first);
    assert_eq!(exchanges(&server), 3);
    delegate(&client, &users[1]);
    assert_eq!(exchanges(&server), 4, "the evicted user was asked again");
    assert_eq!(client.stats().exchange_cache_evictions, 2);

    // A client with 0 neither reads nor fills the identity's cache.
    let uncached = client_for(&server, &[("exchange_cache_size", "0")]);
    let a = delegate(&uncached, &users[0]);
    let b = delegate(&uncached, &users[0]);
    assert_ne!(a, b);
    assert_ne!(a, first);
    assert_eq!(exchanges(&server), 6);
    assert_eq!(delegate(&client, &users[0]), first);
}

#[test]
fn invalidation_drops_an_exchanged_token_in_every_client() {
    let server = server();
    let client = client_for(&server, &[]);
    let other = client_for(&server, &[("timeout_ms", "2000")]);
    let user = server.issue_user_token("dev-client", "alice");
    let delegated = delegate(&client, &user);
    let own = client.access_token().unwrap();
    assert!(!client.invalidate_token("at_not_cached"));
    assert!(other.invalidate_token(delegated.expose()));
    assert_eq!(
        client.access_token().unwrap(),
        own,
        "the access token stays"
    );
    let again = delegate(&client, &user);
    assert_ne!(again, delegated);
    assert_eq!(exchanges(&server), 2);
}

#[test]
fn exchanged_tokens_follow_the_expiry_buffer_and_refresh_ahead() {
    let server = server();
    server.set_ttl(600);
    let clock = Arc::new(ManualClock::new());
    let client = client_with_clock(&server, &[], clock.clone());
    let user = server.issue_user_token("dev-client", "alice");
    let first = delegate(&client, &user);
    // Fresh for the first half-ish of its life (advisory window 60..300 s).
    clock.advance(Duration::from_secs(200));
    assert_eq!(delegate(&client, &user), first);
    assert_eq!(exchanges(&server), 1);
    // Advisory: served at once, refreshed in the background.
    clock.advance(Duration::from_secs(260));
    assert_eq!(delegate(&client, &user), first);
    let start = Instant::now();
    while exchanges(&server) < 2 {
        assert!(start.elapsed() < Duration::from_secs(5), "no refresh ahead");
        std::thread::sleep(Duration::from_millis(5));
    }
    let refreshed = loop {
        let token = delegate(&client, &user);
        if token != first {
            break token;
        }
        assert!(start.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(5));
    };
    // Within the expiry buffer (60 s) of its expiry a token is not handed out.
    let buffered = client_with_clock(&server, &[("expiry_buffer_s", "300")], clock.clone());
    clock.advance(Duration::from_secs(301));
    let fetched = delegate(&buffered, &user);
    assert_ne!(fetched, refreshed);
}

/// Child (another process): a client on `WI_EXCHANGE_CHILD`'s settings
/// delegates for `WI_EXCHANGE_USER`; prints whether it got `WI_EXCHANGE_EXPECT`.
#[test]
fn exchange_child() {
    let Ok(settings_line) = std::env::var("WI_EXCHANGE_CHILD") else {
        return;
    };
    let client = common::client_from_settings_lines(&settings_line);
    let user = std::env::var("WI_EXCHANGE_USER").unwrap();
    let expected = std::env::var("WI_EXCHANGE_EXPECT").unwrap();
    let token = delegate(&client, &user);
    println!("same={}", token.expose() == expected);
}

#[test]
fn processes_sharing_a_token_store_share_exchanged_tokens() {
    let server = server();
    let dir = std::env::temp_dir().join(format!("wi-exchange-store-{}", std::process::id()));
    let store = format!("file:{}", dir.display());
    let user = server.issue_user_token("dev-client", "alice");
    let first = client_for(&server, &[("token_store", &store)])
        .delegated_token(&user, None, None)
        .unwrap()
        .access_token;
    let requests = server.requests().len();
    let settings_line = [
        "client_id=dev-client".to_owned(),
        "client_secret=dev-secret".to_owned(),
        format!("token_endpoint={}", server.token_endpoint()),
        format!("access_token_endpoint={}", server.access_token_endpoint()),
        format!("token_store={store}"),
        IDENTITY.with(|identity| format!("header.X-Test-Identity={identity}")),
    ]
    .join("\n");
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "exchange_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WI_EXCHANGE_CHILD", settings_line)
        .env("WI_EXCHANGE_USER", &user)
        .env("WI_EXCHANGE_EXPECT", first.expose())
        .output()
        .unwrap();
    let stored: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "the child failed");
    let said = String::from_utf8(output.stdout).unwrap();
    assert!(said.contains("same=true"), "{said}");
    assert_eq!(
        server.requests().len(),
        requests,
        "the other process took the stored access and delegated tokens"
    );
    assert!(
        stored.contains(first.expose()),
        "the delegated token is stored"
    );
    assert!(!stored.contains(&user), "the user token is not");
}
