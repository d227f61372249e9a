"""Finding libworkload_identity, loading it, and checking that it fits.

The one place that decides which native library this package uses. The
first of these that applies wins:

1. `$WI_LIBRARY_PATH`: the library's path, used as given;
2. the copy inside this package (what wheels and `pip install` ship);
3. the system loader: `libworkload_identity.so.1` on `LD_LIBRARY_PATH`, in
   the loader cache (`make install` then `ldconfig`) or the default
   directories;
4. `target/release/` of the source checkout this package sits in, walking
   up to the directory holding `Cargo.toml` (an editable install).

A library found but unusable is an error, never skipped for the next one:
an ELF file for another architecture is named as such, and a library older
(major.minor, from `wi_version()`) than this package is refused before any
other symbol is looked up. Nothing found: one line saying what to do.
Every failure is a `ConfigurationError`. Called under `_native`'s load lock.
"""

import ctypes
import os
import re
import sys
from pathlib import Path

from ._version import __version__
from .exceptions import ConfigurationError

LIBRARY_PATH_ENV = "WI_LIBRARY_PATH"
LIBRARY_FILE = "libworkload_identity.dylib" if sys.platform == "darwin" else "libworkload_identity.so"
# The name linked programs load: the SONAME, which carries the C ABI version.
SYSTEM_LIBRARY = "libworkload_identity.dylib" if sys.platform == "darwin" else "libworkload_identity.so.1"

NOT_FOUND = (
    f"{LIBRARY_FILE} not found: install a workload-identity wheel built for this platform, "
    f"or set {LIBRARY_PATH_ENV} to the library's path"
)

# e_machine values of the ELF header, for messages.
_ELF_MACHINES = {
    3: "x86 (32-bit)",
    8: "MIPS",
    20: "PowerPC",
    21: "PowerPC64",
    22: "s390x",
    40: "ARM (32-bit)",
    62: "x86_64",
    183: "aarch64",
    243: "RISC-V",
    258: "LoongArch",
}


class Loaded:
    """A loaded library: the `ctypes.CDLL`, the file it came from and its version."""

    __slots__ = ("cdll", "path", "version")

    def __init__(self, cdll, path, version):
        self.cdll = cdll
        self.path = path
        self.version = version

    def missing_function(self, name):
        """The error for a C function this package needs and the library lacks."""
        return ConfigurationError(
            f"{self.path} (libworkload_identity {self.version}) has no {name}: "
            f"this package needs the library of version {__version__}"
        )


def load():
    """The library to use, loaded and checked (a `Loaded`)."""
    explicit = os.environ.get(LIBRARY_PATH_ENV)
    if explicit:
        if not os.path.exists(explicit):
            raise ConfigurationError(f"{LIBRARY_PATH_ENV} is {explicit}, which does not exist")
        return _checked(_open(explicit), explicit)
    package = Path(__file__).resolve().parent
    bundled = package / LIBRARY_FILE
    if bundled.is_file():
        return _checked(_open(str(bundled)), str(bundled))
    try:
        cdll = ctypes.CDLL(SYSTEM_LIBRARY)
    except OSError as error:
        # The loader skips files of another architecture, so this is "none found".
        if "cannot open shared object file" not in str(error) and "image not found" not in str(error):
            raise ConfigurationError(f"cannot load {SYSTEM_LIBRARY} found by the system loader: {error}") from None
    else:
        return _checked(cdll, None)
    for directory in package.parents:
        candidate = directory / "target" / "release" / LIBRARY_FILE
        if candidate.is_file():
            return _checked(_open(str(candidate)), str(candidate))
        if (directory / "Cargo.toml").is_file():
            break
    raise ConfigurationError(NOT_FOUND)


def _open(path):
    """`ctypes.CDLL(path)`, with a failure explained (another architecture, or the loader's reason)."""
    try:
        return ctypes.CDLL(path)
    except OSError as error:
        theirs, ours = _elf_machine(path), _elf_machine("/proc/self/exe")
        if theirs is not None and ours is not None and theirs != ours:
            raise ConfigurationError(
                f"{path} is a library for {_machine_name(theirs)}, but this Python runs on "
                f"{_machine_name(ours)}: install the {_machine_name(ours)} build"
            ) from None
        raise ConfigurationError(f"cannot load {path}: {error}") from None


def _checked(cdll, path):
    """`cdll` as a `Loaded`, if its version is at least this package's major.minor.

    `path`: the file `cdll` came from; None to ask the loader.
    """
    try:
        wi_version = cdll.wi_version
    except AttributeError:
        raise ConfigurationError(f"{path or SYSTEM_LIBRARY} is not libworkload_identity (no wi_version)") from None
    if path is None:
        path = _file_of(wi_version) or SYSTEM_LIBRARY
    wi_version.restype = ctypes.c_char_p
    wi_version.argtypes = []
    version = (wi_version() or b"").decode("utf-8", "replace")
    if _major_minor(version) < _major_minor(__version__):
        raise ConfigurationError(
            f"{path} is libworkload_identity {version}, older than {__version__}, which this package needs: "
            f"install libworkload_identity {__version__} or newer"
        )
    return Loaded(cdll, path, version)


def _major_minor(version):
    """(major, minor) of a version string; (-1, -1) when it has none."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else (-1, -1)


def _elf_machine(path):
    """(ELF class, e_machine) of the file at `path`, or None if it is no readable ELF file."""
    try:
        with open(path, "rb") as file:
            header = file.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    byteorder = "little" if header[5] == 1 else "big"
    return header[4], int.from_bytes(header[18:20], byteorder)


def _machine_name(machine):
    elf_class, number = machine
    name = _ELF_MACHINES.get(number, f"ELF machine {number}")
    return name if elf_class == 2 or "32-bit" in name else f"{name} (32-bit)"


class _DlInfo(ctypes.Structure):
    _fields_ = [
        ("dli_fname", ctypes.c_char_p),
        ("dli_fbase", ctypes.c_void_p),
        ("dli_sname", ctypes.c_char_p),
        ("dli_saddr", ctypes.c_void_p),
    ]


def _file_of(function):
    """The file holding the foreign `function` (through `dladdr`), or None."""
    try:
        dladdr = ctypes.CDLL(None).dladdr
    except (AttributeError, OSError):
        return None
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    dladdr.restype = ctypes.c_int
    info = _DlInfo()
    if not dladdr(ctypes.cast(function, ctypes.c_void_p), ctypes.byref(info)) or not info.dli_fname:
        return None
    return os.fsdecode(info.dli_fname)
