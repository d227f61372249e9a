"""Builds the native library with cargo and ships it inside the package.

The metadata is in pyproject.toml; this file holds what setuptools-rust
needs in code: where the crate is, what the library file is called inside
the package, the wheel tag, and the crate copied into source distributions.

- The crate is the repository root (two levels up), or `rust/` inside an
  sdist. setuptools-rust runs `cargo rustc --lib --release` on it; cargo's
  target directory is the workspace's `target/` (or `$CARGO_TARGET_DIR`),
  so a build in a checkout reuses what `make build` already compiled.
- The library lands as `workload_identity/libworkload_identity.so`
  (`.dylib` on macOS): the name the package looks for, with no CPython
  suffix, since it is no extension module (ctypes loads it).
- The wheel is tagged `py3-none-<platform>`: any Python 3, one platform.
"""

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.sdist import sdist
from setuptools_rust import Binding, RustExtension, build_rust

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
SDIST_CRATE = "rust"
# What cargo needs to build the library: the root crate and the workspace
# members its manifest names (tools/).
CRATE_ENTRIES = ("Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml", "src", "include", "tools", "LICENSE")
LIBRARY_FILE = "libworkload_identity.dylib" if sys.platform == "darwin" else "libworkload_identity.so"


def crate_directory():
    """The crate: `rust/` in an unpacked sdist, else the repository root."""
    for directory in (HERE / SDIST_CRATE, HERE.parents[1]):
        if (directory / "Cargo.toml").is_file():
            return directory
    raise SystemExit(f"cannot find the workload-identity crate (looked in {HERE / SDIST_CRATE} and {HERE.parents[1]})")


class build_library(build_rust):
    """Names the built library as the package loads it (no CPython suffix)."""

    def get_dylib_ext_path(self, ext, target_fname):
        suffixed = Path(super().get_dylib_ext_path(ext, target_fname))
        return str(suffixed.with_name(LIBRARY_FILE))


class bdist_wheel_any_python(bdist_wheel):
    """`py3-none-<platform>`: ctypes loads the library from any Python 3."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


class sdist_with_crate(sdist):
    """Copies the crate into the sdist as `rust/`, so that it builds alone."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        crate = crate_directory()
        ignore = shutil.ignore_patterns("target", "__pycache__", "*.pyc")
        for name in CRATE_ENTRIES:
            source = crate / name
            destination = Path(base_dir) / SDIST_CRATE / name
            if source.is_dir():
                shutil.copytree(source, destination, ignore=ignore)
            elif source.is_file():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)


setup(
    rust_extensions=[
        RustExtension(
            "workload_identity.libworkload_identity",
            path=str(crate_directory() / "Cargo.toml"),
            binding=Binding.NoBinding,
            # The crate types of Cargo.toml, not setuptools-rust's default
            # (cdylib alone): cargo then sees the unit `make build` built and
            # reuses it, instead of rebuilding the crate both ways in turn.
            args=["--crate-type", "cdylib,staticlib,rlib"],
            # Release also for `pip install -e` (setuptools-rust's default there
            # is a debug build): the same library as make build's, reused.
            debug=False,
        )
    ],
    cmdclass={"build_rust": build_library, "bdist_wheel": bdist_wheel_any_python, "sdist": sdist_with_crate},
    zip_safe=False,
)
