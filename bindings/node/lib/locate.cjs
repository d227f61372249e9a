'use strict';
// The one place that decides which native library this package loads, and
// checks that it fits. The first of these that applies wins:
//   1. the libraryPath option;
//   2. $WI_LIBRARY_PATH;
//   3. the platform package, an optional dependency npm installs only on
//      its platform (for this machine @workload-identity/node-linux-x64-gnu),
//      as esbuild and @swc/core ship their binaries;
//   4. the system loader: libworkload_identity.so.1 on LD_LIBRARY_PATH, in
//      the loader cache (`make install`, then ldconfig) or the default
//      directories;
//   5. target/release/ of the source checkout this package sits in (a
//      package installed as a link: `npm install <folder>`).
// A library found but unusable is an error, never skipped for the next one:
// an ELF file for another architecture is named as such, and a library
// older (major.minor, from wi_version()) than this package is refused before
// any other function is declared. Nothing found: one line saying what to do.
// Every failure is a ConfigurationError.

const fs = require('node:fs');
const path = require('node:path');

const { ConfigurationError } = require('./errors.cjs');
const { version: PACKAGE_VERSION } = require('../package.json');

const PACKAGE_DIR = path.join(__dirname, '..');

const LIBRARY_FILE =
  { darwin: 'libworkload_identity.dylib', win32: 'workload_identity.dll' }[process.platform] ??
  'libworkload_identity.so';
// The name linked programs load: the SONAME, which carries the C ABI version.
const SYSTEM_LIBRARY =
  { darwin: 'libworkload_identity.dylib', win32: 'workload_identity.dll' }[process.platform] ??
  'libworkload_identity.so.1';

/** koffi, or a ConfigurationError saying why npm left it out. */
function requireKoffi() {
  try {
    return require('koffi');
  } catch (cause) {
    if (cause.code !== 'MODULE_NOT_FOUND') throw cause;
    throw new ConfigurationError(
      `koffi is not installed beside ${PACKAGE_DIR}: npm installs no dependencies of a folder ` +
        `installed as a link; run npm install there, or install with --install-links or from the packed tarballs`,
    );
  }
}
const koffi = requireKoffi();

/**
 * The platform package's name for this process, e.g.
 * @workload-identity/node-linux-x64-gnu (Linux names its C library: gnu or musl).
 */
function platformPackage() {
  let name = `@workload-identity/node-${process.platform}-${process.arch}`;
  if (process.platform === 'linux') {
    const report = process.report?.getReport?.();
    name += report?.header?.glibcVersionRuntime ? '-gnu' : '-musl';
  }
  return name;
}

/** The one line for "no library anywhere". */
function notFoundMessage() {
  return (
    `${LIBRARY_FILE} not found: install ${platformPackage()} (npm installs it with @workload-identity/node ` +
    `unless optional dependencies are omitted), or set WI_LIBRARY_PATH to the library's path`
  );
}

/**
 * The library to use: `{ lib, path, version }`, `lib` being koffi's handle.
 * `explicitPath`: the libraryPath option, or undefined.
 */
function locateLibrary(explicitPath) {
  const explicit = explicitPath || process.env.WI_LIBRARY_PATH;
  if (explicit) {
    const chosen = path.resolve(explicit);
    if (!fs.existsSync(chosen)) {
      const source = explicitPath ? 'the libraryPath option' : 'WI_LIBRARY_PATH';
      throw new ConfigurationError(`${source} is ${chosen}, which does not exist`);
    }
    return checked(open(chosen), chosen);
  }
  const bundled = platformLibrary();
  if (bundled) return checked(open(bundled), bundled);
  const system = openSystemLibrary();
  if (system) return system;
  for (let directory = PACKAGE_DIR; ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, 'target', 'release', LIBRARY_FILE);
    if (fs.existsSync(candidate)) return checked(open(candidate), candidate);
    if (fs.existsSync(path.join(directory, 'Cargo.toml')) || path.dirname(directory) === directory) break;
  }
  throw new ConfigurationError(notFoundMessage());
}

/** The library file of the platform package, if that package is installed. */
function platformLibrary() {
  let manifest;
  try {
    manifest = require.resolve(`${platformPackage()}/package.json`);
  } catch {
    return null;
  }
  const library = path.join(path.dirname(manifest), LIBRARY_FILE);
  return fs.existsSync(library) ? library : null;
}

