"""Benchmark (not a test): the cost of a cached `get_access_token()`.

Prints, per call, best of several rounds:
  - workload_identity (this package, over the native library), cached;
  - a pure-Python floor: return a cached string after a `time.monotonic()` check;
  - the Coze SDK (`coze-workload-identity`), cached, against the same dev
    server, when an interpreter that has it is given with `--coze-python`
    (e.g. a venv: `python -m venv /tmp/coze && /tmp/coze/bin/pip install
    coze-workload-identity`) or it imports in this interpreter;
  - workload_identity `force_refresh()`: the whole two-step flow over loopback.

Starts its own dev server (`$WI_DEVSERVER`, default
`../../target/release/wi-devserver`). Usage:
    python bench.py [--coze-python PATH] [--calls N]
"""

import argparse
import ctypes
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

BINDING = Path(__file__).resolve().parent
sys.path.insert(0, str(BINDING))

from workload_identity import Client, _native  # this source tree, whatever is installed

ROUNDS = 5

# Run by the Coze SDK's interpreter (argv: calls, rounds): the best round, in ns per call.
COZE_TIMER = """
import sys, time
from coze_workload_identity import Client
calls, rounds = int(sys.argv[1]), int(sys.argv[2])
client = Client()
token = client.get_access_token()
assert token.startswith("at_"), "not a dev-server token"
best = None
for _ in range(rounds):
    start = time.perf_counter_ns()
    for _ in range(calls):
        client.get_access_token()
    elapsed = (time.perf_counter_ns() - start) / calls
    best = elapsed if best is None else min(best, elapsed)
print(best)
"""


def best_ns_per_call(function, calls):
    """The fastest of ROUNDS rounds of `calls` calls, in ns per call."""
    best = None
    for _ in range(ROUNDS):
        start = time.perf_counter_ns()
        for _ in range(calls):
            function()
        elapsed = (time.perf_counter_ns() - start) / calls
        best = elapsed if best is None else min(best, elapsed)
    return best


def python_floor():
    """A cached token as cheaply as Python can hand one out."""
    token = "at_" + "0" * 32
    expires_at = time.monotonic() + 3600

    def cached():
        if time.monotonic() < expires_at:
            return token
        raise AssertionError("expired")

    return cached


def bare_ctypes_call(client):
    """The two foreign calls a cached token costs, without the binding's
    bookkeeping (closed check, in-flight count, error conversion)."""
    library = _native.library()
    get, free = library.wi_get_access_token, library.wi_free_string
    pointer = client._handle._pointer  # the client stays open while this is measured

    def call():
        out = ctypes.c_void_p()
        get(pointer, ctypes.byref(out), None)
        token = ctypes.string_at(out.value).decode()
        free(out)
        return token

    return call


def start_devserver():
    binary = os.environ.get("WI_DEVSERVER") or str(BINDING.parents[1] / "target" / "release" / "wi-devserver")
    process = subprocess.Popen([binary, "--port", "0"], stdout=subprocess.PIPE, text=True)
    match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)\n", process.stdout.readline())
    if not match:
        process.kill()
        sys.exit(f"{binary} did not start")
    # Requests are logged on stdout: drain it so the server never blocks.
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process, match.group(1)


def coze_sdk_ns_per_call(python, calls):
    command = [python, "-c", COZE_TIMER, str(calls), str(ROUNDS)]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    if result.returncode:
        return None, result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"
    return float(result.stdout), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coze-python", help="an interpreter with coze-workload-identity installed")
    parser.add_argument("--calls", type=int, default=200_000, help="calls per round (default 200000)")
    args = parser.parse_args()

    process, base_url = start_devserver()
    try:
        os.environ.update(
            COZE_WORKLOAD_IDENTITY_CLIENT_ID="dev-client",
            COZE_WORKLOAD_IDENTITY_CLIENT_SECRET="dev-secret",
            COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT=f"{base_url}/oauth/token",
            COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT=f"{base_url}/oauth/exchange",
            COZE_OUTBOUND_AUTH_ENDPOINT=f"{base_url}/outbound",
        )
        os.environ.pop("COZE_SERVER_ENV", None)

        with Client() as client:
            client.get_access_token()
            ours = best_ns_per_call(client.get_access_token, args.calls)
            ctypes_floor = best_ns_per_call(bare_ctypes_call(client), args.calls)
            refresh = best_ns_per_call(client.force_refresh, 200)
        floor = best_ns_per_call(python_floor(), args.calls)

        print(f"cached get_access_token(), best of {ROUNDS} rounds of {args.calls} calls:")
        print(f"  workload_identity (native core) {ours:9.0f} ns/call")
        print(f"  bare ctypes (get + free, no wrapper) {ctypes_floor:4.0f} ns/call")
        print(f"  Python floor (monotonic check)  {floor:9.0f} ns/call")
        coze_python = args.coze_python
        if coze_python is None:
            try:
                import coze_workload_identity  # noqa: F401

                coze_python = sys.executable
            except ImportError:
                pass
        if coze_python is None:
            print("  Coze SDK: skipped (pass --coze-python PATH to an interpreter that has it)")
        else:
            coze, why = coze_sdk_ns_per_call(coze_python, args.calls)
            if coze is None:
                print(f"  Coze SDK: failed: {why}")
            else:
                print(f"  Coze SDK (coze-workload-identity) {coze:7.0f} ns/call")
        print(f"force_refresh() (ID token + exchange over loopback): {refresh / 1000:.0f} us/call")
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    main()
