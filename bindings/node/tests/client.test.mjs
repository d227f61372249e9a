// Happy paths and what the library puts on the wire, against a real dev server.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Client, version, WorkloadIdentityError } from '../index.js';
import { startDevServer } from './devserver.mjs';
import { assertAccessToken, assertDifferentSecret, assertSameSecret } from './secret_assert.mjs';

let server;
before(async () => {
  server = await startDevServer();
});
after(() => server.stop());

test('version() is the library version', () => {
  assert.match(version(), /^\d+\.\d+\.\d+/);
});

test('the CommonJS entry exports the same objects', () => {
  const required = createRequire(import.meta.url)('../index.cjs');
  assert.equal(required.Client, Client);
  assert.equal(required.WorkloadIdentityError, WorkloadIdentityError);
});

test('getAccessToken fetches once, then serves the cache (async and sync)', async () => {
  const options = await server.freshOptions();
  const client = new Client(options);
  try {
    const token = await client.getAccessToken();
    assertAccessToken(token);
    assertSameSecret(client.getAccessTokenSync(), token, 'sync call after async');
    assertSameSecret(await client.getAccessToken(), token, 'second async call');
    const requests = await server.requests(options.clientId);
    assert.deepEqual(
      requests.map((r) => r.path),
      ['/oauth/token', '/oauth/exchange'],
    );
    const stats = client.stats();
    assert.equal(stats.cacheMisses, 1);
    assert.equal(stats.cacheHits, 2);
    assert.equal(stats.refreshesSucceeded, 1);
    assert.equal(stats.serverRequests, 2);
  } finally {
    client.close();
  }
});

