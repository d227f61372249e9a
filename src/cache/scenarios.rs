//! Runs tests/lifecycle_scenarios.txt: every cache transition on a fake clock
//! against a scripted token source.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::sync::Mutex;

use super::{Call, Fetched, TokenCache, TokenSource};
use crate::clock::{Clock, ManualClock};
use crate::error::{Error, Operation};
use crate::secret::SecretString;

const TABLE: &str = include_str!("../../tests/lifecycle_scenarios.txt");

enum Scripted {
    Ok {
        lifetime: u64,
        refresh_in: Option<u64>,
        delay_ms: u64,
        cacheable: bool,
    },
    Fail {
        kind: String,
        delay_ms: u64,
    },
}

struct ScriptedSource {
    clock: Arc<ManualClock>,
    script: Mutex<VecDeque<Scripted>>,
    fetches: AtomicUsize,
    served: AtomicUsize,
}

impl TokenSource for ScriptedSource {
    fn fetch(&self, _deadline: Instant) -> Result<Fetched, Error> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let next = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .expect("a fetch that the scenario did not script");
        let sent_at = self.clock.now();
        match next {
            Scripted::Ok {
                lifetime,
                refresh_in,
                delay_ms,
                cacheable,
            } => {
                std::thread::sleep(Duration::from_millis(delay_ms));
                let index = self.served.fetch_add(1, Ordering::SeqCst) + 1;
                Ok(Fetched {
                    token: SecretString::new(format!("t{index}")),
                    sent_at,
                    expires_in: Duration::from_secs(lifetime),
                    refresh_in: refresh_in.map(Duration::from_secs),
                    cacheable,
                })
            }
            Scripted::Fail { kind, delay_ms } => {
                std::thread::sleep(Duration::from_millis(delay_ms));
                match kind.as_str() {
                    "transient" => {
                        Err(Error::new(Operation::IdToken, "unexpected HTTP status 503")
                            .with_http_status(503)
                            .retryable(true))
                    }
                    "invalid_client" => Err(Error::new(
                        Operation::IdToken,
                        "server returned error invalid_client",
                    )
                    .with_http_status(401)
                    .with_oauth(Some("invalid_client".into()), None)),
                    // expires_in = 1 s, sent a minute ago by the fake clock.
                    "expired" => Ok(Fetched {
                        token: SecretString::from("already-expired"),
                        sent_at: sent_at - Duration::from_secs(60),
                        expires_in: Duration::from_secs(1),
                        refresh_in: None,
                        cacheable: true,
                    }),
                    other => panic!("unknown failure kind {other}"),
                }
            }
        }
    }
}

struct Scenario {
    name: String,
    clock: Arc<ManualClock>,
    cache: Arc<TokenCache>,
    source: Arc<ScriptedSource>,
    spawned: Option<JoinHandle<Result<SecretString, Error>>>,
}

fn call(clock: &ManualClock, deadline_ms: u64) -> Call {
    Call {
        expiry_buffer: Duration::from_secs(60),
        deadline: clock.now() + Duration::from_millis(deadline_ms),
    }
}

fn token_of(result: Result<Arc<super::CachedToken>, Error>) -> Result<SecretString, Error> {
    result.map(|cached| cached.token.clone())
}

fn option(words: &[&str], name: &str) -> Option<u64> {
    words.iter().find_map(|word| {
        word.strip_prefix(&format!("{name}="))
            .map(|v| v.parse().unwrap())
    })
}

impl Scenario {
    fn new(name: &str) -> Self {
        let clock = Arc::new(ManualClock::new());
        Scenario {
            name: name.to_owned(),
            cache: Arc::new(TokenCache::new(clock.clone())),
            source: Arc::new(ScriptedSource {
                clock: clock.clone(),
                script: Mutex::new(VecDeque::new()),
                fetches: AtomicUsize::new(0),
                served: AtomicUsize::new(0),
            }),
            clock,
            spawned: None,
        }
    }

    fn source(&self) -> Arc<dyn TokenSource> {
        self.source.clone()
    }

