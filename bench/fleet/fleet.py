"""The fleet simulation of `make fleet` (bench/fleet/run.sh): what one identity
server sees from H hosts x P processes, with memory stores and with a file
token store per host.

    fleet.py run --fleet-binary PATH --devserver PATH --work DIR --out-json PATH
        starts one dev server (short-lived tokens), runs both fleets side by
        side (each host its own client id, so that the server's records say
        which fleet and host sent each request), cuts the server off with a
        503 outage in the middle, and writes the figures to --out-json;
    fleet.py draw --json PATH --png PATH
        draws requests per second at the server over time (needs matplotlib).

Every process is examples/fleet.rs: it waits for the common start instant,
then asks its client for a token every 10-50 ms, like a service per request,
and prints per-second counts when the run ends. The server's side comes from
`/_dev/requests` (each recorded request carries its arrival time in Unix ms
and the status answered). Everything runs on 127.0.0.1 and stops by itself.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

MODES = ("memory", "file")
SECRET = "fleet-secret"
# The outage is one fault with this many uses, cleared by DELETE /_dev/faults.
OUTAGE_FAULT = {"path": "*", "count": 1_000_000_000, "status": 503}


def say(message):
    print(f"fleet: {message}", file=sys.stderr, flush=True)


def unix_ms():
    return int(time.time() * 1000)


def sleep_until(instant_ms):
    delay = instant_ms - unix_ms()
    if delay > 0:
        time.sleep(delay / 1000)


class Server:
    """The dev server process and its control API."""

    def __init__(self, binary, ttl, work):
        port_file = work / "devserver.port"
        port_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--ttl", str(ttl), "--port-file", str(port_file), "--exit-with-parent"],
            stdout=subprocess.DEVNULL)
        for _ in range(200):
            if port_file.exists() and port_file.read_text().strip():
                break
            if self.process.poll() is not None:
                raise SystemExit("fleet: the dev server exited")
            time.sleep(0.05)
        else:
            self.stop()
            raise SystemExit("fleet: the dev server did not start")
        self.url = f"http://127.0.0.1:{port_file.read_text().strip()}"

    def control(self, method, route, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_dev/{route}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def client_id(mode, host):
    return f"{mode}-h{host}"


def run(args):
    work = Path(args.work).resolve()
    stores = work / "stores"
    shutil.rmtree(stores, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    hosts, processes = args.hosts, args.processes
    load_before = os.getloadavg()[0]
    server = Server(args.devserver, args.ttl, work)
    children = []
    try:
        server.control("POST", "config", {"clients": [[client_id(mode, host), SECRET]
                                                      for mode in MODES for host in range(hosts)]})
        # Only what the fleet needs from the environment: no COZE_* or WI_* setting leaks in.
        env = {key: value for key, value in os.environ.items() if not key.startswith(("COZE_", "WI_"))}
        count = len(MODES) * hosts * processes
        start = unix_ms() + args.spawn_ms
        outage_at = start + args.steady * 1000
        end = outage_at + (args.outage + args.recovery) * 1000
        say(f"{count} processes ({hosts} hosts x {processes} processes, memory and file stores side by side), "
            f"tokens of {args.ttl} s; outage {args.steady}-{args.steady + args.outage} s; "
            f"{(end - start) / 1000:.0f} s from the start")
        for mode in MODES:
            for host in range(hosts):
                store = "memory" if mode == "memory" else f"file:{stores / client_id(mode, host)}"
                for process in range(processes):
                    command = [args.fleet_binary, "--url", server.url, "--client-id", client_id(mode, host),
                               "--client-secret", SECRET, "--token-store", store,
                               "--start-unix-ms", str(start), "--end-unix-ms", str(end),
                               "--min-interval-ms", str(args.min_interval_ms),
                               "--max-interval-ms", str(args.max_interval_ms)]
                    child = subprocess.Popen(command, stdout=subprocess.PIPE, env=env)
                    children.append((mode, host, process, child))
        if unix_ms() > start:
            say(f"spawning took longer than {args.spawn_ms} ms: the start is not simultaneous")
        sleep_until(outage_at)
        server.control("POST", "faults", OUTAGE_FAULT)
        outage_began = unix_ms()
        say("outage: every protocol request answers 503")
        sleep_until(outage_at + args.outage * 1000)
        server.control("DELETE", "faults")
        outage_ended = unix_ms()
        say("outage over")
        reports = []
        for mode, host, process, child in children:
            try:
                output, _ = child.communicate(timeout=max(1.0, (end - unix_ms()) / 1000 + 30))
            except subprocess.TimeoutExpired:
                child.kill()
                raise SystemExit(f"fleet: process {mode} h{host} p{process} did not stop")
            if child.returncode != 0:
                raise SystemExit(f"fleet: process {mode} h{host} p{process} exited {child.returncode}")
            report = json.loads(output.decode().strip().splitlines()[-1])
            report.update(mode=mode, host=host, process=process)
            reports.append(report)
        requests = server.control("GET", "requests")["requests"]
    finally:
        for *_, child in children:
            if child.poll() is None:
                child.kill()
        server.stop()
    timeline = {"start": start, "outage_began": outage_began, "outage_ended": outage_ended, "end": end}
    (work / "processes.json").write_text(json.dumps(reports))
    requests = [{"path": r["path"], "status": r["status"], "received_at_unix_ms": r["received_at_unix_ms"],
                 "client_id": r["form"].get("client_id")} for r in requests]
    (work / "requests.json").write_text(json.dumps(requests))
    figures = analyse(args, timeline, reports, requests)
    figures["load_average_before"] = load_before
    Path(args.out_json).write_text(json.dumps(figures, indent=1) + "\n")
    say(f"wrote {args.out_json}")


# --- figures --------------------------------------------------------------


def request_mode_host(request):
    """The fleet and host of a recorded request, from the client id it sent."""
    sender = request["client_id"] or ""
    mode, _, host = sender.partition("-h")
    return (mode, int(host)) if mode in MODES and host.isdigit() else (None, None)


def window_count(requests, mode, low_ms, high_ms, fetches=False):
    """Requests of `mode` that arrived in [low_ms, high_ms); with `fetches`,
    only the successful step 2s (one per token fetched)."""
    return sum(1 for r in requests if r["mode"] == mode and low_ms <= r["received_at_unix_ms"] < high_ms
               and (not fetches or (r["path"] == "/oauth/exchange" and r["status"] == 200)))


def analyse(args, timeline, reports, requests):
    start, began, ended, end = (timeline[k] for k in ("start", "outage_began", "outage_ended", "end"))
    for request in requests:
        request["mode"], request["host"] = request_mode_host(request)
    seconds = (end - start) // 1000 + 1
    hosts, processes, ttl = args.hosts, args.processes, args.ttl
    # Steady state: from the end of the first token lifetime to the outage.
    steady_from, steady_to = start + ttl * 1000, began
    lifetimes = (steady_to - steady_from) / 1000 / ttl
    modes = {}
    for mode in MODES:
        mine = [r for r in requests if r["mode"] == mode]
        per_second = [[0, 0] for _ in range(seconds)]  # [answered 200, answered otherwise]
        for request in mine:
            second = (request["received_at_unix_ms"] - start) // 1000
            if 0 <= second < seconds:
                per_second[second][0 if request["status"] == 200 else 1] += 1
        fetches_per_host = []
        for host in range(hosts):
            fetches = sum(1 for r in mine if r["host"] == host and r["path"] == "/oauth/exchange"
                          and r["status"] == 200 and steady_from <= r["received_at_unix_ms"] < steady_to)
            fetches_per_host.append(fetches / lifetimes)
        during_outage = [r for r in mine if began <= r["received_at_unix_ms"] < ended]
        ran = [p for p in reports if p["mode"] == mode]
        outage_seconds = range((began - start) // 1000, (ended - start) // 1000 + 1)
        client_seconds = [[sum(p["seconds"][s][i] for p in ran) for i in range(5)]
                          + [max(p["seconds"][s][5] for p in ran) / 1000] for s in range(seconds)]
        slowest = lambda picked: max((client_seconds[s][5] for s in picked), default=0)
        last_fetch = max(r["received_at_unix_ms"] for r in mine
                         if r["path"] == "/oauth/exchange" and r["status"] == 200 and r["received_at_unix_ms"] < began)
        modes[mode] = {
            "server_per_second": per_second,
            # Per second: [calls, errors, errors while the process held a valid token,
            # requests, retries, longest call in ms]
            "client_per_second": client_seconds,
            "last_token_expired_s": (last_fetch - start) / 1000 + ttl,
            "fetches_per_host_per_lifetime": fetches_per_host,
            "fetches_per_host_per_lifetime_mean": sum(fetches_per_host) / hosts,
            "requests_per_host_per_lifetime_mean": window_count(requests, mode, steady_from, steady_to)
            / hosts / lifetimes,
            "first_second_requests": window_count(requests, mode, start, start + 1000),
            "first_second_fetches": window_count(requests, mode, start, start + 1000, fetches=True),
            "after_outage_first_second_requests": window_count(requests, mode, ended, ended + 1000),
            "after_outage_first_second_fetches": window_count(requests, mode, ended, ended + 1000, fetches=True),
            "outage_requests": len(during_outage),
            "outage_peak_requests_per_second": max(sum(per_second[s]) for s in outage_seconds if s < seconds),
            "outage_requests_not_503": sum(1 for r in during_outage if r["status"] != 503),
            "outage_retries": sum(client_seconds[s][4] for s in outage_seconds if s < seconds),
            "outage_client_requests": sum(client_seconds[s][3] for s in outage_seconds if s < seconds),
            "calls": sum(p["stats"]["cache_hits"] + p["stats"]["cache_misses"] for p in ran),
            "errors": sum(s[1] for s in client_seconds),
            "errors_while_valid": sum(s[2] for s in client_seconds),
            "longest_call_ms_outside_outage": slowest(s for s in range(seconds) if s not in outage_seconds),
            "longest_call_ms_during_outage": slowest(s for s in outage_seconds if s < seconds),
            "requests": len(mine),
            "stats": {key: sum(p["stats"][key] for p in ran) for key in ran[0]["stats"]},
        }
    return {
        "hosts": hosts,
        "processes_per_host": processes,
        "ttl_s": ttl,
        "call_interval_ms": [args.min_interval_ms, args.max_interval_ms],
        "steady_s": args.steady,
        "outage_s": args.outage,
        "recovery_s": args.recovery,
        "steady_window_s": [(steady_from - start) / 1000, (steady_to - start) / 1000],
        "timeline_s": {key: (value - start) / 1000 for key, value in timeline.items()},
        # Per process: 20 retries at once, 1 more per second (src/retry.rs).
        "retry_budget_bound": hosts * processes * (20 + (ended - began) / 1000),
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "modes": modes,
    }


# --- picture --------------------------------------------------------------


def draw(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = json.loads(Path(args.json).read_text())
    timeline = figures["timeline_s"]
    hosts, processes = figures["hosts"], figures["processes_per_host"]
    fig, axes = plt.subplots(2, 1, figsize=(11, 7), sharex=True, constrained_layout=True)
    titles = {"memory": "memory store: every process fetches its own token",
              "file": "file store (token_store=file:<DIR>, one directory per host): a host's processes share one token"}
    top = max(max(ok + failed for ok, failed in figures["modes"][mode]["server_per_second"]) for mode in MODES)
    for axis, mode in zip(axes, MODES):
        figure = figures["modes"][mode]
        series = figure["server_per_second"]
        seconds = list(range(len(series)))
        ok = [s[0] for s in series]
        failed = [s[1] for s in series]
        axis.bar(seconds, ok, width=1.0, align="edge", color="#2b6cb0", label="server requests answered 200")
        axis.bar(seconds, failed, width=1.0, align="edge", bottom=ok, color="#c53030",
                 label="server requests answered 503 (outage)")
        errors = [s[1] for s in figure["client_per_second"]]
        axis.step(seconds + [len(series)], errors + [errors[-1]], where="post", color="#1a202c", linewidth=1,
                  label="errors returned to callers")
        axis.axvspan(timeline["outage_began"], timeline["outage_ended"], color="#c53030", alpha=0.08)
        axis.axvline(figure["last_token_expired_s"], color="#744210", linestyle=":", linewidth=1.2)
        axis.text(figure["last_token_expired_s"] - 0.7, top * 1.2, "the last token\nfetched expires", fontsize=8,
                  color="#744210", va="top", ha="right")
        axis.annotate(f"start: {figure['first_second_requests']} in 1 s", xy=(0.5, figure["first_second_requests"]),
                      xytext=(6, top * 0.25), fontsize=8, arrowprops={"arrowstyle": "->", "linewidth": 0.8})
        recovery = round(timeline["outage_ended"])
        axis.annotate(f"after the outage: {figure['after_outage_first_second_requests']} in 1 s",
                      xy=(recovery + 0.5, figure["after_outage_first_second_requests"]),
                      xytext=(recovery + 4, top * 0.3), fontsize=8,
                      arrowprops={"arrowstyle": "->", "linewidth": 0.8})
        axis.set_yscale("symlog", linthresh=10)
        axis.set_ylim(0, top * 2)
        axis.set_ylabel("per second")
        axis.set_title(f"{titles[mode]}; {hosts} hosts x {processes} processes", fontsize=10, loc="left")
        axis.grid(axis="y", alpha=0.3)
    axes[-1].set_xlabel(f"seconds since the whole fleet started (tokens live {figures['ttl_s']} s; every process asks "
                        f"for a token every {figures['call_interval_ms'][0]}-{figures['call_interval_ms'][1]} ms; "
                        f"outage {timeline['outage_began']:.0f}-{timeline['outage_ended']:.0f} s, shaded)")
    axes[-1].set_xlim(0, timeline["end"])
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=9)
    fig.suptitle("Requests per second at one identity server (make fleet)", fontsize=12)
    fig.savefig(args.png, dpi=100)
    say(f"wrote {args.png}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="run the fleet and write its figures")
    runner.add_argument("--fleet-binary", required=True, help="target/release/examples/fleet")
    runner.add_argument("--devserver", required=True, help="target/release/wi-devserver")
    runner.add_argument("--work", required=True, help="scratch directory (stores, raw records)")
    runner.add_argument("--out-json", required=True)
    runner.add_argument("--hosts", type=int, default=8)
    runner.add_argument("--processes", type=int, default=8, help="processes per host")
    runner.add_argument("--ttl", type=int, default=20, help="token lifetime, seconds")
    runner.add_argument("--steady", type=int, default=70, help="seconds before the outage")
    runner.add_argument("--outage", type=int, default=30, help="seconds of outage")
    runner.add_argument("--recovery", type=int, default=40, help="seconds after the outage")
    runner.add_argument("--min-interval-ms", type=int, default=10)
    runner.add_argument("--max-interval-ms", type=int, default=50)
    runner.add_argument("--spawn-ms", type=int, default=4000, help="time given to start every process")
    drawer = commands.add_parser("draw", help="draw the picture")
    drawer.add_argument("--json", required=True)
    drawer.add_argument("--png", required=True)
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        draw(args)


if __name__ == "__main__":
    main()
