//! Static stability, on a fake clock: the identity server answers 503 for a
//! minute in the middle of a token's life; 16 threads calling all along never
//! see an error nor a token past its expiry, and the server sees a bounded
//! number of requests. The clock moves one second per step, so the 105
//! simulated seconds take well under a second of wall time.

mod common;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use common::{client_with_clock, server, status_fault};
use workload_identity::{Clock, ManualClock};

#[test]
fn a_minute_of_503_in_mid_life_is_invisible_to_callers() {
    const TTL_SECS: u64 = 90;
    let server = server();
    server.set_ttl(TTL_SECS);
    let clock = Arc::new(ManualClock::new());
    let client = client_with_clock(&server, &[], clock.clone());
    client.access_token().unwrap();
    let mut calls = 0_u64;
    let mut during = 0;
    let mut before = 0;
    for second in 1..=TTL_SECS + 15 {
        clock.advance(Duration::from_secs(1));
        if second == 15 {
            before = server.request_count("/oauth/token");
            server.push_fault(status_fault(
                "/oauth/token",
                503,
                r#"{"error":"temporarily_unavailable"}"#,
                u32::MAX,
            ));
        }
        if second == 75 {
            during = server.request_count("/oauth/token") - before;
            server.reset();
        }
        let now_ms = clock.wall().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
        std::thread::scope(|scope| {
            for _ in 0..16 {
                scope.spawn(|| {
                    for _ in 0..20 {
                        let (_, expires_at_ms) = client
                            .access_token_with_expiry()
                            .expect("no caller ever sees an error");
                        assert!(
                            expires_at_ms > now_ms,
                            "a caller received a token past its expiry at t={second}s"
                        );
                    }
                });
            }
        });
        calls += 16 * 20;
    }
    let stats = client.stats();
    println!(
        "outage: {calls} calls over {} simulated seconds, {during} token requests during \
         the 60 s outage, stats {stats:?}",
        TTL_SECS + 15
    );
    assert!(during <= 24, "{during} requests during the outage");
    assert!(stats.stale_served > 0 || stats.refreshes_failed > 0);
    assert!(
        stats.refreshes_succeeded >= 2,
        "refreshed once the server was back"
    );
}
