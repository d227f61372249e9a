// Benchmark (not a test): ns/op of cached access-token calls against a local
// dev server, next to a JS floor that returns a cached string after a clock
// check. Run: node bench.mjs   (WI_LIBRARY_PATH / WI_DEVSERVER as for the tests)
import { Client, version } from './index.js';
import { startDevServer } from './tests/devserver.mjs';

const server = await startDevServer();
const client = new Client(server.options());

function report(label, iterations, started) {
  const ns = Number(process.hrtime.bigint() - started) / iterations;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(8)} ns/op`);
}

function benchSync(label, iterations, fn) {
  for (let i = 0; i < iterations / 10; i += 1) fn();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) fn();
  report(label, iterations, started);
}

async function benchAsync(label, iterations, concurrency, fn) {
  const batch = () => Promise.all(Array.from({ length: concurrency }, fn));
  for (let i = 0; i < iterations / concurrency / 10; i += 1) await batch();
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations / concurrency; i += 1) await batch();
  report(label, iterations, started);
}

// The floor: what any cache in JS costs at least.
const cached = { token: client.getAccessTokenSync(), expiresAt: Date.now() + 3_600_000 };
const jsFloor = () => (Date.now() < cached.expiresAt ? cached.token : null);
const perfFloor = () => (performance.now() < cached.expiresAt ? cached.token : null);

try {
  console.log(`library ${version()}, node ${process.version}, ${process.arch}`);
  benchSync('JS floor (Date.now() check)', 2_000_000, jsFloor);
  benchSync('JS floor (performance.now() check)', 2_000_000, perfFloor);
  benchSync('getAccessTokenSync() (cached)', 200_000, () => client.getAccessTokenSync());
  await benchAsync('await getAccessToken() (cached, one at a time)', 20_000, 1, () => client.getAccessToken());
  await benchAsync('getAccessToken() (cached, 64 concurrent)', 64_000, 64, () => client.getAccessToken());
} finally {
  client.close();
  await server.stop();
}
