//! A workaround for a lost wake-up in tiny_http 0.12's pool of connection
//! threads: when connections arrive in a burst (a fleet of processes starting
//! at once), the accept thread can queue one for a thread that another
//! connection already woke. Nothing then serves it until some thread finishes
//! its connection, which with keep-alive clients may be never: its request
//! hangs until the client's own timeout (30 s for the library).
//!
//! [`run`] opens and at once closes a connection to the server now and then:
//! the thread that serves it is done at once and takes the queued connection
//! next. Bursts of connections come with requests, so in the second after a
//! request it nudges 4 times every 50 ms; otherwise only once every 250 ms,
//! which costs an idle server next to nothing.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::server::Shared;

/// How often connections are opened.
const INTERVAL: Duration = Duration::from_millis(50);
/// How many each time while requests arrive, so that a burst's stranded
/// connections are all taken within a fraction of a second.
const WHILE_BUSY: usize = 4;
/// How long after a request the server counts as busy.
const BUSY_FOR: Duration = Duration::from_secs(1);
/// While idle, one nudge every this many intervals.
const IDLE_EVERY: u32 = 5;

/// Nudges the server listening on `port` until it stops.
pub(crate) fn run(shared: &Shared, port: u16) {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut tick = 0u32;
    while !shared.is_stopping() {
        shared.sleep(INTERVAL);
        tick = tick.wrapping_add(1);
        let nudges = if shared.since_last_request() < BUSY_FOR {
            WHILE_BUSY
        } else {
            usize::from(tick.is_multiple_of(IDLE_EVERY))
        };
        for _ in 0..nudges {
            if shared.is_stopping() {
                break;
            }
            // Nothing to do if it fails: the next one comes soon.
            let _ = TcpStream::connect_timeout(&address, INTERVAL);
        }
    }
}
