// Writes the npm tarballs into dist/: the main package (this directory) and
// the platform package of this machine (e.g. @workload-identity/node-linux-x64-gnu),
// which holds the shared library. The packed main package names the platform
// package among its optionalDependencies, as esbuild and @swc/core ship their
// binaries: npm installs only the platform package whose os, cpu and libc
// match. (package.json itself does not: `npm ci` here would look for an
// unpublished package. A release built on several machines lists each.)
// Run through `make -C bindings/node pack`, which builds the library first.
//
// Usage: node pack.mjs LIBRARY   (the built libworkload_identity.so)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
const library = process.argv[2];
if (!library || !existsSync(library)) {
  console.error(`usage: node pack.mjs LIBRARY (given: ${library ?? 'nothing'})`);
  process.exit(2);
}

const { platformPackage, LIBRARY_FILE } = createRequire(import.meta.url)('./lib/locate.cjs');
const main = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8'));
const name = platformPackage();
const [, os, cpu, libc] = /^@workload-identity\/node-([^-]+)-([^-]+)(?:-(gnu|musl))?$/.exec(name);
const dist = path.join(here, 'dist');
const mainStage = path.join(dist, 'stage', 'node');
const stage = path.join(dist, 'stage', name.split('/')[1]);
rmSync(dist, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

// The main package: the files npm would pack from here, and its manifest
// with the platform package added.
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--silent'], { cwd: here, encoding: 'utf8' }),
)[0].files.map((file) => file.path);
for (const file of packed) {
  mkdirSync(path.dirname(path.join(mainStage, file)), { recursive: true });
  copyFileSync(path.join(here, file), path.join(mainStage, file));
}
copyFileSync(path.join(root, 'LICENSE'), path.join(mainStage, 'LICENSE'));
const mainManifest = { ...main, optionalDependencies: { ...main.optionalDependencies, [name]: main.version } };
writeFileSync(path.join(mainStage, 'package.json'), `${JSON.stringify(mainManifest, null, 2)}\n`);

copyFileSync(library, path.join(stage, LIBRARY_FILE));
copyFileSync(path.join(root, 'LICENSE'), path.join(stage, 'LICENSE'));
const platformManifest = {
  name,
  version: main.version,
  description: `The libworkload_identity shared library of ${main.name} for ${os} ${cpu}${libc ? ` (${libc})` : ''}`,
  license: main.license,
  os: [os],
  cpu: [cpu],
  ...(libc && { libc: [libc === 'gnu' ? 'glibc' : 'musl'] }),
  files: [LIBRARY_FILE],
  // Yarn Plug'n'Play: unpack it, so that the library is a file on disk.
  preferUnplugged: true,
};
writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(platformManifest, null, 2)}\n`);
writeFileSync(
  path.join(stage, 'README.md'),
  `# ${name}\n\nThe native library of ${main.name} ` +
    `for ${os} ${cpu}${libc ? ` (${libc})` : ''}. Install ${main.name}: ` +
    'npm picks this package when it fits the machine.\n',
);

const pack = (directory) =>
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dist], { cwd: directory, encoding: 'utf8' }).trim();
for (const tarball of [pack(mainStage), pack(stage)]) console.log(path.join(dist, tarball));
rmSync(path.join(dist, 'stage'), { recursive: true });
