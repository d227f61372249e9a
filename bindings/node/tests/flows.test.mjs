// The flows and client authentications of version 2 through the binding,
// against the dev server's OAuth token endpoint (/oauth2/token); the token's
// expiry, the non-blocking probe, the token store, and every option key.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Client, ConfigurationError, Status, StoreError, TokenExchangeError, TokenRetrievalError } from '../index.js';
import { startDevServer } from './devserver.mjs';
import { assertAccessToken, assertDifferentSecret, assertSameSecret } from './secret_assert.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const keys = path.join(repo, 'tools/devserver/tests/keys');

let server;
let scratch;
before(async () => {
  // Only the options a test gives may configure its clients.
  for (const name of Object.keys(process.env)) if (name.startsWith('COZE_')) delete process.env[name];
  server = await startDevServer();
  scratch = mkdtempSync(path.join(tmpdir(), 'wi-node-flows-'));
});
after(async () => {
  await server.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Options of `flow` at the dev server's OAuth token endpoint. */
function flowOptions(flow, extra) {
  return { flow, tokenEndpoint: server.oauthTokenEndpoint, ...extra };
}

/** Runs `use(client)` on a new client, closed afterwards. */
async function withClient(options, use) {
  const client = new Client(options);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** `error` is a `Class` with the given members and a message matching each of `mentions`, holding no `secret`. */
function check(Class, members, { mentions = [], secret } = {}) {
  return (error) => {
    assert.ok(error instanceof Class, `${error?.name}: ${error?.message}`);
    for (const [name, value] of Object.entries(members)) assert.equal(error[name], value, name);
    for (const mention of mentions) assert.ok(error.message.includes(mention), `${error.message} lacks ${mention}`);
    if (secret !== undefined) assert.ok(!error.message.includes(secret), 'the message holds a secret');
    return true;
  };
}

const clientCredentialsCases = [
  { name: 'default (client_secret_post)', method: 'client_secret_post', options: {} },
  { name: 'client_secret_post', method: 'client_secret_post', options: { clientAuth: 'client_secret_post' } },
  { name: 'client_secret_basic', method: 'client_secret_basic', options: { clientAuth: 'client_secret_basic' } },
  { name: 'private_key_jwt RS256', method: 'private_key_jwt', key: 'rsa', options: { privateKeyId: 'node-tests' } },
  { name: 'private_key_jwt ES256', method: 'private_key_jwt', key: 'ec', options: {} },
];

for (const { name, method, key, options } of clientCredentialsCases) {
  test(`client_credentials under ${name}`, async () => {
    const clientId = `node-cc-${name.replace(/\W+/g, '-')}`;
    const credentials = {};
    if (key) {
      await server.config({ client_keys: [[clientId, readFileSync(path.join(keys, `${key}.pub.pem`), 'utf8')]] });
      Object.assign(credentials, { clientAuth: 'private_key_jwt', privateKeyPath: path.join(keys, `${key}.pem`) });
    } else {
      await server.config({ clients: [[clientId, 'node-secret']] });
      credentials.clientSecret = 'node-secret';
    }
    await server.reset();
    const settings = flowOptions('client_credentials', {
      clientId,
      scope: 'read write',
      audience: 'api://node',
      resource: 'https://api.example/',
      ...credentials,
      ...options,
    });
    await withClient(settings, async (client) => {
      const token = await client.getAccessToken();
      assertAccessToken(token);
      assertSameSecret(client.getAccessTokenSync(), token, 'the sync call');
      assertDifferentSecret(client.forceRefreshSync(), token, 'the forced refresh');
      assert.equal(client.stats().serverRequests, 2);
    });
    const requests = await server.requests();
    assert.equal(requests.length, 2);
    for (const request of requests) {
      assert.equal(request.client_auth, method);
      assert.equal(request.form.grant_type, 'client_credentials');
      assert.equal(request.form.scope, 'read write');
      assert.equal(request.form.audience, 'api://node');
      assert.equal(request.form.resource, 'https://api.example/');
      assert.equal('client_secret' in request.form, method === 'client_secret_post');
    }
    if (key) assert.notEqual(requests[0].form.client_assertion, requests[1].form.client_assertion);
  });
}

for (const clientAuth of ['none', 'client_id']) {
  test(`client_auth ${clientAuth} sends client_id alone`, async () => {
    // none and client_id are one method: the header makes each case an identity of its own.
    const credentials = { clientId: 'dev-client', clientSecret: 'dev-secret', clientAuth, 'header.X-Case': clientAuth };
    await server.reset();
    const settings = flowOptions('password', { ...credentials, username: 'dev-user', password: 'dev-password' });
    await withClient(settings, async (client) => assertAccessToken(await client.getAccessToken()));
    const [request] = await server.requests();
    assert.equal(request.client_auth, 'none');
    assert.equal('client_secret' in request.form, false);
    // client_credentials needs proof.
    await withClient(flowOptions('client_credentials', credentials), (client) =>
      assert.rejects(
        client.getAccessToken(),
        check(TokenRetrievalError, { httpStatus: 401, oauthCode: 'invalid_client', retryable: false }),
      ),
    );
  });
}

test('password, then refresh tokens rotated at each fetch; a wrong password', async () => {
  await server.reset();
  const credentials = { clientId: 'dev-client', clientSecret: 'dev-secret', username: 'dev-user' };
  await withClient(
    flowOptions('password', { ...credentials, password: 'dev-password', clientAuth: 'client_secret_basic' }),
    async (client) => {
      await client.getAccessToken();
      await client.forceRefresh();
      await client.forceRefresh();
    },
  );
  const requests = await server.requests();
  assert.deepEqual(
    requests.map((r) => r.form.grant_type),
    ['password', 'refresh_token', 'refresh_token'],
  );
  assert.ok(requests.every((r) => r.client_auth === 'client_secret_basic'));
  assert.equal(requests[0].form.username, 'dev-user');
  assertDifferentSecret(requests[1].form.refresh_token, requests[2].form.refresh_token, 'rotated refresh token');

  await withClient(flowOptions('password', { ...credentials, password: 'not-the-password' }), (client) =>
    assert.rejects(
      client.getAccessToken(),
      check(
        TokenRetrievalError,
        { httpStatus: 400, oauthCode: 'invalid_grant', retryable: false },
        { secret: 'not-the-password' },
      ),
    ),
  );
});

test('refresh_token: rotation, then invalid_grant (not retryable, re-authentication)', async () => {
  const initial = await server.issueToken({ kind: 'refresh', client_id: 'dev-client' });
  const settings = (tenant) =>
    flowOptions('refresh_token', {
      clientId: 'dev-client',
      clientSecret: 'dev-secret',
      refreshToken: initial,
      'header.X-Tenant': tenant,
    });
  await server.reset();
  await withClient(settings('first'), async (client) => {
    await client.getAccessToken();
    await client.forceRefresh();
  });
  const requests = await server.requests();
  assert.equal(requests[0].headers['x-tenant'], 'first'); // header.<Name> keeps its name
  assertSameSecret(requests[0].form.refresh_token, initial, 'first refresh token');
  assertDifferentSecret(requests[1].form.refresh_token, initial, 'rotated refresh token');
  // The initial token was rotated away.
  await withClient(settings('second'), (client) =>
    assert.rejects(
      client.getAccessToken(),
      check(
        TokenRetrievalError,
        { status: Status.TOKEN_RETRIEVAL, oauthCode: 'invalid_grant', retryable: false },
        { mentions: ['re-authentication'], secret: initial },
      ),
    ),
  );
});

test('token_exchange reads its subject token file at every fetch', async () => {
  const file = path.join(scratch, 'subject-token');
  writeFileSync(file, 'eyJ.first.sig\n');
  await server.reset();
  const settings = flowOptions('token_exchange', { clientId: 'dev-client', clientSecret: 'dev-secret', subjectTokenFile: file });
  await withClient(settings, async (client) => {
    await client.getAccessToken();
    writeFileSync(file, 'eyJ.second.sig');
    await client.forceRefresh();
    writeFileSync(file, '');
    await assert.rejects(
      client.forceRefresh(),
      check(TokenExchangeError, { httpStatus: 0, retryable: false }, { mentions: [file, 'empty'] }),
    );
  });
  const requests = await server.requests();
  assert.deepEqual(
    requests.map((r) => r.form.subject_token),
    ['eyJ.first.sig', 'eyJ.second.sig'],
  );
  assert.equal(requests[0].form.subject_token_type, 'urn:ietf:params:oauth:token-type:jwt');
});

test('flow none: no setting needed, no access token', async () => {
  await withClient({ flow: 'none' }, async (client) => {
    assert.equal(client.peekAccessToken(), null);
    await assert.rejects(client.getAccessToken(), check(ConfigurationError, { status: Status.CONFIGURATION }));
    await assert.rejects(client.getAccessTokenWithExpiry(), check(ConfigurationError, {}));
    assert.throws(() => client.getAccessTokenWithExpirySync(), check(ConfigurationError, {}));
  });
});

test('getAccessTokenWithExpiry (async and sync): send time + expires_in', async () => {
  await server.config({ clients: [['node-expiry', 'expiry-secret']], ttl: 900 });
  try {
    const settings = flowOptions('client_credentials', { clientId: 'node-expiry', clientSecret: 'expiry-secret' });
    await withClient(settings, async (client) => {
      const before = Date.now();
      const { token, expiresAt } = await client.getAccessTokenWithExpiry();
      const after = Date.now();
      assertAccessToken(token);
      assert.ok(expiresAt instanceof Date);
      assert.ok(expiresAt.getTime() >= before + 899_000 && expiresAt.getTime() <= after + 901_000, 'expiry');
      const again = client.getAccessTokenWithExpirySync();
      assertSameSecret(again.token, token, 'the cached token');
      assert.equal(again.expiresAt.getTime(), expiresAt.getTime());
      assert.equal(client.stats().serverRequests, 1);
    });
  } finally {
    await server.reset(); // the start-up TTL again
  }
});

test('peekAccessToken: null when cold or invalidated, the cached token when warm, never a request', async () => {
  await server.config({ clients: [['node-peek', 'peek-secret']] });
  const settings = flowOptions('client_credentials', { clientId: 'node-peek', clientSecret: 'peek-secret' });
  const client = new Client(settings);
  assert.equal(client.peekAccessToken(), null);
  assert.equal(client.stats().serverRequests, 0);
  const token = await client.getAccessToken();
  assertSameSecret(client.peekAccessToken(), token, 'the peeked token');
  // Another client of the identity has no lease of its own: the library answers.
  await withClient(settings, (other) => assertSameSecret(other.peekAccessToken(), token, 'peeked by another client'));
  client.invalidateToken(token);
  assert.equal(client.peekAccessToken(), null);
  assert.equal(client.stats().serverRequests, 1);
  client.close();
  assert.throws(() => client.peekAccessToken(), /closed/);
});

test('a flow missing its settings names every missing one', () => {
  const cases = [
    [{ flow: 'client_credentials' }, ['client_id', 'token_endpoint', 'issuer']],
    [{ flow: 'password' }, ['username', 'password', 'token_endpoint']],
    [{ flow: 'refresh_token' }, ['refresh_token', 'token_endpoint']],
    [{ flow: 'token_exchange' }, ['subject_token_file', 'token_endpoint']],
    [{ flow: 'client_credentials', clientAuth: 'private_key_jwt' }, ['client_id', 'private_key_path']],
  ];
  for (const [options, mentions] of cases) {
    assert.throws(() => new Client(options), check(ConfigurationError, {}, { mentions }));
  }
});

test('an unusable private key: ConfigurationError naming the path, never the key', () => {
  const malformed = path.join(scratch, 'malformed.pem');
  const encrypted = path.join(scratch, 'encrypted.pem');
  writeFileSync(malformed, 'KEY-MATERIAL-SECRET, not PEM\n');
  writeFileSync(encrypted, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nS0VZLU1BVEVSSUFM\n-----END ENCRYPTED PRIVATE KEY-----\n');
  const cases = [
    [path.join(scratch, 'missing.pem'), 'cannot be read'],
    [malformed, 'not PEM'],
    [encrypted, 'encrypted'],
  ];
  for (const [privateKeyPath, reason] of cases) {
    const options = flowOptions('client_credentials', { clientId: 'node-jwt', clientAuth: 'private_key_jwt', privateKeyPath });
    assert.throws(
      () => new Client(options),
      check(ConfigurationError, {}, { mentions: [privateKeyPath, reason], secret: 'KEY-MATERIAL' }),
    );
    assert.throws(() => new Client(options), (error) => !error.message.includes('S0VZ'));
  }
});

test('token_store: a file store works; a group-writable directory is a StoreError', async () => {
  const store = path.join(scratch, 'store');
  const credentials = { clientId: 'dev-client', clientSecret: 'dev-secret' };
  await withClient(flowOptions('client_credentials', { ...credentials, tokenStore: `file:${store}` }), async (client) =>
    assertAccessToken(await client.getAccessToken()),
  );
  assert.equal(statSync(store).mode & 0o777, 0o700);

  const open = path.join(scratch, 'open-store');
  mkdirSync(open);
  chmodSync(open, 0o770);
  const options = flowOptions('client_credentials', { ...credentials, tokenStore: `file:${open}` });
  assert.throws(
    () => new Client(options),
    check(StoreError, { status: Status.STORE }, { mentions: [open], secret: 'dev-secret' }),
  );
  assert.equal(Status.STORE, 7);
  assert.equal(Status.OAUTH_OPERATION, 6);
});

/** The option keys of the README's configuration table (generated from the library's option table). */
function readmeOptionKeys() {
  const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('<!-- options:begin -->'), readme.indexOf('<!-- options:end -->'));
  return [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((match) => match[1]);
}

test('every option key of the table is accepted, in camelCase and as the C key', () => {
  const caBundle = path.join(scratch, 'ca.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=wi-test',
    '-days', '1', '-keyout', path.join(scratch, 'ca-key.pem'), '-out', caBundle,
  ], { stdio: 'ignore' });
  const url = server.oauthTokenEndpoint;
  // One valid value per key (a new row of the table fails here until it has one).
  const samples = {
    flow: 'none', client_id: 'node-options', client_secret: 'options-secret', token_endpoint: url,
    access_token_endpoint: url, outbound_auth_endpoint: url, server_env: 'NONE', scope: 'read write',
    audience: 'api://node', resource: 'https://api.example/', refresh_token: 'rt_options', username: 'user',
    password: 'pass', subject_token_file: path.join(scratch, 'subject-token'),
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', client_auth: 'client_id',
    private_key_path: path.join(keys, 'ec.pem'), private_key_id: 'kid-1', issuer: server.baseUrl,
    introspection_endpoint: url, revocation_endpoint: url, registration_endpoint: url,
    registration_token: 'registration-token', token_store: 'memory', exchange_cache_size: 16, introspection_cache_s: 30, timeout_ms: 5000,
    connect_timeout_ms: 1000, deadline_ms: 10000, expiry_buffer_s: 30, max_retries: 1,
    proxy: 'http://127.0.0.1:9', ca_bundle_path: caBundle, user_agent: 'wi-node-tests/1', allow_insecure_http: true,
  };
  const tableKeys = readmeOptionKeys();
  assert.ok(tableKeys.length >= 30, `only ${tableKeys.length} keys found in README.md`);
  assert.deepEqual([...tableKeys].sort(), Object.keys(samples).sort());
  const camel = (key) => key.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());
  for (const key of tableKeys) {
    const extra = key === 'flow' ? {} : { flow: 'none' };
    for (const name of [key, camel(key)]) {
      new Client({ ...extra, [name]: samples[key] }).close();
    }
  }
  new Client(Object.fromEntries(tableKeys.map((key) => [camel(key), samples[key]]))).close();
});
