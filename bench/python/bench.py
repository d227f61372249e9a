"""Python sections of `make bench`: the binding next to the Coze Python SDK
(`coze-workload-identity`) and the Python floor, against the dev server at
$WI_BENCH_URL. Prints one JSON record per measurement for bench/report.py.

Run by bench/run.sh with the interpreter of the venv that holds the Coze SDK;
the binding is imported from this source tree (bindings/python).

    python bench.py cached   # cached get_access_token(), one thread, sync and awaited
    python bench.py cold     # first token of a new identity
    python bench.py herd     # 64 threads on a cold cache: server requests
"""

import asyncio
import json
import os
import sys
import threading
import time
import urllib.request
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bindings" / "python"))

import coze_workload_identity  # noqa: E402
from coze_workload_identity import client as coze_client_module  # noqa: E402
import workload_identity  # noqa: E402

BASE_URL = os.environ.get("WI_BENCH_URL", "").rstrip("/")
ROUNDS = int(os.environ.get("WI_BENCH_ROUNDS") or 15)
ROUND_NS = int(os.environ.get("WI_BENCH_ROUND_MS") or 40) * 1_000_000
COLD_ROUNDS = int(os.environ.get("WI_BENCH_COLD_ROUNDS") or 100) // 2
SECRET = "bench-secret"  # of every client id registered here
HERD_THREADS = 64
HERDS = 5
_next_id = 0


def emit(bench, name, role, unit, samples, **extra):
    print(json.dumps({"bench": bench, "lang": "Python", "name": name, "role": role, "unit": unit,
                      "samples": samples, **extra}), flush=True)


def control(method, route, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE_URL}/_dev/{route}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def fresh_client_ids(label, count):
    """New client ids registered with the server: identities with a cold cache."""
    global _next_id
    ids = [f"{label}-{os.getpid()}-{_next_id + i}" for i in range(count)]
    _next_id += count
    control("POST", "config", {"clients": [[client_id, SECRET] for client_id in ids]})
    return ids


def total_requests():
    return control("GET", "stats")["total"]


def binding_client(client_id, secret=SECRET, kind=workload_identity.Client):
    return kind(client_id=client_id, client_secret=secret, token_endpoint=f"{BASE_URL}/oauth/token",
                access_token_endpoint=f"{BASE_URL}/oauth/exchange")


def coze_client(client_id, secret=SECRET):
    """A Coze SDK client of `client_id` (it reads its configuration from the environment)."""
    os.environ.update(COZE_WORKLOAD_IDENTITY_CLIENT_ID=client_id,
                      COZE_WORKLOAD_IDENTITY_CLIENT_SECRET=secret,
                      COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT=f"{BASE_URL}/oauth/token",
                      COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT=f"{BASE_URL}/oauth/exchange")
    os.environ.pop("COZE_SERVER_ENV", None)
    return coze_workload_identity.Client()


def clear_coze_cache():
    """Empties the Coze SDK's process-wide cache (one dict under one lock, key "access_token")."""
    cache = coze_client_module.get_global_token_cache()
    with cache._lock:
        cache._cache.clear()


def timed_loop(function, calls):
    """Nanoseconds for `calls` calls of `function`."""
    started = time.perf_counter_ns()
    for _ in range(calls):
        function()
    return time.perf_counter_ns() - started


def awaited_loop(loop, coroutine_function):
    """calls -> nanoseconds for that many awaits of `coroutine_function()`,
    timed inside one task of `loop` (the task's start-up left out)."""

    async def awaits(calls):
        started = time.perf_counter_ns()
        for _ in range(calls):
            await coroutine_function()
        return time.perf_counter_ns() - started

    return lambda calls: loop.run_until_complete(awaits(calls))


def calibrate(timed):
    """Warms `timed` (calls -> ns) up; returns the calls of about one round."""
    calls = 64
    while True:
        elapsed = timed(calls)
        if elapsed >= ROUND_NS / 4:
            return max(1, round(calls * ROUND_NS / elapsed))
        calls *= 2


