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
    // Fork while the parent's delegation is in flight (its entry's lock and
    // the exchange cache's index are taken by the fork handlers, then released).
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
