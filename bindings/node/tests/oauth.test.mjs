// The authorization server's other endpoints against a real dev server:
// discovery, introspection and the fail-safe check (false or a rejection on
// every failure, never true), revocation and registration, async and sync.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';

import { Client, InvalidArgumentError, OAuthOperationError, Status, StoreError, WorkloadIdentityError } from '../index.js';
import { startDevServer } from './devserver.mjs';

let server;
before(async () => {
  server = await startDevServer();
});
after(() => server.stop());

/** A client_credentials client whose endpoints come from discovery (token_endpoint empty: no env fallback). */
function oauthClient(extra = {}) {
  return new Client({
    flow: 'client_credentials',
    clientId: 'dev-client',
    clientSecret: 'dev-secret',
    issuer: server.baseUrl,
    tokenEndpoint: '',
    serverEnv: 'NONE',
    ...extra,
  });
}

async function closedPort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('the new statuses have their classes', () => {
  assert.equal(Status.OAUTH_OPERATION, 6);
  assert.equal(Status.STORE, 7);
  assert.ok(new OAuthOperationError('x') instanceof WorkloadIdentityError);
  assert.equal(new StoreError('x').status, 7);
});

test('metadata is discovered at first need, once, and returned as sent', async () => {
  await server.reset();
  const client = oauthClient({ scope: 'node-discovery' });
  try {
    const metadata = await client.getServerMetadata();
    assert.equal(metadata.issuer, server.baseUrl);
    assert.equal(metadata.introspection_endpoint, `${server.baseUrl}/oauth2/introspect`);
    assert.deepEqual(client.getServerMetadataSync(), metadata);
    await client.getAccessToken();
    const paths = (await server.requests()).map((r) => r.path);
    assert.deepEqual(paths, ['/.well-known/oauth-authorization-server', '/oauth2/token']);
  } finally {
    client.close();
  }
  const plain = new Client(server.options());
  try {
    await assert.rejects(plain.getServerMetadata(), { status: Status.CONFIGURATION });
  } finally {
    plain.close();
  }
});

test('introspection answers as sent; isActive checks scopes (async and sync)', async () => {
  const client = oauthClient();
  try {
    const token = await server.issueAccessToken('dev-client', 'read write');
    const answer = await client.introspectToken(token, 'access_token');
    assert.equal(answer.active, true);
    assert.equal(answer.scope, 'read write');
    assert.equal(answer.client_id, 'dev-client');
    assert.deepEqual(client.introspectTokenSync('unknown-token'), { active: false });
    assert.equal(await client.isActive(token), true);
    assert.equal(await client.isActive(token, 'write read'), true);
    assert.equal(await client.isActive(token, 'admin'), false);
    assert.equal(client.isActiveSync(token, 'read'), true);
    assert.equal(client.isActiveSync('unknown-token'), false);
    assert.equal(await client.checkPermission(token, 'read'), true);
  } finally {
    client.close();
  }
});

test('every failure rejects isActive and makes checkPermission false', async () => {
  const token = await server.issueAccessToken('dev-client', 'read');
  const fast = { maxRetries: 0, timeoutMs: 300 };
  const faults = [
    { path: '/oauth2/introspect', status: 500 },
    { path: '/oauth2/introspect', delay_ms: 1000 },
    { path: '/oauth2/introspect', kind: 'malformed_json' },
    { path: '/oauth2/introspect', set: { active: 'true' } },
    { path: '/oauth2/introspect', remove: ['active'] },
  ];
  for (const fault of faults) {
    const client = oauthClient(fast);
    try {
      await server.fault(fault);
      const error = await client.isActive(token, 'read').then(
        () => assert.fail(`${JSON.stringify(fault)}: resolved`),
        (e) => e,
      );
      assert.ok(error instanceof OAuthOperationError, `${JSON.stringify(fault)}: ${error}`);
      assert.ok(!error.message.includes(token));
      await server.fault(fault);
      assert.equal(await client.checkPermission(token, 'read'), false);
      await server.fault(fault);
      assert.throws(() => client.isActiveSync(token), OAuthOperationError);
    } finally {
      client.close();
    }
  }
  const down = new Client({ flow: 'none', introspectionEndpoint: `http://127.0.0.1:${await closedPort()}/i`, maxRetries: 0 });
  try {
    await assert.rejects(down.isActive(token), (e) => e instanceof OAuthOperationError && e.retryable);
    assert.equal(await down.checkPermission(token), false);
  } finally {
    down.close();
  }
  const client = oauthClient();
  for (const [badToken, badScope] of [['', null], ['a\0b', null], [42, null], [token, ''], [token, 7]]) {
    await assert.rejects(client.isActive(badToken, badScope), InvalidArgumentError);
    assert.throws(() => client.isActiveSync(badToken, badScope), InvalidArgumentError);
    assert.equal(await client.checkPermission(badToken, badScope), false);
  }
  client.close();
  await assert.rejects(client.isActive(token), InvalidArgumentError);
  assert.equal(await client.checkPermission(token), false);
});

test('revocation kills the token and drops it from the cache', async () => {
  const client = oauthClient({ scope: 'node-revocation' });
  try {
    const token = await client.getAccessToken();
    await client.revokeToken(token, 'access_token');
    assert.equal(await client.isActive(token), false);
    const next = client.getAccessTokenSync();
    assert.notEqual(next, token);
    client.revokeTokenSync(next);
    assert.equal(client.isActiveSync(next), false);
    await server.fault({ path: '/oauth2/revoke', status: 503, count: 3 });
    await assert.rejects(client.revokeToken('whatever'), (e) => e instanceof OAuthOperationError && e.httpStatus === 503);
    await assert.rejects(client.revokeToken(''), InvalidArgumentError);
  } finally {
    client.close();
  }
});

test('registration: metadata checked first, then a client that gets a token', async () => {
  await server.config({ registration_token: 'node-initial' });
  const registrar = new Client({ flow: 'none', issuer: server.baseUrl, registrationToken: 'node-initial' });
  try {
    for (const bad of ['[]', '"x"', '{', null, [1], 42]) {
      await assert.rejects(registrar.registerClient(bad), InvalidArgumentError, String(bad));
    }
    const registration = await registrar.registerClient({ client_name: 'node', grant_types: ['client_credentials'] });
    assert.match(registration.client_id, /^reg_/);
    assert.equal(registration.client_name, 'node');
    const again = registrar.registerClientSync('{"client_name":"node-sync"}');
    assert.notEqual(again.client_id, registration.client_id);
    const registered = oauthClient({
      clientId: registration.client_id,
      clientSecret: registration.client_secret,
      clientAuth: 'client_secret_basic',
    });
    try {
      assert.equal(await registered.isActive(await registered.getAccessToken()), true);
    } finally {
      registered.close();
    }
  } finally {
    registrar.close();
    await server.config({ registration_token: null });
  }
  const refused = new Client({ flow: 'none', issuer: server.baseUrl });
  try {
    await server.config({ registration_token: 'required' });
    await assert.rejects(refused.registerClient({}), (e) => e instanceof OAuthOperationError && e.oauthCode === 'invalid_token');
  } finally {
    refused.close();
    await server.config({ registration_token: null });
  }
});