    fn wait_for_background(&self) {
        let start = Instant::now();
        while self.cache.is_refreshing() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{}: refresh never finished",
                self.name
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn check_result(&self, line: &str, got: &Result<SecretString, Error>, expected: &str) {
        match (expected.strip_prefix("error:"), got) {
            (None, Ok(token)) => assert_eq!(token.expose(), expected, "{}: {line}", self.name),
            (Some(text), Err(error)) => assert!(
                error.to_string().contains(text),
                "{}: {line}: error {error} does not mention {text}",
                self.name
            ),
            (_, got) => panic!("{}: {line}: expected {expected}, got {got:?}", self.name),
        }
    }

    fn check_contact(&self, line: &str, before: usize, after_call: usize, contact: &str) {
        self.wait_for_background();
        let after = self.source.fetches.load(Ordering::SeqCst);
        let (during_call, total) = (after_call - before, after - before);
        let ok = match contact {
            "fetch" => during_call == 1 && total == 1,
            "background" => during_call <= 1 && total == 1,
            "nofetch" => total == 0,
            other => panic!("unknown contact {other}"),
        };
        assert!(
            ok,
            "{}: {line}: expected {contact}, saw {total} fetch(es)",
            self.name
        );
    }

    fn step(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (command, rest) = line
            .split_once("->")
            .map_or((line, ""), |(c, r)| (c, r.trim()));
        let expect: Vec<&str> = rest.split_whitespace().collect();
        let deadline_ms = option(&words, "deadline").unwrap_or(5_000);
        match words[0] {
            "serve" => {
                let delay_ms = option(&words, "delay").unwrap_or(0);
                let scripted = if words[1] == "ok" {
                    Scripted::Ok {
                        lifetime: words[2].parse().unwrap(),
                        refresh_in: option(&words, "refresh_in"),
                        delay_ms,
                        cacheable: !words.contains(&"uncached"),
                    }
                } else {
                    Scripted::Fail {
                        kind: words[2].to_owned(),
                        delay_ms,
                    }
                };
                self.source.script.lock().unwrap().push_back(scripted);
            }
            "advance" => self
                .clock
                .advance(Duration::from_secs(words[1].parse().unwrap())),
            "call" | "force" => {
                let before = self.source.fetches.load(Ordering::SeqCst);
                let call = call(&self.clock, deadline_ms);
                let got = token_of(if words[0] == "call" {
                    self.cache.get(&self.source(), call)
                } else {
                    self.cache.force_refresh(&self.source(), call)
                });
                let after_call = self.source.fetches.load(Ordering::SeqCst);
                self.check_result(line, &got, expect[0]);
                self.check_contact(line, before, after_call, expect[1]);
            }
            "concurrent" => {
                let threads: usize = command.split_whitespace().nth(1).unwrap().parse().unwrap();
                let before = self.source.fetches.load(Ordering::SeqCst);
                let barrier = Arc::new(Barrier::new(threads));
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let (cache, source, barrier) =
                            (self.cache.clone(), self.source(), barrier.clone());
                        let call = call(&self.clock, 5_000);
                        std::thread::spawn(move || {
                            barrier.wait();
                            token_of(cache.get(&source, call))
                        })
                    })
                    .collect();
                for handle in handles {
                    self.check_result(line, &handle.join().unwrap(), expect[0]);
                }
                self.wait_for_background();
                let fetches = self.source.fetches.load(Ordering::SeqCst) - before;
                assert_eq!(
                    Some(fetches as u64),
                    option(&expect, "fetches"),
                    "{}: {line}",
                    self.name
                );
            }
            "spawn" => {
                let (cache, source) = (self.cache.clone(), self.source());
                let call = call(&self.clock, 5_000);
                let before = self.source.fetches.load(Ordering::SeqCst);
                self.spawned = Some(std::thread::spawn(move || {
                    token_of(cache.get(&source, call))
                }));
                // Let it take the lead, and its fetch start, before the next
                // step (so that the fetch is not counted as the next step's).
                let start = Instant::now();
                while !self.cache.is_refreshing()
                    || self.source.fetches.load(Ordering::SeqCst) == before
                {
                    assert!(
                        start.elapsed() < Duration::from_secs(5),
                        "{}: spawn never fetched",
                        self.name
                    );
                    std::thread::yield_now();
                }
            }
            "join" => {
                let got = self
                    .spawned
                    .take()
                    .expect("join after spawn")
                    .join()
                    .unwrap();
                self.check_result(line, &got, expect[0]);
            }
            "invalidate" => {
                let dropped = self.cache.invalidate(words[1]);
                assert_eq!(dropped, expect[0] == "dropped", "{}: {line}", self.name);
            }
            other => panic!("unknown command {other} in {line}"),
        }
    }
}

#[test]
fn lifecycle_scenarios() {
    let mut scenario: Option<Scenario> = None;
    let mut count = 0;
    for line in TABLE.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("scenario ") {
            count += 1;
            scenario = Some(Scenario::new(name));
            continue;
        }
        scenario
            .as_mut()
            .expect("a step before any scenario")
            .step(line);
    }
    assert!(count >= 24, "only {count} scenarios");
}
