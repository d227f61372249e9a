//! `wi-bench SECTION`: one section of `make bench`, against the dev server at
//! `$WI_BENCH_URL`, printing one JSON record per measurement on stdout (the
//! report, bench/report.py, computes medians and spreads from the samples).
//!
//! Sections: `cached` (Rust API and floor, one thread), `scaling` (Rust API,
//! 1-8 threads), `cold` (first token: library vs. the same two requests made
//! directly with ureq), `introspect` (RFC 7662 introspection and the
//! positive-answer cache next to the same request made directly with ureq),
//! `herd` (64 threads on a cold cache), `footprint` (RSS
//! and heap per client), `allocs` (allocations per cached call, Rust API and
//! C ABI). Run each section in its own process: the library's cache and the
//! counting allocator are process-wide.

mod cached;
mod cold;
mod counting_alloc;
mod devserver;
mod footprint;
mod harness;
mod herd;
mod introspect;
mod scaling;

fn main() {
    let section = std::env::args().nth(1).unwrap_or_default();
    let server = devserver::DevServer::from_env();
    match section.as_str() {
        "cached" => cached::run(&server),
        "scaling" => scaling::run(&server),
        "cold" => cold::run(&server),
        "herd" => herd::run(&server),
        "introspect" => introspect::run(&server),
        "footprint" => footprint::run_rss(&server),
        "allocs" => footprint::run_allocs(&server),
        _ => {
            eprintln!("usage: wi-bench cached|scaling|cold|introspect|herd|footprint|allocs (WI_BENCH_URL=http://127.0.0.1:PORT)");
            std::process::exit(2);
        }
    }
}
