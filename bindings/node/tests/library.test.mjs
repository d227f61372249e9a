// Which native library the package loads (lib/locate.cjs), and what it says
// when none fits. Cases that depend on the environment at start-up or on
// where the package sits run a fresh node on a copy of the package outside
// the source tree. The unusable libraries come from scripts/make-bad-libraries.sh.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { Client, ConfigurationError } from '../index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.join(here, '..');
const repo = path.join(packageDir, '..', '..');
const library = process.env.WI_LIBRARY_PATH || path.join(repo, 'target', 'release', 'libworkload_identity.so');
const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
const options = {
  clientId: 'x',
  clientSecret: 'y',
  tokenEndpoint: 'http://127.0.0.1:9/t',
  accessTokenEndpoint: 'http://127.0.0.1:9/a',
};

// Prints "loaded <version>", or the error a user would see.
const PROBE = `
const { Client, version } = require('@workload-identity/node');
try {
  new Client(${JSON.stringify(options)}).close();
  console.log('loaded', version());
} catch (error) {
  console.log(error.name + ': ' + error.message);
}`;

let work;
let bad;
before(() => {
  work = mkdtempSync(path.join(tmpdir(), 'wi-node-library-'));
  bad = path.join(work, 'bad');
  execFileSync(path.join(repo, 'scripts', 'make-bad-libraries.sh'), [bad], {
    env: { ...process.env, WI_LIBRARY_PATH: library },
  });
});
after(() => rmSync(work, { recursive: true, force: true }));

/** A project outside the tree with a copy of the package in node_modules; koffi linked in. */
function project(name, { koffi = true } = {}) {
  const root = path.join(work, name);
  const copy = path.join(root, 'node_modules', '@workload-identity', 'node');
  mkdirSync(copy, { recursive: true });
  for (const file of ['package.json', 'index.js', 'index.cjs', 'lib']) {
    cpSync(path.join(packageDir, file), path.join(copy, file), { recursive: true });
  }
  if (koffi) {
    for (const dependency of ['koffi', '@koromix']) {
      symlinkSync(path.join(packageDir, 'node_modules', dependency), path.join(root, 'node_modules', dependency));
    }
  }
  return root;
}

async function probe(root, env = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key !== 'WI_LIBRARY_PATH' && key !== 'LD_LIBRARY_PATH'),
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', PROBE], {
    cwd: root,
    env: { ...clean, ...env },
  });
  return stdout.trim();
}

const notFound =
  'ConfigurationError: libworkload_identity.so not found: install @workload-identity/node-linux-' +
  `${arch()}-gnu (npm installs it with @workload-identity/node unless optional dependencies are omitted), ` +
  "or set WI_LIBRARY_PATH to the library's path";

test('no library anywhere: one line saying what to do', async () => {
  assert.equal(await probe(project('bare')), notFound);
});

test('WI_LIBRARY_PATH comes first, and a missing one is named', async () => {
  const root = project('explicit');
  assert.equal(await probe(root, { WI_LIBRARY_PATH: library }), `loaded ${version}`);
  assert.equal(
    await probe(root, { WI_LIBRARY_PATH: '/nonexistent/libworkload_identity.so' }),
    'ConfigurationError: WI_LIBRARY_PATH is /nonexistent/libworkload_identity.so, which does not exist',
  );
});

test('the platform package comes before the system loader', async () => {
  const root = project('platform');
  const platform = path.join(root, 'node_modules', '@workload-identity', `node-linux-${arch()}-gnu`);
  mkdirSync(platform);
  writeFileSync(path.join(platform, 'package.json'), JSON.stringify({ name: 'platform', version }));
  copyFileSync(library, path.join(platform, 'libworkload_identity.so'));
  assert.equal(await probe(root, { LD_LIBRARY_PATH: path.join(bad, 'old') }), `loaded ${version}`);
});

test('the system loader finds the SONAME, and a bad one is named by its file', async () => {
  const root = project('system');
  const system = path.join(work, 'system-lib');
  mkdirSync(system);
  symlinkSync(library, path.join(system, 'libworkload_identity.so.1'));
  assert.equal(await probe(root, { LD_LIBRARY_PATH: system }), `loaded ${version}`);
  assert.equal(
    await probe(root, { LD_LIBRARY_PATH: path.join(bad, 'old') }),
    `ConfigurationError: ${path.join(bad, 'old', 'libworkload_identity.so')} is libworkload_identity 0.0.9, ` +
      `older than ${version}, which this package needs: install libworkload_identity ${version} or newer`,
  );
});

test('another architecture: the file and both machines', () => {
  const file = path.join(bad, 'wrong-arch', 'libworkload_identity.so');
  const [theirs, ours] = arch() === 'arm64' ? ['x86_64', 'aarch64'] : ['aarch64', 'x86_64'];
  assert.throws(() => new Client({ ...options, libraryPath: file }), (error) => {
    assert.ok(error instanceof ConfigurationError);
    assert.equal(
      error.message,
      `${file} is a library for ${theirs}, but this Node.js runs on ${ours}: install the ${ours} build`,
    );
    return true;
  });
});

test('an older library: the file and both versions', () => {
  const file = path.join(bad, 'old', 'libworkload_identity.so');
  assert.throws(() => new Client({ ...options, libraryPath: file }), {
    name: 'ConfigurationError',
    message:
      `${file} is libworkload_identity 0.0.9, older than ${version}, which this package needs: ` +
      `install libworkload_identity ${version} or newer`,
  });
});

test('a library lacking a function: the function and both versions', () => {
  const file = path.join(bad, 'lacking', 'libworkload_identity.so');
  assert.throws(() => new Client({ ...options, libraryPath: file }), {
    name: 'ConfigurationError',
    message:
      `${file} (libworkload_identity ${version}) has no wi_options_new: ` +
      `this package needs the library of version ${version}`,
  });
});

test('koffi missing beside the package (a folder installed as a link) is explained', async () => {
  const root = project('no-koffi', { koffi: false });
  const message = await probe(root, { WI_LIBRARY_PATH: library }).catch((error) => error.stderr);
  assert.match(message, /ConfigurationError: koffi is not installed beside .*: npm installs no dependencies/);
});
