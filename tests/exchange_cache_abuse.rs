//! The exchanged-token cache under attack and careless use, at a real dev
//! server: parameter lists that run together (never one entry), hits racing
//! invalidation and revocation (an invalidated or revoked token is never
//! lent again), tokens past their expiry on a moved clock (never lent),
//! eviction churn with a bound of 1 or 2 and many threads (never a wrong
//! token), forks while threads churn the cache (a child neither hangs nor
//! gets a wrong token), and hostile answers (not cached, a clear error).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use common::{exchanges, EXCHANGE};
use wi_devserver::{DevServer, Fault, FaultKind};
use workload_identity::{Client, Clock, ErrorKind, ExchangeParams, ManualClock};

const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
/// A subject token type the dev server accepts as it is (an external token):
/// any bytes can then be a subject or an actor token.
const EXTERNAL: &str = "urn:example:external";
const OTHER_EXTERNAL: &str = "urn:example:other";

/// A client of `server` whose identity is this test's alone (`tag`).
fn client_for(server: &DevServer, tag: &str, extra: &[(&str, &str)]) -> Client {
    let identity = format!("abuse-{}-{tag}", std::process::id());
    let mut all = vec![("header.X-Test-Identity", identity.as_str())];
    all.extend_from_slice(extra);
    common::client(server, &all)
}

fn delegate(client: &Client, user: &str) -> String {
    client
        .delegated_token(user, None, None)
        .unwrap()
        .access_token
        .expose()
        .to_owned()
}

fn external(subject: &str) -> ExchangeParams<'_> {
    ExchangeParams {
        subject_token: subject,
        subject_token_type: Some(EXTERNAL),
        ..ExchangeParams::default()
    }
}

