"""The report of `make bench`: turns the JSON records of every section into
BENCHMARKS.md (medians, spreads, ratios and the project's goals, met or not).

    report.py go-records < go-test-output >> results.jsonl
        converts `go test -bench` output lines into records;
    report.py write --results results.jsonl --out BENCHMARKS.md --root REPO
                    --python VENV_PYTHON --seconds N
        writes the report and prints the goals, keeping the fleet section and
        the fleet goal rows that `make fleet` left in the previous report;
    report.py fleet --fleet fleet.json --out BENCHMARKS.md
        (`make fleet`) writes the fleet section and the fleet goal rows from
        bench/fleet/fleet.py's figures into the report, keeping the rest.

A record is one JSON object per line: bench (cached, scaling, cold, herd,
footprint, allocs), lang, name, role (library, floor, peer, baseline), unit,
samples (one per round), and for library rows of `cached` the name of the
floor row they are compared with. Standard library only.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

# --- go test output -------------------------------------------------------

GO_FLOOR = "floor: time.Now check"
GO_ROWS = {
    "BenchmarkCachedBindingAccessToken": ("Go binding AccessToken", "library"),
    "BenchmarkCachedOAuth2ReuseTokenSource": ("golang.org/x/oauth2 ReuseTokenSource.Token", "peer"),
    "BenchmarkCachedFloorTimeNow": (GO_FLOOR, "floor"),
}
GO_LINE = re.compile(r"^(Benchmark\w+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+\d+ B/op\s+(\d+) allocs/op)?")


def go_records(lines):
    """Records of the Go benchmarks, one sample per `-count` repetition."""
    samples, allocs = {}, {}
    for line in lines:
        match = GO_LINE.match(line)
        if match and match.group(1) in GO_ROWS:
            samples.setdefault(match.group(1), []).append(float(match.group(2)))
            if match.group(3) is not None:
                allocs[match.group(1)] = int(match.group(3))
    for benchmark, values in samples.items():
        name, role = GO_ROWS[benchmark]
        record = {"bench": "cached", "lang": "Go", "name": name, "role": role, "unit": "ns/call",
                  "samples": values, "allocs_per_call": allocs.get(benchmark)}
        if role == "library":
            record["floor"] = GO_FLOOR
        yield record


# --- figures --------------------------------------------------------------


class Results:
    """The records of one run, looked up by section, language and name. Records
    of the same row from several passes are pooled into one (samples joined)."""

    def __init__(self, path):
        self.records = []
        rows = {}
        for line in Path(path).read_text().splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            key = (record["bench"], record["lang"], record["name"], record.get("threads"))
            if key in rows:
                rows[key]["samples"].extend(record["samples"])
                if "cpus" in rows[key]:
                    rows[key]["cpus"].extend(record.get("cpus", [None] * len(record["samples"])))
                rows[key]["passes"] += 1
            else:
                record["passes"] = 1
                rows[key] = record
                self.records.append(record)

    def find(self, bench, lang=None, name=None, **extra):
        for record in self.records:
            if record["bench"] == bench and lang in (None, record["lang"]) and name in (None, record["name"]):
                if all(record.get(key) == value for key, value in extra.items()):
                    return record
        return None

    def all(self, bench, lang=None):
        return [r for r in self.records if r["bench"] == bench and lang in (None, r["lang"])]

    def median(self, bench, lang, name, **extra):
        record = self.find(bench, lang, name, **extra)
        return median(record) if record else None


def median(record):
    return statistics.median(record["samples"])


def quantile(record, q):
    values = sorted(record["samples"])
    if len(values) == 1:
        return values[0]
    position = q * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def ns(value):
    return "—" if value is None else (f"{value:,.0f}" if value >= 100 else f"{value:.1f}")


def ratio(value):
    return "—" if value is None else f"{value:.2f}x"


def millions(value):
    return f"{value / 1e6:.1f} M"


# --- machine and versions -------------------------------------------------


def command_output(command, cwd=None):
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (result.stdout.strip() or result.stderr.strip() or "unknown").splitlines()[0]


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def lock_version(lock_path, package):
    text = Path(lock_path).read_text() if Path(lock_path).exists() else ""
    match = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(package), text)
    return match.group(1) if match else "unknown"


def environment(root, python):
    header = (root / "include" / "workload_identity.h").read_text()
    library = re.search(r'#define WI_VERSION_STRING "([^"]+)"', header)
    koffi = root / "bindings" / "node" / "node_modules" / "koffi" / "package.json"
    return [
        ("CPU", f"{cpu_model()}, nproc {os.cpu_count()}"),
        ("kernel", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("rustc", command_output(["rustc", "--version"])),
        ("go", command_output(["go", "version"])),
        ("node", command_output(["node", "--version"])),
        ("python", command_output([python, "--version"])),
        ("workload-identity (this library)", library.group(1) if library else "unknown"),
        ("coze-workload-identity (PyPI, peer)", command_output(
            [python, "-c", "import importlib.metadata as m; print(m.version('coze-workload-identity'))"])),
        ("golang.org/x/oauth2 (peer)", command_output(["go", "list", "-m", "-f", "{{.Version}}", "golang.org/x/oauth2"],
                                                      cwd=root / "bench" / "go")),
        ("ureq (direct baseline, bench/rust/Cargo.lock)", lock_version(root / "bench" / "rust" / "Cargo.lock", "ureq")),
        ("koffi (Node binding's FFI)", json.loads(koffi.read_text())["version"] if koffi.exists() else "not installed"),
    ]


def library_sizes(root):
    library = root / "target" / "release" / "libworkload_identity.so"
    size = library.stat().st_size
    with tempfile.TemporaryDirectory() as scratch:
        stripped = Path(scratch) / "stripped.so"
        result = subprocess.run(["strip", "--strip-all", "-o", str(stripped), str(library)],
                                capture_output=True, check=False)
        stripped_size = stripped.stat().st_size if result.returncode == 0 else None
    return size, stripped_size


# --- sections -------------------------------------------------------------

CACHED_LANGS = ["C", "Rust", "Go", "Node", "Python"]
CACHED_TITLES = {
    "C": "C ABI (bench/c, linked to libworkload_identity.so)",
    "Rust": "Rust API (bench/rust)",
    "Go": "Go binding (bench/go, `go test -bench`)",
    "Node": "Node binding (bench/node)",
    "Python": "Python binding (bench/python)",
}


def cached_section(results, out):
    out.append("## 1. Cached call, one thread\n")
    out.append("ns per call: median and p10–p90 over the rounds; `x floor` is the median over the median of the floor "
               "it is compared with (named), `x peer` the median over each peer's median (below 1: faster).\n")
    for lang in CACHED_LANGS:
        records = results.all("cached", lang)
        if not records:
            continue
        rounds, passes = len(records[0]["samples"]), records[0]["passes"]
        peers = [r for r in records if r["role"] == "peer"]
        floors = {r["name"]: r for r in records if r["role"] == "floor"}
        default_floor = next((r.get("floor") for r in records if r.get("floor")), None)
        out.append(f"### {CACHED_TITLES[lang]}: {rounds} rounds in {passes} processes\n")
        columns = ["implementation", "role", "median ns", "p10–p90 ns", "x floor"] + [f"x {p['name']}" for p in peers]
        out.append("| " + " | ".join(columns) + " |")
        out.append("|" + "---|" * len(columns))
        for record in records:
            floor_name = record.get("floor") or (default_floor if record["role"] == "peer" else None)
            floor = floors.get(floor_name)
            cells = [
                f"`{record['name']}`",
                record["role"],
                ns(median(record)),
                f"{ns(quantile(record, 0.1))}–{ns(quantile(record, 0.9))}",
                f"{ratio(median(record) / median(floor))} ({floor_name})" if floor else "—",
            ]
            for peer in peers:
                cells.append("—" if peer is record or record["role"] == "floor" else ratio(median(record) / median(peer)))
            out.append("| " + " | ".join(cells) + " |")
        out.append("")


def scaling_ratio(results, lang, name):
    one = results.median("scaling", lang, name, threads=1)
    two = results.median("scaling", lang, name, threads=2)
    return None if one is None or two is None else two / one


# A scaling round "on full CPUs": its threads' CPU time was at least this
# share of threads x window, i.e. the machine ran every thread nearly all the
# time (on a shared VM other work often takes one of the two vCPUs).
FULL_CPUS = 0.95
# Fewer rounds than this on full CPUs: no figure.
FULL_CPU_ROUNDS = 3


def full_cpu_samples(record):
    """The samples of the rounds on full CPUs; None without CPU times (C only)."""
    if record is None or "cpus" not in record:
        return None
    return [sample for sample, cpus in zip(record["samples"], record["cpus"])
            if cpus is not None and cpus >= FULL_CPUS * record["threads"]]


def full_cpu_scaling(results, lang, name):
    """(2/1 ratio of the medians over rounds on full CPUs, rounds kept at 2
    threads, rounds at 2 threads), or None."""
    one = full_cpu_samples(results.find("scaling", lang, name, threads=1))
    two_record = results.find("scaling", lang, name, threads=2)
    two = full_cpu_samples(two_record)
    if one is None or two is None:
        return None
    if min(len(one), len(two)) < FULL_CPU_ROUNDS:
        return (None, len(two), len(two_record["samples"]))
    return (statistics.median(two) / statistics.median(one), len(two), len(two_record["samples"]))


def full_cpu_text(scaling):
    value, kept, total = scaling
    return f"{ratio(value)} ({kept}/{total})" if value is not None else f"— ({kept}/{total})"


def scaling_section(results, out):
    out.append("## 2. Scaling: cached calls per second on one client\n")
    rounds = len(results.all("scaling")[0]["samples"]) if results.all("scaling") else 0
    out.append(f"Median calls/s over {rounds} rounds (p10–p90), each round a 200 ms window with every thread calling "
               "in a loop, rounds pooled over the passes. The floor rows show how far this machine itself scales "
               "(2 vCPUs, shared). The C harness also takes each round's CPU time: the last column is 2/1 over "
               f"only the rounds on full CPUs (the threads' CPU time at least {FULL_CPUS:.0%} of threads x window: "
               "the machine ran both threads, not only one while other work took the other vCPU), with the rounds "
               "kept at 2 threads.\n")
    out.append("| implementation | 1 thread | 2 threads | 4 threads | 8 threads | 2/1 | 2/1 on full CPUs |")
    out.append("|---|---|---|---|---|---|---|")
    seen = []
    for record in results.all("scaling"):
        key = (record["lang"], record["name"])
        if key in seen:
            continue
        seen.append(key)
        cells = [f"{record['lang']}: `{record['name']}`"]
        for threads in (1, 2, 4, 8):
            found = results.find("scaling", record["lang"], record["name"], threads=threads)
            cells.append(f"{millions(median(found))} ({millions(quantile(found, 0.1))}–{millions(quantile(found, 0.9))})"
                         if found else "—")
        cells.append(ratio(scaling_ratio(results, *key)))
        full = full_cpu_scaling(results, *key)
        cells.append(full_cpu_text(full) if full else "—")
        out.append("| " + " | ".join(cells) + " |")
    out.append("")


COLD_LIBRARY = ("Rust", "library: Client::new + access_token")
COLD_DIRECT = ("Rust", "ureq 3 direct: agent + 2 requests")
COLD_COZE = ("Python", "coze-workload-identity: Client() + get_access_token()")
COLD_PYTHON = ("Python", "workload_identity (Python binding): Client() + get_access_token()")


def cold_section(results, out):
    out.append("## 3. Cold fetch: time to the first token (step 1 + step 2)\n")
    out.append("Each round a new identity (a client id registered just before), client creation included; the Coze "
               "SDK's process-wide cache is emptied before each of its rounds. The indented rows split a Rust total "
               "at the end of client (agent) creation and compare each part with the same part of the direct "
               "requests. µs: median, p10–p90.\n")
    direct = results.find("cold", *COLD_DIRECT)
    coze = results.median("cold", *COLD_COZE)
    out.append("| path | rounds | median µs | p10–p90 µs | x ureq direct | x Coze SDK |")
    out.append("|---|---|---|---|---|---|")
    for record in results.all("cold"):
        if record["role"] == "part":
            continue
        rows = [(record, f"{record['lang']}: `{record['name']}`", direct)]
        for part in [r for r in results.all("cold") if r.get("part_of") == record["name"]]:
            direct_part = next((r for r in results.all("cold")
                                if r.get("part_of") == COLD_DIRECT[1] and r.get("part") == part["part"]), None)
            rows.append((part, f"&nbsp;&nbsp;↳ `{part['name']}`", direct_part))
        for row, label, versus in rows:
            value = median(row)
            to_coze = ratio(value / coze) if coze and row["role"] != "part" else "—"
            out.append(f"| {label} | {len(row['samples'])} | {ns(value)} | "
                       f"{ns(quantile(row, 0.1))}–{ns(quantile(row, 0.9))} | "
                       f"{ratio(value / median(versus)) if versus else '—'} | {to_coze} |")
    out.append("")


def introspect_section(results, out):
    out.append("## 4. Introspection: checking a token on every request\n")
    out.append("What a resource server pays per check of a bearer token (RFC 7662), one thread, rows in interleaved "
               "rounds: the library asking the dev server each call, the library with the positive-answer cache on "
               "(`introspection_cache_s=30`: an `\"active\": true` answer reused, never past the token's `exp`), "
               "and the same request made directly with ureq 3 on a keep-alive agent with the library's buffer sizes "
               "(form, JSON parse, `active` and scope checked). µs per call: median, p10–p90.\n")
    records = results.all("introspect")
    if not records:
        out.append("Not measured.\n")
        return
    direct = next((r for r in records if r["role"] == "baseline"), None)
    out.append("| path | role | rounds | median µs | p10–p90 µs | x direct request |")
    out.append("|---|---|---|---|---|---|")
    for record in records:
        value = median(record)
        versus = ratio(value / median(direct)) if direct and record is not direct else "—"
        low, high = quantile(record, 0.1), quantile(record, 0.9)
        out.append(f"| `{record['name']}` | {record['role']} | {len(record['samples'])} | {us(value)} | "
                   f"{us(low)}–{us(high)} | {versus} |")
    out.append("")


def us(value):
    return f"{value:,.2f}" if value < 10 else ns(value)


def herd_section(results, out):
    out.append("## 5. Herd: 64 threads on a cold cache\n")
    out.append("Protocol requests the dev server answered (`/_dev/stats`) while 64 threads (goroutines in Go) released "
               "at once asked one client of a new identity for a token; one figure per herd. The Coze flow is two "
               "requests per fetch; oauth2's client credentials is one (it has no exchange step).\n")
    out.append("| implementation | role | requests per herd |")
    out.append("|---|---|---|")
    for record in results.all("herd"):
        figures = ", ".join(f"{value:.0f}" for value in record["samples"])
        out.append(f"| {record['lang']}: {record['name']} | {record['role']} | {figures} |")
    out.append("")


def footprint_section(results, root, out):
    out.append("## 6. Footprint\n")
    size, stripped = library_sizes(root)
    stripped_text = f"{stripped / 1024:,.0f} KiB" if stripped else "strip failed"
    out.append(f"`libworkload_identity.so` (release build): {size / 1024:,.0f} KiB; stripped (`strip --strip-all`): "
               f"{stripped_text}.\n")
    clients = next((r.get("clients") for r in results.all("footprint")), "?")
    out.append(f"Per extra client (Rust API): {clients} clients created after one warm-up client, each fetching its "
               "token (distinct identities) or being handed the cached one (one shared identity), all kept alive; "
               "growth divided by the number of clients. RSS grows by whole pages, so it reads 0 when the heap "
               "already had room.\n")
    out.append("| per client | distinct identities | one shared identity |")
    out.append("|---|---|---|")
    for measure in ("RSS", "heap"):
        cells = []
        for identities in ("distinct identities", "one shared identity"):
            record = results.find("footprint", "Rust", f"{measure} per client, {identities}")
            cells.append(f"{record['samples'][0] / 1024:,.1f} KiB" if record else "—")
        label = "RSS (VmRSS)" if measure == "RSS" else "live heap (counting allocator)"
        out.append(f"| {label} | {cells[0]} | {cells[1]} |")
    out.append("")
    out.append("Allocations per cached call (Rust and C ABI: a counting `#[global_allocator]` in bench/rust, which "
               "links the library as an rlib; Go: `go test -benchmem`):\n")
    out.append("| call | allocations per call |")
    out.append("|---|---|")
    for record in results.all("allocs"):
        out.append(f"| {record['lang']}: `{record['name']}` | {record['samples'][0]:g} |")
    for record in results.all("cached", "Go"):
        if record.get("allocs_per_call") is not None and record["role"] != "floor":
            out.append(f"| Go: `{record['name']}` | {record['allocs_per_call']} |")
    out.append("")


# --- goals ----------------------------------------------------------------


def goals(results):
    """(goal, figure, target, met) rows computed from the figures."""
    rows = []

    def add(goal, value, text, target, met):
        rows.append((goal, text if value is not None else "not measured", target,
                     None if value is None else met))

    c_call = results.median("cached", "C", "wi_get_access_token + wi_free_string")
    add("C ABI cached call (`wi_get_access_token` + `wi_free_string`)", c_call, f"{ns(c_call)} ns median", "≤ 100 ns",
        c_call is not None and c_call <= 100)
    into = results.median("cached", "C", "wi_get_access_token_into (stack buffer)")
    add("C ABI cached call (`wi_get_access_token_into`)", into, f"{ns(into)} ns median", "≤ 100 ns",
        into is not None and into <= 100)

    for name in ("wi_get_delegated_token + wi_free_string (cached)", "wi_exchange_token + wi_free_string (cached)"):
        exchanged = results.median("cached", "C", name)
        versus = exchanged and c_call and exchanged / c_call
        add(f"C cached `{name.split(' ')[0]}` within 2x of a cached access token (`wi_get_access_token`)", versus,
            f"{ns(exchanged)} vs {ns(c_call)} ns ({ratio(versus)})" if versus else "", "≤ 2x",
            versus is not None and versus <= 2)

    bindings = [
        ("C", "wi_get_access_token + wi_free_string"),
        ("C", "wi_get_access_token_into (stack buffer)"),
        ("Go", "Go binding AccessToken"),
        ("Node", "getAccessTokenSync()"),
        ("Node", "await getAccessToken()"),
        ("Python", "workload_identity get_access_token()"),
        ("Python", "workload_identity await AsyncClient.get_access_token()"),
    ]
    for lang, name in bindings:
        record = results.find("cached", lang, name)
        floor = record and results.find("cached", lang, record.get("floor"))
        value = record and floor and median(record) / median(floor)
        add(f"{lang} `{name}` within 2x of the {lang} floor", value,
            f"{ratio(value)} of `{floor['name']}`" if value else "", "≤ 2x", value is not None and value <= 2)
        for peer in [r for r in results.all("cached", lang) if r["role"] == "peer"]:
            versus = record and median(record) / median(peer)
            add(f"{lang} `{name}` faster than `{peer['name']}`", versus,
                f"{ns(median(record))} vs {ns(median(peer))} ns ({ratio(versus)})" if versus else "", "< 1x",
                versus is not None and versus < 1)

    for lang, name in [("C", "wi_get_access_token + wi_free_string"), ("Rust", "Client::access_token")]:
        value = scaling_ratio(results, lang, name)
        floor_name = "floor: clock_gettime check" if lang == "C" else "floor: Instant check"
        floor = scaling_ratio(results, lang, floor_name)
        text = f"{ratio(value)} (the machine's own floor: {ratio(floor)})"
        full, full_floor = full_cpu_scaling(results, lang, name), full_cpu_scaling(results, lang, floor_name)
        if full and full[0] is not None:
            # Judged where the machine gave the threads their CPUs; every round shown too.
            floor_text = (f"{ratio(full_floor[0])} over {full_floor[1]} of {full_floor[2]}" if full_floor
                          and full_floor[0] is not None else "too few rounds")
            text = (f"{ratio(full[0])} over the {full[1]} of {full[2]} rounds on full CPUs (the floor's: "
                    f"{floor_text}); all rounds: {text}")
            value = full[0]
        elif full:
            text += f"; only {full[1]} of {full[2]} rounds on full CPUs: the machine was busy"
        add(f"{lang} `{name}`: 2 threads vs 1 thread", value, text, "≥ 1.8x", value is not None and value >= 1.8)

    library, direct = results.median("cold", *COLD_LIBRARY), results.median("cold", *COLD_DIRECT)
    overhead = library and direct and library / direct - 1
    add("cold fetch within 10% of the same two requests made directly (ureq 3)", overhead,
        f"{ns(library)} vs {ns(direct)} µs ({overhead:+.0%})" if overhead is not None else "", "≤ +10%",
        overhead is not None and overhead <= 0.10)
    coze = results.median("cold", *COLD_COZE)
    for label, ours in [("library (Rust API)", library), ("Python binding", results.median("cold", *COLD_PYTHON))]:
        speedup = ours and coze and coze / ours
        add(f"cold fetch, {label}, ≥ 2x faster than the Coze Python SDK", speedup,
            f"{ns(ours)} vs {ns(coze)} µs ({speedup:.1f}x faster)" if speedup else "", "≥ 2x",
            speedup is not None and speedup >= 2)

    for record in [r for r in results.all("herd") if r["role"] == "library"]:
        figures = ", ".join(f"{value:.0f}" for value in record["samples"])
        add(f"herd, {record['lang']}: {record['name']}: exactly 2 server requests", 1, f"{figures} per herd",
            "2 every herd", all(value == 2 for value in record["samples"]))
    return rows


def goals_section(rows, out):
    out.append("## Goals\n")
    out.append("Computed from the figures below (medians; the fleet rows from one `make fleet` run); on a shared "
               "2-vCPU machine a figure near its target may fall on either side from one run to the next.\n")
    out.append("| goal | figure | target | result |")
    out.append("|---|---|---|---|")
    for goal, figure, target, met in rows:
        result = "not measured" if met is None else ("**met**" if met else "**not met**")
        out.append(f"| {goal} | {figure} | {target} | {result} |")
    met = sum(1 for row in rows if row[3])
    out.append(f"\n{met} of {len(rows)} met.\n")


# --- fleet (`make fleet`) -------------------------------------------------
#
# `make fleet` and `make bench` both write BENCHMARKS.md, each its own parts:
# the fleet owns the goal rows whose goal starts with FLEET_PREFIX and the
# section between the FLEET_BEGIN and FLEET_END lines; each command keeps
# the other's parts as they are in the file.

FLEET_PREFIX = "fleet"
FLEET_BEGIN = "<!-- fleet: written by `make fleet`, kept by `make bench` -->"
FLEET_END = "<!-- fleet: end -->"
FLEET_PICTURE = "BENCHMARKS-fleet.png"
STORES = {"memory": "memory store", "file": "file store"}


def count(value):
    return f"{value:,.0f}"


def fleet_goals(figures):
    """(goal, figure, target, met) rows of the fleet."""
    hosts, processes, outage = figures["hosts"], figures["processes_per_host"], figures["outage_s"]
    modes = figures["modes"]
    fleet_size = hosts * processes
    memory = modes["memory"]["fetches_per_host_per_lifetime_mean"]
    shared = modes["file"]["fetches_per_host_per_lifetime_mean"]
    rows = [(f"fleet: fetches per host per token lifetime, file store vs memory store ({hosts} hosts x {processes} "
             "processes)", f"{shared:.1f} vs {memory:.1f} (1 : {memory / shared:.1f})", f"1 : P = 1 : {processes}",
             memory / shared >= 0.9 * processes),
            ("fleet, file store: a host of P processes costs the server what one process does (one fetch per "
             "host per refresh: a token of this short lifetime is refreshed ahead several times in its life)",
             f"{shared:.1f} per host per {figures['ttl_s']} s lifetime vs {memory / processes:.1f} for one "
             "memory-store process alone", "≤ 1.2x one process", shared <= 1.2 * memory / processes)]
    bound = figures["retry_budget_bound"]
    for mode, store in STORES.items():
        figure = modes[mode]
        start, after = figure["first_second_fetches"], figure["after_outage_first_second_fetches"]
        # A cold start needs a first token in every cache: H x P for memory
        # stores (nothing can spread that), H for file stores.
        first_start = hosts if mode == "file" else fleet_size
        rows.append((f"fleet, {store}: fetches in the first second of a simultaneous start / after a {outage} s "
                     "outage", f"{start} / {after} ({figure['first_second_requests']} / "
                     f"{figure['after_outage_first_second_requests']} requests)",
                     f"start ≤ {first_start} (one per cache); after the outage spread: fewer than H x P = "
                     f"{fleet_size}", start <= first_start and after < fleet_size))
        requests = figure["outage_requests"]
        rows.append((f"fleet, {store}: server requests during a {outage} s outage within the retry budget's bound",
                     f"{count(requests)}, of which {count(figure['outage_retries'])} retries "
                     f"({requests / bound:.1f}x the bound)",
                     f"≤ H x P x (20 + {outage} s x 1/s) = {count(bound)}", requests <= bound))
    errors = [modes[mode]["errors_while_valid"] for mode in STORES]
    rows.append(("fleet: errors returned to callers while their process held a valid token",
                 ", ".join(f"{modes[mode]['errors_while_valid']} of {count(modes[mode]['calls'])} calls ({store})"
                           for mode, store in STORES.items()), "0", sum(errors) == 0))
    return rows


def fleet_section(figures, out):
    hosts, processes = figures["hosts"], figures["processes_per_host"]
    timeline, modes = figures["timeline_s"], figures["modes"]
    outage = figures["outage_s"]
    memory, shared = modes["memory"], modes["file"]
    out.append(FLEET_BEGIN)
    out.append(f"## 7. Fleet: {hosts} hosts x {processes} processes against one identity server\n")
    out.append(f"Written by `make fleet` (`bench/fleet/`) on {figures['generated']}, a run of its own (load average "
               f"{figures['load_average_before']:.1f} on this 2-vCPU machine when it began). Two fleets ran side by "
               f"side against one dev server: {hosts} hosts x {processes} processes with memory stores, and as many "
               f"with one file token store per host (`token_store=file:<DIR>`), {2 * hosts * processes} processes "
               "of `examples/fleet.rs`, each host under its own client id. Every process asks its client for a "
               f"token every {figures['call_interval_ms'][0]}-{figures['call_interval_ms'][1]} ms, as a service does "
               f"per request; tokens live {figures['ttl_s']} s; the whole fleet starts at the same instant; from "
               f"{timeline['outage_began']:.0f} s to {timeline['outage_ended']:.0f} s every protocol request is "
               f"answered 503; the run stops at {timeline['end']:.0f} s. Server figures come from the dev server's "
               "records (arrival time and status of every request), caller figures from the processes. A fetch is "
               "one token: step 1 and step 2, two requests.\n")
    out.append(f"![Requests per second at the server over time, memory store vs file store]({FLEET_PICTURE})\n")
    window = figures["steady_window_s"]
    rows = [
        ("calls for a token", lambda m: count(m["calls"])),
        (f"fetches per host per token lifetime ({window[0]:.0f}-{window[1]:.0f} s)",
         lambda m: f"{m['fetches_per_host_per_lifetime_mean']:.1f} "
                   f"({min(m['fetches_per_host_per_lifetime']):.1f}-{max(m['fetches_per_host_per_lifetime']):.1f})"),
        ("server requests per host per token lifetime", lambda m: f"{m['requests_per_host_per_lifetime_mean']:.1f}"),
        ("fetches (requests) in the first second of the start",
         lambda m: f"{m['first_second_fetches']} ({m['first_second_requests']})"),
        ("fetches (requests) in the first second after the outage",
         lambda m: f"{m['after_outage_first_second_fetches']} ({m['after_outage_first_second_requests']})"),
        (f"server requests during the {outage} s outage (answered other than 503)",
         lambda m: f"{count(m['outage_requests'])} ({m['outage_requests_not_503']})"),
        ("busiest second of the outage, requests", lambda m: count(m["outage_peak_requests_per_second"])),
        ("retries during the outage (the processes' counters)", lambda m: count(m["outage_retries"])),
        (f"the retry budget's bound, H x P x (20 + {outage} s x 1/s)", lambda m: count(figures["retry_budget_bound"])),
        ("errors returned to callers", lambda m: count(m["errors"])),
        ("of which while the process held a valid token", lambda m: count(m["errors_while_valid"])),
        ("the last token fetched before the outage expired at", lambda m: f"{m['last_token_expired_s']:.1f} s"),
        ("longest call, outside / during the outage",
         lambda m: f"{m['longest_call_ms_outside_outage']:,.0f} / {m['longest_call_ms_during_outage']:,.0f} ms"),
    ]
    out.append("| | memory store | file store |")
    out.append("|---|---|---|")
    for label, cell in rows:
        out.append(f"| {label} | {cell(memory)} | {cell(shared)} |")
    out.append("")
    per_process = memory["fetches_per_host_per_lifetime_mean"] / processes
    out.append("What the figures say:\n")
    out.append(f"- **Steady state.** With the file store a host fetched "
               f"{shared['fetches_per_host_per_lifetime_mean']:.1f} times per token lifetime, as one memory-store "
               f"process alone ({per_process:.1f}); the memory-store hosts fetched "
               f"{memory['fetches_per_host_per_lifetime_mean']:.1f}. One process fetches {per_process:.1f} times per "
               f"{figures['ttl_s']} s lifetime: the library refreshes a token this short every "
               f"{figures['ttl_s'] / per_process:.1f} s, at the same point of every token, so a fleet that started "
               "together refreshes together: the picture's bars.")
    out.append(f"- **Start and recovery.** In the first second the memory-store fleet fetched "
               f"{memory['first_second_fetches']} tokens at the start and {memory['after_outage_first_second_fetches']}"
               f" after the outage: one per process, {hosts} x {processes}; the file-store fleet "
               f"{shared['first_second_fetches']} and {shared['after_outage_first_second_fetches']}: one per host.")
    out.append(f"- **Outage.** While tokens were still valid the failure backoff kept the load to a few bursts; from "
               f"the moment they expired ({memory['last_token_expired_s']:.0f} s), every call of a memory-store "
               f"process sent a request: up to {count(memory['outage_peak_requests_per_second'])} requests/s, "
               f"{count(memory['outage_requests'])} in the outage, "
               f"{memory['outage_requests'] / figures['retry_budget_bound']:.1f}x the retry budget's bound, though "
               f"the retries alone ({count(memory['outage_retries'])}) stayed within it: the budget bounds retries "
               "within a fetch, not the fetches that new calls start. The file-store hosts sent "
               f"{count(shared['outage_requests'])}: their processes queue on the store's lock, which the process "
               "refreshing holds through its retries and their backoff, so their callers waited up to "
               f"{shared['longest_call_ms_during_outage'] / 1000:.1f} s per call instead.")
    out.append(f"- **Callers** received {memory['errors_while_valid'] + shared['errors_while_valid']} errors while "
               "their process held a valid token.")
    out.append("")
    out.append(FLEET_END)


def goal_rows(markdown):
    """The rows of the Goals table of a report, as (goal, figure, target, met)."""
    rows, inside = [], False
    for line in markdown.splitlines():
        if line.startswith("## "):
            inside = line == "## Goals"
        elif inside and line.startswith("| ") and not line.startswith("| goal |"):
            cells = line[2:-2].split(" | ")
            if len(cells) == 4:
                met = {"**met**": True, "**not met**": False}.get(cells[3])
                rows.append((cells[0], cells[1], cells[2], met))
    return rows


def fleet_parts(markdown):
    """The fleet's goal rows and section lines in a report (none if it has none)."""
    rows = [row for row in goal_rows(markdown) if row[0].startswith(FLEET_PREFIX)]
    lines = markdown.splitlines()
    if FLEET_BEGIN in lines and FLEET_END in lines:
        return rows, lines[lines.index(FLEET_BEGIN):lines.index(FLEET_END) + 1]
    return rows, []


