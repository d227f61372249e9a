//! `wi-devserver`: the local workload-identity server; see `wi-devserver --help`.

fn main() {
    std::process::exit(wi_devserver::run_cli(std::env::args().skip(1)));
}
