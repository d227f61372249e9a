"""Which native library the package loads, and what it says when none fits.

Each case runs in a fresh interpreter (the library is loaded once per
process), from a copy of the package outside the source tree where the
source-tree fallback must not apply. The unusable libraries come from
scripts/make-bad-libraries.sh.
"""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import BINDING, REPO

from workload_identity import _locate

LIBRARY = os.environ.get(_locate.LIBRARY_PATH_ENV) or str(REPO / "target" / "release" / _locate.LIBRARY_FILE)

# Prints the file `_locate` chose, or the one-line error a user would see.
PROBE = """
from workload_identity import Client, ConfigurationError, _locate
try:
    Client(client_id="x", client_secret="y", token_endpoint="http://127.0.0.1:9/t",
           access_token_endpoint="http://127.0.0.1:9/a").close()
    print("loaded", _locate.load().path)
except ConfigurationError as error:
    print("ConfigurationError:", error)
"""


@pytest.fixture(scope="module")
def bad_libraries(tmp_path_factory):
    directory = tmp_path_factory.mktemp("bad-libraries")
    subprocess.run(
        [str(REPO / "scripts" / "make-bad-libraries.sh"), str(directory)],
        check=True,
        env={**os.environ, _locate.LIBRARY_PATH_ENV: LIBRARY},
    )
    return directory


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory):
    """A copy of the package (no bundled library) outside the source tree."""
    directory = tmp_path_factory.mktemp("site")
    shutil.copytree(
        BINDING / "workload_identity",
        directory / "workload_identity",
        ignore=shutil.ignore_patterns("__pycache__", "libworkload_identity.*"),
    )
    return directory


def probe(package_copy, **environment):
    env = {key: value for key, value in os.environ.items() if key not in ("WI_LIBRARY_PATH", "LD_LIBRARY_PATH")}
    env.update(environment, PYTHONPATH=str(package_copy))
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=package_copy, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_no_library_is_one_line_saying_what_to_do(package_copy):
    assert probe(package_copy) == f"ConfigurationError: {_locate.NOT_FOUND}"
    assert "\n" not in _locate.NOT_FOUND and "WI_LIBRARY_PATH" in _locate.NOT_FOUND


def test_wi_library_path_comes_first(package_copy):
    assert probe(package_copy, WI_LIBRARY_PATH=LIBRARY) == f"loaded {LIBRARY}"


def test_a_missing_wi_library_path_is_named(package_copy):
    assert probe(package_copy, WI_LIBRARY_PATH="/nonexistent/libworkload_identity.so") == (
        "ConfigurationError: WI_LIBRARY_PATH is /nonexistent/libworkload_identity.so, which does not exist"
    )


def test_the_bundled_copy_comes_before_the_system_loader(package_copy, bad_libraries, tmp_path):
    shutil.copytree(package_copy / "workload_identity", tmp_path / "workload_identity")
    bundled = tmp_path / "workload_identity" / _locate.LIBRARY_FILE
    shutil.copy(LIBRARY, bundled)
    assert probe(tmp_path, LD_LIBRARY_PATH=str(bad_libraries / "old")) == f"loaded {bundled}"


def test_the_system_loader_finds_the_soname_and_names_the_file(package_copy, tmp_path):
    (tmp_path / _locate.SYSTEM_LIBRARY).symlink_to(LIBRARY)
    assert probe(package_copy, LD_LIBRARY_PATH=str(tmp_path)) == f"loaded {tmp_path / _locate.SYSTEM_LIBRARY}"


def test_another_architecture_names_the_file_and_both_machines(package_copy, bad_libraries):
    path = bad_libraries / "wrong-arch" / "libworkload_identity.so"
    machine = "x86_64" if os.uname().machine == "aarch64" else "aarch64"
    host = os.uname().machine
    assert probe(package_copy, WI_LIBRARY_PATH=str(path)) == (
        f"ConfigurationError: {path} is a library for {machine}, but this Python runs on {host}: "
        f"install the {host} build"
    )


def test_an_older_library_names_the_file_and_both_versions(package_copy, bad_libraries):
    path = bad_libraries / "old" / "libworkload_identity.so"
    version = _locate.__version__
    expected = (
        f"ConfigurationError: {{}} is libworkload_identity 0.0.9, older than {version}, which this package "
        f"needs: install libworkload_identity {version} or newer"
    )
    assert probe(package_copy, WI_LIBRARY_PATH=str(path)) == expected.format(path)
    # Found by the system loader: named by the file it loaded.
    system = bad_libraries / "old" / _locate.SYSTEM_LIBRARY
    assert probe(package_copy, LD_LIBRARY_PATH=str(system.parent)) == expected.format(system)


def test_a_library_lacking_a_function_names_it_and_both_versions(package_copy, bad_libraries):
    path = bad_libraries / "lacking" / "libworkload_identity.so"
    version = _locate.__version__
    assert probe(package_copy, WI_LIBRARY_PATH=str(path)) == (
        f"ConfigurationError: {path} (libworkload_identity {version}) has no wi_options_new: "
        f"this package needs the library of version {version}"
    )


def test_in_the_source_tree_the_build_is_found_without_wi_library_path(monkeypatch):
    monkeypatch.delenv(_locate.LIBRARY_PATH_ENV, raising=False)
    found = _locate.load().path
    assert found.endswith(
        (f"target/release/{_locate.LIBRARY_FILE}", f"workload_identity/{_locate.LIBRARY_FILE}", _locate.SYSTEM_LIBRARY)
    )
