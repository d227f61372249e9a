// 100k cached calls must not grow native memory: every returned string goes
// back through wi_free_string and every error through wi_error_free.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { Client, InvalidArgumentError } from '../index.js';
import { startDevServer } from './devserver.mjs';
import { memoryFigures } from './memory_probe.mjs';

const CALLS = 100_000;
const ALLOWED_RSS_GROWTH_MB = 10;
// A leak of one small string per call would be several MB here.
const ALLOWED_MALLOC_GROWTH_MB = 1;

let server;
before(async () => {
  server = await startDevServer();
});
after(() => server.stop());

/** Runs `round()` twice to warm up (V8 and malloc settle), then once measured. */
async function assertNoGrowth(t, label, round) {
  await round();
  await round();
  const before = await memoryFigures();
  await round();
  const after = await memoryFigures();
  const rssGrowth = after.rssMb - before.rssMb;
  let line = `${label}: RSS ${before.rssMb.toFixed(1)} -> ${after.rssMb.toFixed(1)} MB (${rssGrowth.toFixed(2)})`;
  if (before.mallocMb !== null) {
    const mallocGrowth = after.mallocMb - before.mallocMb;
    const figures = `${before.mallocMb.toFixed(2)} -> ${after.mallocMb.toFixed(2)} MB`;
    line += `, malloc in use ${figures} (${mallocGrowth.toFixed(3)})`;
    assert.ok(mallocGrowth < ALLOWED_MALLOC_GROWTH_MB, `malloc in use grew by ${mallocGrowth.toFixed(3)} MB`);
  }
  t.diagnostic(line);
  assert.ok(rssGrowth < ALLOWED_RSS_GROWTH_MB, `RSS grew by ${rssGrowth.toFixed(1)} MB`);
}

test(`${CALLS} cached getAccessTokenSync() calls: no native growth`, async (t) => {
  const client = new Client(server.options());
  try {
    const token = client.getAccessTokenSync();
    await assertNoGrowth(t, `${CALLS} getAccessTokenSync()`, () => {
      for (let i = 0; i < CALLS; i += 1) {
        if (client.getAccessTokenSync() !== token) throw new Error('token changed');
      }
    });
  } finally {
    client.close();
  }
});

test(`${CALLS} cached await getAccessToken() calls: no native growth`, async (t) => {
  const client = new Client(server.options());
  try {
    const token = await client.getAccessToken();
    await assertNoGrowth(t, `${CALLS} await getAccessToken()`, async () => {
      for (let i = 0; i < CALLS / 100; i += 1) {
        const batch = await Promise.all(Array.from({ length: 100 }, () => client.getAccessToken()));
        if (batch.some((value) => value !== token)) throw new Error('token changed');
      }
    });
  } finally {
    client.close();
  }
});

test(`${CALLS} calls failing in the library: no native growth`, async (t) => {
  const client = new Client(server.options());
  try {
    await assertNoGrowth(t, `${CALLS} getIntegrationCredentialSync('') errors`, () => {
      for (let i = 0; i < CALLS; i += 1) {
        try {
          client.getIntegrationCredentialSync('');
          throw new Error('expected a failure');
        } catch (error) {
          if (!(error instanceof InvalidArgumentError)) throw error;
        }
      }
    });
  } finally {
    client.close();
  }
});

test('10k clients created and closed: no native growth', async (t) => {
  const options = server.options();
  await assertNoGrowth(t, '10000 new Client() + close()', () => {
    for (let i = 0; i < 10_000; i += 1) new Client(options).close();
  });
});