def cached():
    loop = asyncio.new_event_loop()
    ours = binding_client("dev-client", "dev-secret")
    ours_async = binding_client("dev-client", "dev-secret", workload_identity.AsyncClient)
    coze = coze_client("dev-client", "dev-secret")
    token = ours.get_access_token()
    loop.run_until_complete(ours_async.get_access_token())
    coze.get_access_token()
    floor_token, refresh_at = "x" * len(token), time.monotonic() + 3000

    def floor():
        """The least a Python cache does: a monotonic clock read, a comparison, the string."""
        if time.monotonic() < refresh_at:
            return floor_token
        raise AssertionError("expired")

    async def awaited_floor():
        """The same, as a coroutine: what any awaited call costs at least."""
        if time.monotonic() < refresh_at:
            return floor_token
        raise AssertionError("expired")

    floor_name, awaited_floor_name = "floor: time.monotonic() check", "floor: time.monotonic() check, awaited"
    rows = [
        ("workload_identity get_access_token()", "library", partial(timed_loop, ours.get_access_token),
         {"floor": floor_name}),
        ("workload_identity await AsyncClient.get_access_token()", "library",
         awaited_loop(loop, ours_async.get_access_token), {"floor": awaited_floor_name}),
        ("coze-workload-identity get_access_token()", "peer", partial(timed_loop, coze.get_access_token), {}),
        (floor_name, "floor", partial(timed_loop, floor), {}),
        (awaited_floor_name, "floor", awaited_loop(loop, awaited_floor), {}),
    ]
    calls = [calibrate(timed) for _, _, timed, _ in rows]
    samples = [[] for _ in rows]
    for _ in range(ROUNDS):
        for index, (_, _, timed, _) in enumerate(rows):
            samples[index].append(timed(calls[index]) / calls[index])
    for (name, role, _, extra), row_samples in zip(rows, samples):
        emit("cached", name, role, "ns/call", row_samples, **extra)
    ours.close()
    loop.run_until_complete(ours_async.close())
    loop.close()


def first_token_us(make_client):
    started = time.perf_counter_ns()
    token = make_client().get_access_token()
    elapsed = time.perf_counter_ns() - started
    assert token
    return elapsed / 1000


def cold():
    coze_ids = fresh_client_ids("cold-coze", COLD_ROUNDS + 1)
    binding_ids = fresh_client_ids("cold-py", COLD_ROUNDS + 1)
    coze_us, binding_us = [], []
    for round_index in range(COLD_ROUNDS + 1):  # round 0 warms up, unrecorded
        clear_coze_cache()
        coze_id, binding_id = coze_ids[round_index], binding_ids[round_index]
        coze_time = first_token_us(lambda: coze_client(coze_id))
        binding_time = first_token_us(lambda: binding_client(binding_id))
        if round_index:
            coze_us.append(coze_time)
            binding_us.append(binding_time)
    emit("cold", "coze-workload-identity: Client() + get_access_token()", "peer", "us", coze_us)
    emit("cold", "workload_identity (Python binding): Client() + get_access_token()", "library", "us", binding_us)


def herd_requests(get_token):
    """Server requests caused by HERD_THREADS threads released at once through `get_token`."""
    barrier = threading.Barrier(HERD_THREADS)
    failures = []

    def work():
        barrier.wait()
        try:
            get_token()
        except Exception as error:  # counted, then reported below
            failures.append(type(error).__name__)

    before = total_requests()
    threads = [threading.Thread(target=work) for _ in range(HERD_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"herd: {len(failures)} calls failed ({failures[0]})")
    return total_requests() - before


def herd():
    coze, ours = [], []
    for _ in range(HERDS):
        clear_coze_cache()
        coze.append(herd_requests(coze_client(fresh_client_ids("herd-coze", 1)[0]).get_access_token))
        ours.append(herd_requests(binding_client(fresh_client_ids("herd-py", 1)[0]).get_access_token))
    emit("herd", "coze-workload-identity (one Client)", "peer", "requests", coze, threads=HERD_THREADS)
    emit("herd", "workload_identity Python binding (one Client)", "library", "requests", ours, threads=HERD_THREADS)


def main():
    sections = {"cached": cached, "cold": cold, "herd": herd}
    if len(sys.argv) != 2 or sys.argv[1] not in sections or not BASE_URL:
        sys.exit("usage: WI_BENCH_URL=http://127.0.0.1:PORT python bench.py cached|cold|herd")
    sections[sys.argv[1]]()


if __name__ == "__main__":
    main()