def fleet(args):
    figures = json.loads(Path(args.fleet).read_text())
    path = Path(args.out)
    markdown = path.read_text() if path.exists() else "# Benchmarks\n\n## Goals\n"
    rows = [row for row in goal_rows(markdown) if not row[0].startswith(FLEET_PREFIX)] + fleet_goals(figures)
    _, old_section = fleet_parts(markdown)
    lines = markdown.rstrip("\n").splitlines()
    if old_section:
        begin = lines.index(FLEET_BEGIN)
        del lines[begin:begin + len(old_section)]
    goals = lines.index("## Goals")
    following = next((i for i in range(goals + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    section = []
    goals_section(rows, section)
    lines[goals:following] = "\n".join(section).splitlines() + [""]
    while lines and not lines[-1]:
        lines.pop()
    section = []
    fleet_section(figures, section)
    path.write_text("\n".join(lines + [""] + section) + "\n")
    for goal, figure, target, met in fleet_goals(figures):
        print(f"{'met    ' if met else 'NOT MET'}  {goal}: {figure} (target {target})")


# --- main -----------------------------------------------------------------


def write(args):
    root = Path(args.root).resolve()
    results = Results(args.results)
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# Benchmarks", ""]
    out.append(f"Written by `make bench` (`bench/run.sh`) on {generated}; the run took {args.seconds:.0f} s, builds "
               "included. Sections 1-6 ran in that one run against one local dev server "
               "(`wi-devserver` on 127.0.0.1); compare rows of the same run. The fleet (section 7 and the goal rows "
               "that start with \"fleet\") is written by `make fleet`, a run of its own, and kept here as it was. "
               "Benchmarks print figures; nothing here asserts on speed.\n")
    out.append(f"The timed sections (1 and 2) ran in {args.passes} passes, each a new process per language, languages "
               "taking turns; their rounds are pooled. On this shared VM a whole process sometimes runs about 30% "
               "slower, floors included, which widens p10–p90 but moves a median over several processes little.\n")
    out.append("## Machine and versions\n")
    out.append("| | |")
    out.append("|---|---|")
    for label, value in environment(root, args.python):
        out.append(f"| {label} | {value} |")
    out.append("")
    kept_rows, kept_section = fleet_parts(Path(args.out).read_text()) if Path(args.out).exists() else ([], [])
    goal_rows = goals(results) + kept_rows
    goals_section(goal_rows, out)
    cached_section(results, out)
    scaling_section(results, out)
    cold_section(results, out)
    introspect_section(results, out)
    herd_section(results, out)
    footprint_section(results, root, out)
    out.extend(kept_section)
    Path(args.out).write_text("\n".join(out).rstrip() + "\n")
    for goal, figure, target, met in goal_rows:
        print(f"{'met    ' if met else 'NOT MET'}  {goal}: {figure} (target {target})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("go-records", help="go test -bench output on stdin -> records on stdout")
    writer = commands.add_parser("write", help="write BENCHMARKS.md")
    writer.add_argument("--results", required=True)
    writer.add_argument("--out", required=True)
    writer.add_argument("--root", required=True)
    writer.add_argument("--python", required=True, help="the interpreter of the benchmark venv")
    writer.add_argument("--seconds", type=float, required=True, help="run time so far")
    writer.add_argument("--passes", type=int, required=True, help="passes of the timed sections")
    fleet_writer = commands.add_parser("fleet", help="write the fleet section and goal rows into BENCHMARKS.md")
    fleet_writer.add_argument("--fleet", required=True, help="the figures of bench/fleet/fleet.py run")
    fleet_writer.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.command == "go-records":
        for record in go_records(sys.stdin):
            print(json.dumps(record))
    elif args.command == "fleet":
        fleet(args)
    else:
        write(args)


if __name__ == "__main__":
    main()
