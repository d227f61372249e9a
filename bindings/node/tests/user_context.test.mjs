// Per-request user context (runAsUser, AsyncLocalStorage): inside it the
// token is delegated for that user, outside it is the workload's own, and no
// user ever leaks into another request: many promises for different users
// interleaved on one event loop, each checking that it only ever sees its
// own user's token; a scope that throws or rejects; a scope left early.
// Delegation itself: caching, bad input, a refused user token.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

import { Client, InvalidArgumentError, TokenExchangeError, currentUserToken, runAsUser } from '../index.js';
import { startDevServer } from './devserver.mjs';
import { assertSameSecret, assertDifferentSecret } from './secret_assert.mjs';

const USERS = 8;
const REQUESTS = 200;

let server;
before(async () => {
  server = await startDevServer();
});
after(() => server.stop());

/** A client of a fresh identity, and user tokens user-0 .. user-7 by name. */
async function setUp() {
  const client = new Client(await server.freshOptions());
  const users = new Map();
  for (let n = 0; n < USERS; n += 1) users.set(`user-${n}`, await server.userToken(`user-${n}`));
  return { client, users, own: await client.getAccessToken() };
}

/** Who each token stands for, asked of the server once per token. */
function owners() {
  const known = new Map();
  return (token) => {
    if (!known.has(token)) known.set(token, server.subjectOf(token));
    return known.get(token);
  };
}

test('200 requests for 8 users interleaved on one event loop never see another user', async () => {
  const { client, users, own } = await setUp();
  const ownerOf = owners();
  try {
    const names = [undefined, ...users.keys()];
    const request = async (index) => {
      const name = names[index % names.length];
      const calls = async () => {
        const seen = new Set();
        for (let call = 0; call < 4; call += 1) {
          // Async and sync calls, with turns of the event loop in between.
          const token = call % 2 === 0 ? await client.getAccessToken() : client.getAccessTokenSync();
          seen.add(token);
          if (name === undefined) assertSameSecret(token, own, 'a request without a user');
          else assert.equal(await ownerOf(token), name, 'a request saw another user');
          await (index % 3 === 0 ? nextTurn() : sleep(Math.random() * 3));
        }
        // A timer started inside the scope runs for the same user.
        const later = await new Promise((resolve) => setTimeout(() => resolve(client.getAccessTokenSync()), 1));
        assertSameSecret(later, [...seen][0], 'a timer started in the scope');
        return seen;
      };
      const seen = name === undefined ? await calls() : await client.runAsUser(users.get(name), calls);
      assert.equal(currentUserToken(), undefined);
      return [name, seen];
    };
    const results = await Promise.all(Array.from({ length: REQUESTS }, (_, index) => request(index)));
    const byUser = new Map();
    for (const [name, seen] of results) {
      assert.equal(seen.size, 1, 'one token per request');
      if (name !== undefined) byUser.set(name, new Set([...(byUser.get(name) ?? []), ...seen]));
    }
    assert.equal(byUser.size, USERS);
    for (const tokens of byUser.values()) assert.equal(tokens.size, 1, 'one token per user');
    const distinct = new Set([...byUser.values()].map((tokens) => [...tokens][0]));
    assert.equal(distinct.size, USERS, 'users never share a token');
    const stats = client.stats();
    // Every call that had to wait for its user's first token is a miss.
    assert.ok(stats.exchangeCacheMisses >= USERS);
    assert.ok(stats.exchangeCacheHits > 0);
    assert.equal(currentUserToken(), undefined);
    assertSameSecret(await client.getAccessToken(), own, 'outside every scope');
  } finally {
    client.close();
  }
});

