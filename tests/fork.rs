//! Fork safety: a child forked while a refresh is in flight gets a working client.

mod common;

use common::{client, server};
use wi_devserver::{Fault, FaultKind};

/// Runs `child` in a forked process and returns its exit code.
fn in_child(child: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child only runs `child` (library calls) and leaves with _exit.
    unsafe {
        match libc::fork() {
            -1 => panic!("fork failed"),
            0 => {
                let code =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(101);
                libc::_exit(code)
            }
            pid => {
                let mut status = 0;
                assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
                assert!(libc::WIFEXITED(status), "child did not exit normally");
                libc::WEXITSTATUS(status)
            }
        }
    }
}

#[test]
fn child_forked_during_a_refresh_gets_its_own_token() {
    let server = server();
    server.push_fault(Fault {
        delay_ms: 800,
        ..Fault::new("/oauth/token", FaultKind::DelayOnly)
    });
    let client = client(&server, &[]);
    let parent = {
        let client = client.clone();
        std::thread::spawn(move || client.access_token().unwrap())
    };
    // Let the parent's refresh get in flight, then fork in the middle of it.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let code = in_child(|| {
        // The parent's refresh thread does not exist here: the child must not
        // wait for it, and must not reuse the parent's connections.
        let token = client.access_token().expect("child token");
        let again = client.access_token().expect("child cached token");
        let fresh = client.force_refresh().expect("child refresh");
        i32::from(token != again || fresh == token) * 2
    });
    assert_eq!(code, 0, "the child got working tokens");
    let parent_token = parent.join().unwrap();
    assert_eq!(client.access_token().unwrap(), parent_token);
    assert!(server.request_count("/oauth/token") >= 3);
}

#[test]
fn child_of_a_process_with_a_cached_token_reuses_it() {
    let server = server();
    let client = client(&server, &[]);
    let token = client.access_token().unwrap();
    let code = in_child(|| i32::from(client.access_token().ok() != Some(token.clone())));
    assert_eq!(code, 0);
    assert_eq!(server.request_count("/oauth/token"), 1);
}