test('the two-step flow sends the Coze protocol requests', async () => {
  const options = await server.freshOptions();
  const client = new Client(options);
  try {
    client.getAccessTokenSync();
    const [token, exchange] = await server.requests(options.clientId);
    assert.equal(token.method, 'POST');
    assert.equal(token.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(token.form.grant_type, 'client_credentials');
    assertSameSecret(token.form.client_secret, 'fresh-secret', 'client_secret sent');
    assert.equal(exchange.form.grant_type, 'urn:ietf:params:oauth:grant-type:token-exchange');
    assert.equal(exchange.form.subject_token_type, 'urn:ietf:params:oauth:token-type:id_token');
    assert.ok(/^idt_[0-9a-f]{32}$/.test(exchange.form.subject_token), 'the subject token is the ID token');
    assert.equal(token.headers['x-tt-env'], undefined, 'no lane: no lane header');
  } finally {
    client.close();
  }
});

test('a ppe_ lane adds x-tt-env and x-use-ppe to every request', async () => {
  const options = await server.freshOptions({ serverEnv: 'ppe_node', userAgent: 'node-binding-test' });
  const client = new Client(options);
  try {
    assert.equal(await client.getIntegrationCredential('github'), 'ghp_dev_github_credential');
    const requests = (await server.requests()).filter(
      (r) => r.headers['user-agent'] === 'node-binding-test',
    );
    assert.deepEqual(
      requests.map((r) => r.path),
      ['/oauth/token', '/oauth/exchange', '/outbound/integration'],
    );
    for (const request of requests) {
      assert.equal(request.headers['x-tt-env'], 'ppe_node', request.path);
      assert.equal(request.headers['x-use-ppe'], '1', request.path);
    }
  } finally {
    client.close();
  }
});

test('a boe_ lane sends x-tt-env only; snake_case option keys work', async () => {
  const options = await server.freshOptions();
  const client = new Client({
    client_id: options.clientId,
    client_secret: options.clientSecret,
    token_endpoint: options.tokenEndpoint,
    access_token_endpoint: options.accessTokenEndpoint,
    server_env: 'boe_node',
  });
  try {
    client.getAccessTokenSync();
    const requests = await server.requests(options.clientId);
    assert.equal(requests.length, 2);
    for (const request of requests) {
      assert.equal(request.headers['x-tt-env'], 'boe_node');
      assert.equal(request.headers['x-use-ppe'], undefined);
    }
  } finally {
    client.close();
  }
});

test('integration credentials, async and sync, with the bearer token', async () => {
  const client = new Client(server.options());
  try {
    assert.equal(await client.getIntegrationCredential('github'), 'ghp_dev_github_credential');
    assert.equal(client.getIntegrationCredentialSync('slack'), 'xoxb-dev-slack-credential');
    const token = client.getAccessTokenSync();
    const integration = (await server.requests()).filter((r) => r.path === '/outbound/integration').at(-1);
    assertSameSecret(integration.headers.authorization, `Bearer ${token}`, 'Authorization header');
    assert.deepEqual(JSON.parse(integration.body), { integration_name: 'slack' });
  } finally {
    client.close();
  }
});

test('project env vars arrive parsed, in server order, non-ASCII intact', async () => {
  const client = new Client(server.options());
  const expected = [
    { key: 'DATABASE_URL', value: 'postgres://dev:dev@127.0.0.1/dev' },
    { key: 'FEATURE_FLAG', value: 'on' },
    { key: 'GREETING', value: 'héllo wörld' },
  ];
  try {
    assert.deepEqual(await client.getProjectEnvVars(), expected);
    assert.deepEqual(client.getProjectEnvVarsSync(), expected);
  } finally {
    client.close();
  }
});

test('exchangeToken sends every RFC 8693 parameter given', async () => {
  const client = new Client(server.options());
  try {
    const params = {
      subjectToken: 'external-subject',
      subjectTokenType: 'urn:example:external',
      audience: 'https://api.example.com',
      resource: 'https://api.example.com/r',
      scope: 'read write',
      requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
      actorToken: 'external-actor',
      actorTokenType: 'urn:example:actor',
    };
    const issued = await client.exchangeToken(params);
    assertAccessToken(issued);
    const { form } = (await server.requests()).filter((r) => r.path === '/oauth/exchange').at(-1);
    assert.equal(form.subject_token, 'external-subject');
    assert.equal(form.subject_token_type, 'urn:example:external');
    assert.equal(form.audience, 'https://api.example.com');
    assert.equal(form.resource, 'https://api.example.com/r');
    assert.equal(form.scope, 'read write');
    assert.equal(form.requested_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    assert.equal(form.actor_token, 'external-actor');
    assert.equal(form.actor_token_type, 'urn:example:actor');

    assertAccessToken(client.exchangeTokenSync({ subject_token: issued }));
    const last = (await server.requests()).filter((r) => r.path === '/oauth/exchange').at(-1);
    assert.equal(last.form.subject_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    assert.equal(last.form.audience, undefined, 'absent parameters are left out');
  } finally {
    client.close();
  }
});

test('invalidateToken drops only the rejected token; forceRefresh fetches anew', async () => {
  const options = await server.freshOptions();
  const client = new Client(options);
  try {
    const first = client.getAccessTokenSync();
    client.invalidateToken('not-the-cached-token');
    assertSameSecret(client.getAccessTokenSync(), first, 'another token leaves the cache alone');

    client.invalidateToken(first);
    const second = await client.getAccessToken();
    assertDifferentSecret(second, first, 'token after invalidate');

    const third = await client.forceRefresh();
    assertDifferentSecret(third, second, 'token after forceRefresh');
    assertSameSecret(client.getAccessTokenSync(), third, 'cached token after forceRefresh');
    const fourth = client.forceRefreshSync();
    assertDifferentSecret(fourth, third, 'token after forceRefreshSync');
    assert.equal((await server.requests(options.clientId)).length, 8);
  } finally {
    client.close();
  }
});

test('no options reads the environment (NULL options)', async () => {
  const options = await server.freshOptions();
  const variables = {
    COZE_WORKLOAD_IDENTITY_CLIENT_ID: options.clientId,
    COZE_WORKLOAD_IDENTITY_CLIENT_SECRET: options.clientSecret,
    COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT: options.tokenEndpoint,
    COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT: options.accessTokenEndpoint,
  };
  Object.assign(process.env, variables);
  let client;
  try {
    client = new Client();
  } finally {
    for (const name of Object.keys(variables)) delete process.env[name];
  }
  try {
    assertAccessToken(await client.getAccessToken());
    assert.equal((await server.requests(options.clientId)).length, 2);
  } finally {
    client.close();
  }
});

test('close() is idempotent and Symbol.dispose closes', () => {
  const client = new Client(server.options());
  client.close();
  client.close();
  assert.equal(client.closed, true);
  const disposable = new Client(server.options());
  disposable[Symbol.dispose]();
  assert.equal(disposable.closed, true);
});

test('a second copy of the module (fresh module registry) works beside the first', () => {
  const require = createRequire(import.meta.url);
  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  const saved = { ...require.cache };
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(packageDir) && !key.includes('node_modules')) delete require.cache[key];
  }
  try {
    const copy = require('../index.cjs');
    assert.notEqual(copy.Client, Client);
    const client = new copy.Client(server.options());
    try {
      assertAccessToken(client.getAccessTokenSync());
    } finally {
      client.close();
    }
  } finally {
    Object.assign(require.cache, saved);
  }
});

test('an invalidation through one client ends the leases of every client of the identity', async () => {
  const options = await server.freshOptions();
  const [a, b] = [new Client(options), new Client(options)];
  try {
    // The second call is answered from the cache: it comes with a lease.
    a.getAccessTokenSync();
    let first = a.getAccessTokenSync();
    assertSameSecret(b.getAccessTokenSync(), first, 'one identity, one token');
    b.invalidateToken(first);
    let next = a.getAccessTokenSync();
    assertDifferentSecret(next, first, 'after another client invalidated it (sync)');
    first = a.getAccessTokenSync();
    assertSameSecret(first, next, 'leased again');
    await b.forceRefresh();
    next = await a.getAccessToken();
    assertDifferentSecret(next, first, 'after another client forced a refresh (async)');
  } finally {
    a.close();
    b.close();
  }
});