test('a scope that throws or rejects leaves nothing behind', async () => {
  const { client, users, own } = await setUp();
  try {
    assert.throws(
      () =>
        runAsUser(users.get('user-1'), () => {
          assertDifferentSecret(client.getAccessTokenSync(), own, 'inside the scope');
          throw new Error('the request failed');
        }),
      /the request failed/,
    );
    assert.equal(currentUserToken(), undefined);
    assertSameSecret(client.getAccessTokenSync(), own, 'after a throw');
    await assert.rejects(
      client.runAsUser(users.get('user-1'), async () => {
        await client.getAccessToken();
        throw new Error('rejected');
      }),
      /rejected/,
    );
    assert.equal(currentUserToken(), undefined);
    assertSameSecret(await client.getAccessToken(), own, 'after a rejection');
  } finally {
    client.close();
  }
});

test('a scope left early: its pending work keeps its user, the caller has none', async () => {
  const { client, users, own } = await setUp();
  const ownerOf = owners();
  try {
    let pending;
    const returned = client.runAsUser(users.get('user-2'), () => {
      // Work the scope starts and does not wait for: it still runs for user-2.
      pending = sleep(20).then(() => client.getAccessToken());
      return 'left before the work ended';
    });
    assert.equal(returned, 'left before the work ended');
    assert.equal(currentUserToken(), undefined);
    assertSameSecret(await client.getAccessToken(), own, 'right after the scope');
    assert.equal(await ownerOf(await pending), 'user-2');
    // Nested scopes: the innermost wins, the outer comes back.
    await runAsUser(users.get('user-3'), async () => {
      const outer = await client.getAccessToken();
      await runAsUser(users.get('user-4'), async () => {
        assert.equal(await ownerOf(await client.getAccessToken()), 'user-4');
      });
      assertSameSecret(await client.getAccessToken(), outer, 'the outer scope');
    });
  } finally {
    client.close();
  }
});

test('delegation is cached per user, audience and scope', async () => {
  const { client, users } = await setUp();
  try {
    const user = users.get('user-5');
    const first = await client.getDelegatedToken(user);
    assertSameSecret(client.getDelegatedTokenSync(user), first, 'the cached token');
    const targeted = await client.getDelegatedToken(user, { audience: 'orders', scope: 'orders:read' });
    assertDifferentSecret(targeted, first, 'another audience and scope');
    assert.equal(await server.subjectOf(targeted), 'user-5');
    const last = (await server.requests()).filter((r) => r.path === '/oauth/exchange').at(-1);
    assert.equal(last.form.audience, 'orders');
    assert.equal(last.form.scope, 'orders:read');
    const stats = client.stats();
    assert.deepEqual([stats.exchangeCacheMisses, stats.exchangeCacheHits], [2, 1]);
  } finally {
    client.close();
  }
});

test('bad user tokens are refused before any request', async () => {
  const client = new Client(await server.freshOptions());
  try {
    for (const bad of ['', 'at_x\0y', null, 42, '\ud800']) {
      assert.throws(() => runAsUser(bad, () => {}), InvalidArgumentError);
      assert.throws(() => client.getDelegatedTokenSync(bad), InvalidArgumentError);
      await assert.rejects(client.getDelegatedToken(bad), InvalidArgumentError);
    }
    assert.throws(() => client.getDelegatedTokenSync('at_x', { audiences: 'a' }), /unknown delegation option/);
    assert.throws(() => runAsUser('at_x'), InvalidArgumentError);
    assert.equal(client.stats().serverRequests, 0);
  } finally {
    client.close();
  }
});

test('a refused user token says so, is not retried and is not cached', async () => {
  const { client } = await setUp();
  try {
    const expired = `at_${'0'.repeat(32)}`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const before = await server.count('/oauth/exchange');
      const error = await client.runAsUser(expired, () => client.getAccessToken()).then(
        () => assert.fail('the delegation succeeded'),
        (caught) => caught,
      );
      assert.ok(error instanceof TokenExchangeError);
      assert.match(error.message, /refused the user token/);
      assert.ok(!error.message.includes(expired), 'the message holds no token');
      assert.equal(error.oauthCode, 'invalid_grant');
      assert.equal(error.retryable, false);
      assert.equal(await server.count('/oauth/exchange'), before + 1, 'asked once more: not cached');
    }
  } finally {
    client.close();
  }
});