/// How long a child may take before it counts as hung and is killed.
const CHILD_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Forks `count` children, `gap` apart, each running `child`; returns how many
/// failed or hung (a hung child is killed once it outlives `CHILD_LIMIT`).
fn fork_children(count: usize, gap: std::time::Duration, child: impl Fn() -> i32) -> Vec<String> {
    let mut pids = Vec::new();
    for _ in 0..count {
        std::thread::sleep(gap);
        // SAFETY: the child only runs `child` (library calls) and leaves with _exit.
        match unsafe { libc::fork() } {
            -1 => panic!("fork failed"),
            0 => {
                let code =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(&child)).unwrap_or(101);
                // SAFETY: ends the child at once, without running the parent's exit handlers.
                unsafe { libc::_exit(code) }
            }
            pid => pids.push((pid, std::time::Instant::now())),
        }
    }
    let mut failures = Vec::new();
    for (pid, forked_at) in pids {
        loop {
            let mut status = 0;
            // SAFETY: waits for our own child.
            let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if done == pid {
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
                failures.push(format!("child {pid}: hung, killed after {CHILD_LIMIT:?}"));
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
    failures
}

/// Children forked while other threads of the parent wait on every lock of the
/// library (the identity registry, each identity's refresh state and flight,
/// the retry budget, the HTTP agent, the log sink) all finish their calls.
#[test]
fn children_forked_while_threads_wait_on_every_lock_never_hang() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;
    use workload_identity::{set_log_sink, Level};

    let server = server();
    // Short-lived tokens and slow answers: callers keep waiting on refreshes.
    server.set_ttl(1);
    server.push_fault(Fault {
        count: u32::MAX,
        delay_ms: 30,
        ..Fault::new("*", FaultKind::DelayOnly)
    });
    // A second identity whose token endpoint always fails: its callers retry
    // and keep drawing from its retry budget.
    let failing = common::server();
    failing.push_fault(common::status_fault("/oauth/token", 503, "{}", u32::MAX));
    let options: &[(&str, &str)] = &[("deadline_ms", "3000"), ("expiry_buffer_s", "0")];
    let client = client(&server, options);
    let failing_client = common::client(&failing, &[("max_retries", "10"), ("deadline_ms", "500")]);
    // The log sink is called for every request (debug): it only counts, lock-free.
    let lines = Arc::new(AtomicUsize::new(0));
    let sink_lines = lines.clone();
    let sink: workload_identity::LogSink = Arc::new(move |_: Level, _: &str| {
        sink_lines.fetch_add(1, Ordering::Relaxed);
    });
    set_log_sink(Some(sink.clone()), Level::Debug);

    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let mut spawn = |work: Box<dyn Fn() + Send>| {
        let stop = stop.clone();
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                work();
            }
        }));
    };
    for _ in 0..2 {
        let refreshing = client.clone();
        spawn(Box::new(move || drop(refreshing.force_refresh())));
        let invalidating = client.clone();
        spawn(Box::new(move || {
            if let Ok(token) = invalidating.access_token() {
                invalidating.invalidate_token(token.expose());
            }
        }));
        let waiting = client.clone();
        spawn(Box::new(move || drop(waiting.access_token())));
    }
    let retrying = failing_client.clone();
    spawn(Box::new(move || drop(retrying.access_token())));
    let settings = common::settings(&server, options);
    spawn(Box::new(move || {
        drop(workload_identity::Client::new(
            settings.build_with_env(|_| None).unwrap(),
        ))
    }));
    spawn(Box::new(move || {
        set_log_sink(Some(sink.clone()), Level::Debug);
        std::thread::yield_now();
    }));

    let failures = fork_children(24, Duration::from_millis(40), || {
        // Every lock again, in the child: the cache and its flight, the agent,
        // the registry, the retry budget and the log sink.
        let started = std::time::Instant::now();
        let token = match client.access_token() {
            Ok(token) => token,
            Err(_) => return 2,
        };
        client.invalidate_token(token.expose());
        if client.force_refresh().is_err() {
            return 3;
        }
        let other = match common::settings(&server, options).build_with_env(|_| None) {
            Ok(config) => workload_identity::Client::new(config),
            Err(_) => return 4,
        };
        if other.and_then(|other| other.access_token()).is_err() {
            return 5;
        }
        if failing_client.access_token().is_ok() {
            return 6;
        }
        set_log_sink(None, Level::Error);
        i32::from(started.elapsed() > Duration::from_secs(15)) * 7
    });
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    set_log_sink(None, Level::Error);
    assert!(lines.load(Ordering::Relaxed) > 0);
    assert!(
        failures.is_empty(),
        "{} of 24 children failed: {failures:#?}",
        failures.len()
    );
}

#[test]
fn child_forked_during_a_delegation_gets_its_own_exchanged_token() {
    let server = server();
    let client = client(&server, &[("header.X-Test", "fork-delegation")]);
    client.access_token().unwrap();
    let alice = server.issue_user_token("dev-client", "alice");
    let bob = server.issue_user_token("dev-client", "bob");
    let cached = client
        .delegated_token(&bob, None, None)
        .unwrap()
        .access_token;
    server.push_fault(Fault {
        delay_ms: 800,
        ..Fault::new("/oauth/exchange", FaultKind::DelayOnly)
    });
    let parent = {
        let (client, alice) = (client.clone(), alice.clone());
        std::thread::spawn(move || client.delegated_token(&alice, None, None).unwrap())
    };
    // Fork while the parent's delegation is in flight (the child replaces the
    // entry's and the index's locks at their first use there).
    std::thread::sleep(std::time::Duration::from_millis(200));
    let code = in_child(|| {
        let for_alice = client
            .delegated_token(&alice, None, None)
            .expect("child delegation");
        let again = client
            .delegated_token(&alice, None, None)
            .expect("child cached delegation");
        let for_bob = client
            .delegated_token(&bob, None, None)
            .expect("child cached bob");
        i32::from(for_alice.access_token != again.access_token)
            + 2 * i32::from(for_bob.access_token != cached)
    });
    assert_eq!(code, 0, "the child delegated, and kept the cached token");
    parent.join().unwrap();
}
