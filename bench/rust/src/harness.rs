//! Timing and output: interleaved rounds of timed loops, and the JSON records
//! that bench/report.py reads.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Rounds per measurement (`$WI_BENCH_ROUNDS`, default 15).
pub fn rounds() -> usize {
    env_number("WI_BENCH_ROUNDS", 15)
}

/// Target duration of one round (`$WI_BENCH_ROUND_MS`, default 40 ms).
pub fn round_time() -> Duration {
    Duration::from_millis(env_number("WI_BENCH_ROUND_MS", 40) as u64)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|&value| value > 0)
        .unwrap_or(default)
}

/// Prints one record: `samples` (one per round) of `unit` for row `name`.
pub fn emit(
    bench: &str,
    lang: &str,
    name: &str,
    role: &str,
    unit: &str,
    samples: &[f64],
    extra: Value,
) {
    let mut record = json!({
        "bench": bench, "lang": lang, "name": name, "role": role, "unit": unit, "samples": samples,
    });
    if let (Some(record), Value::Object(extra)) = (record.as_object_mut(), extra) {
        record.extend(extra);
    }
    println!("{record}");
}

/// Single-thread ns/call of several rows, measured in interleaved rounds so
/// that a noisy neighbour on the shared machine hits every row alike.
#[derive(Default)]
pub struct Suite<'a> {
    rows: Vec<Row<'a>>,
}

struct Row<'a> {
    name: String,
    /// The floor row a library row is compared with; None for a floor row.
    floor: Option<String>,
    /// Runs the call n times (the loop is compiled per row: no dynamic call inside).
    run: Box<dyn FnMut(u64) + 'a>,
}

impl<'a> Suite<'a> {
    /// Adds library row `name`, compared with floor row `floor`: `call`
    /// makes one call and consumes its result.
    pub fn library(&mut self, name: &str, floor: &str, call: impl FnMut() + 'a) {
        self.add(name, Some(floor.to_owned()), call);
    }

    /// Adds floor row `name`.
    pub fn floor(&mut self, name: &str, call: impl FnMut() + 'a) {
        self.add(name, None, call);
    }

    fn add(&mut self, name: &str, floor: Option<String>, mut call: impl FnMut() + 'a) {
        self.rows.push(Row {
            name: name.to_owned(),
            floor,
            run: Box::new(move |n| {
                for _ in 0..n {
                    call();
                }
            }),
        });
    }

    /// Calibrates each row to one round of about `round_time()`, runs
    /// `rounds()` rounds of every row in turn and prints the records.
    pub fn run(mut self, bench: &str, lang: &str) {
        let calls: Vec<u64> = self
            .rows
            .iter_mut()
            .map(|row| calibrate(&mut row.run))
            .collect();
        let mut samples = vec![Vec::new(); self.rows.len()];
        for _ in 0..rounds() {
            for (index, row) in self.rows.iter_mut().enumerate() {
                let started = Instant::now();
                (row.run)(calls[index]);
                samples[index].push(started.elapsed().as_nanos() as f64 / calls[index] as f64);
            }
        }
        for (row, samples) in self.rows.iter().zip(&samples) {
            match &row.floor {
                Some(floor) => emit(
                    bench,
                    lang,
                    &row.name,
                    "library",
                    "ns/call",
                    samples,
                    json!({ "floor": floor }),
                ),
                None => emit(
                    bench,
                    lang,
                    &row.name,
                    "floor",
                    "ns/call",
                    samples,
                    json!({}),
                ),
            }
        }
    }
}

/// Warms `run` up and returns how many calls take about one round.
fn calibrate(run: &mut dyn FnMut(u64)) -> u64 {
    let target = round_time();
    let mut calls = 64;
    loop {
        let started = Instant::now();
        run(calls);
        let elapsed = started.elapsed();
        if elapsed >= target / 4 {
            let scaled = calls as f64 * target.as_secs_f64() / elapsed.as_secs_f64();
            return (scaled as u64).max(1);
        }
        calls *= 2;
    }
}

/// Calls per second of `threads` threads running `call` at once for
/// `window`, `rounds` times (a start barrier; a shared stop flag).
pub fn calls_per_second<F: Fn() + Sync>(
    threads: usize,
    rounds: usize,
    window: Duration,
    call: F,
) -> Vec<f64> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::Barrier;
    (0..rounds)
        .map(|_| {
            let stop = AtomicBool::new(false);
            let total = AtomicU64::new(0);
            let barrier = Barrier::new(threads + 1);
            let seconds = std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|| {
                        barrier.wait();
                        let mut calls = 0u64;
                        while !stop.load(Ordering::Relaxed) {
                            call();
                            calls += 1;
                        }
                        total.fetch_add(calls, Ordering::Relaxed);
                    });
                }
                barrier.wait();
                let started = Instant::now();
                std::thread::sleep(window);
                stop.store(true, Ordering::Relaxed);
                started.elapsed().as_secs_f64()
            });
            total.load(Ordering::Relaxed) as f64 / seconds
        })
        .collect()
}