/** The library the system loader finds by its SONAME, checked; null if it finds none. */
function openSystemLibrary() {
  const before = mappedLibraries();
  let lib;
  try {
    lib = koffi.load(SYSTEM_LIBRARY);
  } catch (cause) {
    // The loader skips files of another architecture, so this is "none found".
    if (/cannot open shared object file|image not found/.test(cause.message)) return null;
    throw new ConfigurationError(`cannot load ${SYSTEM_LIBRARY} found by the system loader: ${cause.message}`);
  }
  const loaded = mappedLibraries().filter((file) => !before.includes(file));
  return checked(lib, loaded.length === 1 ? loaded[0] : SYSTEM_LIBRARY);
}

/** Files named libworkload_identity* mapped into this process (Linux; else none). */
function mappedLibraries() {
  let maps;
  try {
    maps = fs.readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const files = maps.match(/\/\S*\/libworkload_identity[^/\s]*$/gm) ?? [];
  return [...new Set(files)];
}

/** koffi.load(file), with a failure explained (another architecture, or the loader's reason). */
function open(file) {
  try {
    return koffi.load(file);
  } catch (cause) {
    const theirs = elfMachine(file);
    const ours = elfMachine(process.execPath);
    if (theirs && ours && (theirs.elfClass !== ours.elfClass || theirs.machine !== ours.machine)) {
      throw new ConfigurationError(
        `${file} is a library for ${machineName(theirs)}, but this Node.js runs on ${machineName(ours)}: ` +
          `install the ${machineName(ours)} build`,
      );
    }
    throw new ConfigurationError(`cannot load ${file}: ${cause.message}`);
  }
}

/** `{ lib, path, version }` if the library's version is at least this package's major.minor. */
function checked(lib, file) {
  let version;
  try {
    version = lib.func('wi_version', 'const char *', [])() ?? '';
  } catch {
    lib.unload();
    throw new ConfigurationError(`${file} is not libworkload_identity (no wi_version)`);
  }
  if (compareMajorMinor(version, PACKAGE_VERSION) < 0) {
    lib.unload();
    throw new ConfigurationError(
      `${file} is libworkload_identity ${version}, older than ${PACKAGE_VERSION}, which this package needs: ` +
        `install libworkload_identity ${PACKAGE_VERSION} or newer`,
    );
  }
  return { lib, path: file, version };
}

/** The error for a C function this package needs and the library `located` lacks. */
function missingFunction(located, name) {
  return new ConfigurationError(
    `${located.path} (libworkload_identity ${located.version}) has no ${name}: ` +
      `this package needs the library of version ${PACKAGE_VERSION}`,
  );
}

/** Compares the major.minor of two version strings; one without any is the oldest. */
function compareMajorMinor(left, right) {
  const parse = (version) => {
    const match = /^(\d+)\.(\d+)/.exec(version);
    return match ? [Number(match[1]), Number(match[2])] : [-1, -1];
  };
  const [a, b] = [parse(left), parse(right)];
  return a[0] - b[0] || a[1] - b[1];
}

// e_machine values of the ELF header, for messages.
const ELF_MACHINES = {
  3: 'x86 (32-bit)',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 's390x',
  40: 'ARM (32-bit)',
  62: 'x86_64',
  183: 'aarch64',
  243: 'RISC-V',
  258: 'LoongArch',
};

/** `{ elfClass, machine }` of an ELF file, or null if it is none (or unreadable). */
function elfMachine(file) {
  const header = Buffer.alloc(20);
  let fd;
  try {
    fd = fs.openSync(file, 'r');
    if (fs.readSync(fd, header, 0, 20, 0) < 20) return null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return null;
  const machine = header[5] === 1 ? header.readUInt16LE(18) : header.readUInt16BE(18);
  return { elfClass: header[4], machine };
}

function machineName({ elfClass, machine }) {
  const name = ELF_MACHINES[machine] ?? `ELF machine ${machine}`;
  return elfClass === 2 || name.includes('32-bit') ? name : `${name} (32-bit)`;
}

module.exports = { koffi, locateLibrary, missingFunction, notFoundMessage, platformPackage, LIBRARY_FILE };
