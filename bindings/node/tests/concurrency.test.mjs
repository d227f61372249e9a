// Async behaviour: one refresh for many callers, an event loop that keeps
// running while the server is slow, and close() with calls in flight.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { Client, InvalidArgumentError } from '../index.js';
import { startDevServer } from './devserver.mjs';
import { assertAccessToken, assertSameSecret } from './secret_assert.mjs';
import { collectGarbage } from './memory_probe.mjs';

let server;
before(async () => {
  server = await startDevServer();
});
after(() => server.stop());

test('200 concurrent getAccessToken() on a cold cache: one token request, one exchange', async () => {
  const options = await server.freshOptions();
  const client = new Client(options);
  try {
    // Slow the first step so that every call is queued before it answers.
    await server.fault({ path: '/oauth/token', delay_ms: 300 });
    const tokens = await Promise.all(Array.from({ length: 200 }, () => client.getAccessToken()));
    assert.equal(new Set(tokens).size, 1, 'every caller got the same token');
    assertAccessToken(tokens[0]);
    const paths = (await server.requests(options.clientId)).map((r) => r.path);
    assert.deepEqual(paths, ['/oauth/token', '/oauth/exchange']);
    assert.equal(client.stats().refreshesStarted, 1);
  } finally {
    client.close();
  }
});

test('more concurrent calls than koffi queues (1000) all complete', async () => {
  const client = new Client(server.options());
  try {
    const results = await Promise.all(Array.from({ length: 1000 }, () => client.getAccessToken()));
    assert.equal(results.length, 1000);
    assert.equal(new Set(results).size, 1);
  } finally {
    client.close();
  }
});

test('the event loop keeps ticking while the server delays its answer', async () => {
  const client = new Client(await server.freshOptions());
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
  }, 20);
  try {
    await server.fault({ path: '/oauth/token', delay_ms: 600 });
    const started = Date.now();
    const token = await client.getAccessToken();
    const elapsed = Date.now() - started;
    assertAccessToken(token);
    assert.ok(elapsed >= 500, `the delay was applied (${elapsed} ms)`);
    assert.ok(ticks >= 5, `the timer fired ${ticks} times during a ${elapsed} ms call`);
  } finally {
    clearInterval(timer);
    client.close();
  }
});

test('close() with calls in flight: they finish, the handle is freed after, new calls fail', async () => {
  const client = new Client(await server.freshOptions());
  await server.fault({ path: '/oauth/token', delay_ms: 300 });
  const pending = [client.getAccessToken(), client.getProjectEnvVars(), client.forceRefresh()];
  client.close();
  await assert.rejects(client.getAccessToken(), InvalidArgumentError);
  const [token, vars, refreshed] = await Promise.all(pending);
  assertAccessToken(token);
  assert.equal(vars.length, 3);
  assertAccessToken(refreshed);
  assert.throws(() => client.getAccessTokenSync(), /closed/);
  client.close();
});

test('a client dropped with calls in flight is collected safely (FinalizationRegistry)', async () => {
  const options = await server.freshOptions();
  await server.fault({ path: '/oauth/token', delay_ms: 200 });
  let collected = false;
  const watcher = new FinalizationRegistry(() => {
    collected = true;
  });
  const pending = (() => {
    const client = new Client(options);
    watcher.register(client, null);
    return Promise.all([client.getAccessToken(), client.getAccessToken()]);
  })();
  for (let i = 0; i < 20 && !collected; i += 1) {
    collectGarbage();
    await sleep(10);
  }
  assert.ok(collected, 'the client was collected while its calls were in flight');
  const [first, second] = await pending;
  assertAccessToken(first);
  assertSameSecret(first, second, 'both calls');
});