#[test]
fn parameter_lists_that_run_together_never_share_an_entry() {
    let server = common::server();
    let client = client_for(&server, "framing", &[]);
    // Each list differs from another only in where its bytes fall: joined,
    // they read alike (or as lengths and flags of a naive framing).
    let lists: Vec<ExchangeParams<'static>> = vec![
        external("ab"),
        ExchangeParams {
            audience: Some("b"),
            ..external("a")
        },
        ExchangeParams {
            audience: Some("a b"),
            ..external("s")
        },
        ExchangeParams {
            audience: Some("a b"),
            scope: Some(""),
            ..external("s")
        },
        ExchangeParams {
            audience: Some("a"),
            scope: Some("b"),
            ..external("s")
        },
        ExchangeParams {
            audience: Some("a"),
            scope: Some(" b"),
            ..external("s")
        },
        ExchangeParams {
            audience: Some("a "),
            scope: Some("b"),
            ..external("s")
        },
        ExchangeParams {
            audience: Some(""),
            ..external("s")
        },
        ExchangeParams {
            scope: Some(""),
            ..external("s")
        },
        ExchangeParams {
            resource: Some(""),
            ..external("s")
        },
        external("s"),
        ExchangeParams {
            resource: Some("a"),
            ..external("s")
        },
        ExchangeParams {
            audience: Some("a"),
            ..external("s")
        },
        // Bytes that look like lengths (0x01, 0x7f, 0xc2 0x80) and like the
        // 4-byte word of flags, count and tag that ends the framing.
        ExchangeParams {
            audience: Some("a\u{1}"),
            ..external("s")
        },
        ExchangeParams {
            audience: Some("a"),
            scope: Some("\u{1}"),
            ..external("s")
        },
        external("s\u{1}\u{1}"),
        external("s\u{7f}"),
        external("s\u{80}"),
        external("s\u{5}\u{10}\u{8}E"),
        ExchangeParams {
            audience: Some("\u{5}\u{10}\u{8}E"),
            ..external("s")
        },
        // Types moved between subject, requested and actor.
        ExchangeParams {
            requested_token_type: Some(EXTERNAL),
            ..external("s")
        },
        ExchangeParams {
            subject_token_type: Some(OTHER_EXTERNAL),
            requested_token_type: Some(EXTERNAL),
            ..external("s")
        },
        ExchangeParams {
            actor_token: Some("t"),
            actor_token_type: Some(OTHER_EXTERNAL),
            ..external("s")
        },
        ExchangeParams {
            subject_token_type: Some(OTHER_EXTERNAL),
            actor_token: Some("t"),
            actor_token_type: Some(EXTERNAL),
            ..external("s")
        },
        ExchangeParams {
            actor_token: Some("s"),
            actor_token_type: Some(OTHER_EXTERNAL),
            ..external("t")
        },
        ExchangeParams {
            actor_token: Some("t"),
            actor_token_type: Some(EXTERNAL),
            ..external("s")
        },
        ExchangeParams {
            actor_token: Some("s"),
            actor_token_type: Some(EXTERNAL),
            ..external("t")
        },
    ];
    let first: Vec<(String, Option<String>)> = lists
        .iter()
        .map(|params| {
            let token = client.exchange_token(params).unwrap();
            (token.access_token.expose().to_owned(), token.scope)
        })
        .collect();
    assert_eq!(
        exchanges(&server),
        lists.len(),
        "each list went to the server: none found another's entry"
    );
    let distinct: HashSet<&String> = first.iter().map(|(token, _)| token).collect();
    assert_eq!(distinct.len(), lists.len());
    // Delegations of the same fields are entries of their own too.
    let alice = server.issue_user_token("dev-client", "alice");
    let joined = client
        .delegated_token(&alice, Some("a b"), None)
        .unwrap()
        .access_token;
    let split = client
        .delegated_token(&alice, Some("a"), Some("b"))
        .unwrap()
        .access_token;
    let general = client
        .exchange_token(&ExchangeParams {
            subject_token: &alice,
            audience: Some("a b"),
            ..ExchangeParams::default()
        })
        .unwrap()
        .access_token;
    // The default subject type left out or given: two requests alike, two
    // entries (never one entry for two different requests).
    let typed = client
        .exchange_token(&ExchangeParams {
            subject_token: &alice,
            subject_token_type: Some(ACCESS),
            audience: Some("a b"),
            ..ExchangeParams::default()
        })
        .unwrap()
        .access_token;
    let all: HashSet<_> = [&joined, &split, &general, &typed].into_iter().collect();
    assert_eq!(all.len(), 4);

    // Asked again from 8 threads in different orders: each its own token.
    let (lists, first, client) = (Arc::new(lists), Arc::new(first), Arc::new(client));
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let (lists, first, client) = (lists.clone(), first.clone(), client.clone());
            std::thread::spawn(move || {
                for round in 0..lists.len() * 4 {
                    let n = (round * (2 * thread + 1) + thread) % lists.len();
                    let token = client.exchange_token(&lists[n]).unwrap();
                    assert_eq!(token.access_token.expose(), first[n].0, "list {n}");
                    assert_eq!(token.scope, first[n].1, "list {n}");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(exchanges(&server), lists.len() + 4, "all hits");
}

/// The tokens dropped so far, each added once its invalidation returned.
type Dropped = Mutex<Arc<HashSet<String>>>;

fn dropped_now(dropped: &Dropped) -> Arc<HashSet<String>> {
    dropped.lock().unwrap().clone()
}

#[test]
fn no_call_after_an_invalidation_or_a_revocation_returns_that_token() {
    let server = common::server();
    let revocation = server.revocation_endpoint();
    let client = client_for(
        &server,
        "invalidation",
        &[("revocation_endpoint", revocation.as_str())],
    );
    client.access_token().unwrap();
    let users: Arc<Vec<String>> = Arc::new(
        (0..4)
            .map(|n| server.issue_user_token("dev-client", &format!("user-{n}")))
            .collect(),
    );
    let dropped: Arc<Dropped> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..8)
        .map(|thread| {
            let (client, users, dropped, stop, calls) = (
                client.clone(),
                users.clone(),
                dropped.clone(),
                stop.clone(),
                calls.clone(),
            );
            std::thread::spawn(move || {
                let mut n = thread;
                while !stop.load(Ordering::Relaxed) {
                    let before = dropped_now(&dropped);
                    let token = delegate(&client, &users[n % users.len()]);
                    assert!(
                        !before.contains(&token),
                        "a call begun after the token was dropped returned it"
                    );
                    n += 1;
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for round in 0..120 {
        let user = &users[round % users.len()];
        let token = delegate(&client, user);
        if round % 3 == 2 {
            client.revoke_token(&token, Some("access_token")).unwrap();
        } else {
            // Only this thread drops tokens: the one it just got is still held.
            assert!(client.invalidate_token(&token), "round {round}");
        }
        let mut dropped = dropped.lock().unwrap();
        let mut now = HashSet::clone(&dropped);
        now.insert(token);
        *dropped = Arc::new(now);
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    assert!(calls.load(Ordering::Relaxed) > 0);
    let stats = client.stats();
    assert!(stats.exchange_cache_hits > 0, "{stats:?}");
    // Revoked at the server too: the last revoked token is no one's now.
    let last_revoked = delegate(&client, &users[2]);
    client.revoke_token(&last_revoked, None).unwrap();
    assert_eq!(server.token_subject(&last_revoked), None);
    assert_ne!(delegate(&client, &users[2]), last_revoked);
}

#[test]
fn a_published_token_is_never_lent_at_or_past_its_expiry() {
    let server = common::server();
    server.set_ttl(20);
    let clock = Arc::new(ManualClock::new());
    let client = {
        let identity = format!("abuse-{}-expiry", std::process::id());
        common::client_with_clock(
            &server,
            &[
                ("header.X-Test-Identity", identity.as_str()),
                ("expiry_buffer_s", "0"),
            ],
            clock.clone(),
        )
    };
    let users: Arc<Vec<String>> = Arc::new(
        (0..3)
            .map(|n| server.issue_user_token("dev-client", &format!("user-{n}")))
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    type Seen = Vec<(String, Instant, Instant)>;
    let readers: Vec<_> = (0..6)
        .map(|thread| {
            let (client, users, stop, clock) =
                (client.clone(), users.clone(), stop.clone(), clock.clone());
            std::thread::spawn(move || -> Seen {
                let mut seen = Vec::new();
                let mut n = thread;
                while !stop.load(Ordering::Relaxed) {
                    let before = clock.now();
                    let token = client
                        .delegated_token(&users[n % users.len()], None, None)
                        .unwrap();
                    let after = clock.now();
                    seen.push((token.access_token.expose().to_owned(), before, after));
                    n += 1;
                }
                seen
            })
        })
        .collect();
    // 3 s of the manual clock every 15 ms: each token's life is some 7 steps.
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(15));
        clock.advance(Duration::from_secs(3));
    }
    stop.store(true, Ordering::Relaxed);
    let seen: Seen = readers
        .into_iter()
        .flat_map(|reader| reader.join().unwrap())
        .collect();
    // A token was sent no later than the first return of it: it expires by
    // then plus its 20 s. No call begun at or after that may return it.
    let mut first_return: HashMap<&str, Instant> = HashMap::new();
    for (token, _, after) in &seen {
        let at = first_return.entry(token).or_insert(*after);
        *at = (*at).min(*after);
    }
    let lifetime = Duration::from_secs(20);
    for (token, before, _) in &seen {
        assert!(
            *before < first_return[token.as_str()] + lifetime,
            "a token was lent after its expiry"
        );
    }
    assert!(first_return.len() > 6, "tokens were replaced as time went");
}

#[test]
fn eviction_churn_with_a_bound_of_one_or_two_never_lends_a_wrong_token() {
    let server = common::server();
    let users: Arc<Vec<(String, String)>> = Arc::new(
        (0..12)
            .map(|n| {
                let name = format!("user-{n}");
                (server.issue_user_token("dev-client", &name), name)
            })
            .collect(),
    );
    for bound in ["1", "2"] {
        let client = client_for(&server, bound, &[("exchange_cache_size", bound)]);
        client.access_token().unwrap();
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|thread| {
                let (client, users, barrier) = (client.clone(), users.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut got = Vec::new();
                    for round in 0..40 {
                        // A hot user half of the time (hits), the others in turn.
                        let n = if round % 2 == 0 {
                            0
                        } else {
                            (round * 7 + thread) % users.len()
                        };
                        got.push((n, delegate(&client, &users[n].0)));
                    }
                    got
                })
            })
            .collect();
        let got: Vec<(usize, String)> = threads
            .into_iter()
            .flat_map(|thread| thread.join().unwrap())
            .collect();
        for (n, token) in &got {
            let (subject, _) = server.token_subject(token).expect("a live token");
            assert_eq!(subject, users[*n].1, "bound {bound}: a wrong user's token");
        }
        let stats = client.stats();
        assert!(
            stats.exchange_cache_evictions > 0,
            "bound {bound}: {stats:?}"
        );
        assert_eq!(
            stats.exchange_cache_hits + stats.exchange_cache_misses,
            got.len() as u64,
            "bound {bound}: {stats:?}"
        );
        // At most `bound` entries: of `bound` + 1 new users asked twice, one
        // at least is asked of the server again.
        let bound: usize = bound.parse().unwrap();
        let fresh: Vec<String> = (0..=bound)
            .map(|n| server.issue_user_token("dev-client", &format!("new-{bound}-{n}")))
            .collect();
        let requests = exchanges(&server);
        for _ in 0..2 {
            for user in &fresh {
                delegate(&client, user);
            }
        }
        assert!(exchanges(&server) > requests + bound + 1, "bound {bound}");
    }
    // A bound of 0: every call goes to the server, and nothing is kept.
    let uncached = client_for(&server, "0", &[("exchange_cache_size", "0")]);
    let requests = exchanges(&server);
    let tokens: HashSet<String> = (0..5).map(|_| delegate(&uncached, &users[3].0)).collect();
    assert_eq!(tokens.len(), 5);
    assert_eq!(exchanges(&server), requests + 5);
    let stats = uncached.stats();
    assert_eq!(
        (stats.exchange_cache_hits, stats.exchange_cache_evictions),
        (0, 0)
    );
}

/// How long a forked child may take before it counts as hung.
const CHILD_LIMIT: Duration = Duration::from_secs(10);

#[test]
fn children_forked_while_threads_churn_the_cache_never_hang_nor_mix_users() {
    let server = common::server();
    let client = client_for(&server, "fork", &[("exchange_cache_size", "3")]);
    client.access_token().unwrap();
    let users: Arc<Vec<(String, String)>> = Arc::new(
        (0..8)
            .map(|n| {
                let name = format!("user-{n}");
                (server.issue_user_token("dev-client", &name), name)
            })
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..6)
        .map(|thread| {
            let (client, users, stop) = (client.clone(), users.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = thread;
                while !stop.load(Ordering::Relaxed) {
                    let token = delegate(&client, &users[n % users.len()].0);
                    if n % 5 == 0 {
                        client.invalidate_token(&token);
                    }
                    n += 1;
                }
            })
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("wi-abuse-fork-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut children = Vec::new();
    for child in 0..12 {
        std::thread::sleep(Duration::from_millis(25));
        let out = dir.join(format!("child-{child}"));
        // SAFETY: the child only makes library calls and writes a file, then _exit.
        match unsafe { libc::fork() } {
            -1 => panic!("fork failed"),
            0 => {
                let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut lines = String::new();
                    for n in 0..users.len() {
                        let first = delegate(&client, &users[n].0);
                        let again = delegate(&client, &users[n].0);
                        lines.push_str(&format!("{n} {first}\n{n} {again}\n"));
                    }
                    std::fs::write(&out, lines).map_or(3, |_| 0)
                }))
                .unwrap_or(101);
                // SAFETY: ends the child without the parent's exit handlers.
                unsafe { libc::_exit(code) }
            }
            pid => children.push((pid, out, Instant::now())),
        }
    }
    let mut failures = Vec::new();
    for (pid, out, forked_at) in children {
        loop {
            let mut status = 0;
            // SAFETY: waits for our own child.
            if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
                if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
                    failures.push(format!("child {pid}: wait status {status:#x}"));
                }
                break;
            }
            if forked_at.elapsed() > CHILD_LIMIT {
                // SAFETY: our own child, then reaped.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                failures.push(format!("child {pid}: hung"));
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let lines = std::fs::read_to_string(&out).unwrap_or_default();
        for line in lines.lines() {
            let (n, token) = line.split_once(' ').unwrap();
            let n: usize = n.parse().unwrap();
            let subject = server.token_subject(token).map(|(subject, _)| subject);
            // A token the parent's threads invalidated stays live at the server.
            if subject.as_deref() != Some(users[n].1.as_str()) {
                failures.push(format!("child {pid}: a wrong token for user {n}"));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn hostile_exchange_answers_are_clear_errors_and_never_cached() {
    let server = common::server();
    let client = client_for(&server, "hostile", &[]);
    client.access_token().unwrap();
    let user = server.issue_user_token("dev-client", "alice");
    let patch = |name: &str, value: serde_json::Value| {
        let mut set = serde_json::Map::new();
        set.insert(name.to_owned(), value);
        server.push_fault(Fault::new(
            EXCHANGE,
            FaultKind::Patch {
                remove: Vec::new(),
                set,
            },
        ));
    };
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        ("expires_in", 0.into(), "expires_in"),
        ("expires_in", (-30).into(), "expires_in"),
        ("expires_in", 1e30.into(), "expires_in"),
        ("expires_in", u64::MAX.into(), "expires_in"),
        ("expires_in", "soon".into(), "expires_in"),
        (
            "access_token",
            "zq9\r\nX-Injected: 1".into(),
            "access_token",
        ),
        ("access_token", "zq9\u{1}en".into(), "access_token"),
        ("access_token", "".into(), "access_token"),
        ("access_token", 42.into(), "access_token"),
    ];
    for (name, value, said) in cases {
        let requests = exchanges(&server);
        patch(name, value.clone());
        let error = client.delegated_token(&user, None, None).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::TokenExchange, "{name}={value}");
        let text = format!("{error} {error:?}");
        assert!(text.contains(said), "{name}={value}: {text}");
        assert!(!text.contains("zq9"), "{name}={value}: {text}");
        // Nothing kept: the next call asks the server, and gets a good token.
        let good = delegate(&client, &user);
        assert_eq!(exchanges(&server), requests + 2, "{name}={value}");
        assert_eq!(delegate(&client, &user), good, "the good one is cached");
        assert!(client.invalidate_token(&good));
    }
    // No expires_in: served, never cached.
    server.push_fault(Fault::new(
        EXCHANGE,
        FaultKind::Patch {
            remove: vec!["expires_in".to_owned()],
            set: serde_json::Map::new(),
        },
    ));
    let unstated = delegate(&client, &user);
    assert_ne!(delegate(&client, &user), unstated);
    assert_eq!(client.stats().exchange_cache_evictions, 0);
}
