// Interoperability with an authorization server that no one here wrote:
// client_credentials from oidc-provider (tests/interop/oidc-provider) under
// client_secret_basic, client_secret_post and private_key_jwt (ES256 and
// RS256, keys generated here with openssl; the harness registers their public
// halves).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { credentials, startOidcProvider } from '../../../tests/interop/oidc-provider/harness.mjs';
import { Client, TokenRetrievalError } from '../index.js';

const KEY_ARGUMENTS = {
  ES256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  RS256: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
};

let scratch;
const keys = {};
const servers = {}; // one per key: the harness registers one key for wi-jwt
const tokenEndpoints = {};

before(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'wi-node-interop-'));
  for (const [alg, args] of Object.entries(KEY_ARGUMENTS)) {
    keys[alg] = path.join(scratch, `${alg}.pem`);
    execFileSync('openssl', ['genpkey', '-out', keys[alg], ...args], { stdio: 'ignore' });
  }
  // The first start may run npm ci: a generous timeout.
  await Promise.all(
    Object.keys(keys).map(async (alg) => {
      servers[alg] = await startOidcProvider({ jwtKey: keys[alg], timeoutMs: 60000 });
      const metadata = await (await fetch(`${servers[alg].issuer}/.well-known/openid-configuration`)).json();
      tokenEndpoints[alg] = metadata.token_endpoint;
    }),
  );
});
after(async () => {
  await Promise.all(Object.values(servers).map((server) => server.close()));
  rmSync(scratch, { recursive: true, force: true });
});

/** A token from `options` (client_credentials, scope api:read), cached on the second call. */
async function getToken(options) {
  const client = new Client({ flow: 'client_credentials', scope: 'api:read', ...options });
  try {
    const token = await client.getAccessToken();
    assert.ok(typeof token === 'string' && token.length > 0, 'no token');
    const { token: again, expiresAt } = await client.getAccessTokenWithExpiry();
    assert.ok(again === token, 'the second call did not serve the cached token');
    const lifetime = expiresAt.getTime() - Date.now();
    assert.ok(lifetime > 60_000 && lifetime <= 600_000, `expiry in ${lifetime} ms, want the harness's 600 s`);
    assert.equal(client.stats().serverRequests, 1);
  } finally {
    client.close();
  }
}

for (const method of ['client_secret_basic', 'client_secret_post']) {
  test(`oidc-provider: client_credentials under ${method}`, async () => {
    const { client_id: clientId, client_secret: clientSecret } = credentials.clients[method];
    await getToken({ tokenEndpoint: tokenEndpoints.ES256, clientId, clientSecret, clientAuth: method });
  });
}

for (const alg of Object.keys(KEY_ARGUMENTS)) {
  test(`oidc-provider: client_credentials under private_key_jwt (${alg})`, async () => {
    await getToken({
      tokenEndpoint: tokenEndpoints[alg],
      clientId: credentials.clients.private_key_jwt.client_id,
      clientAuth: 'private_key_jwt',
      privateKeyPath: keys[alg],
    });
  });
}

test('oidc-provider: a wrong secret is invalid_client, not retryable, not in the message', async () => {
  const client = new Client({
    flow: 'client_credentials',
    tokenEndpoint: tokenEndpoints.ES256,
    clientId: credentials.clients.client_secret_basic.client_id,
    clientSecret: 'wrong-interop-secret',
    clientAuth: 'client_secret_basic',
  });
  try {
    await assert.rejects(client.getAccessToken(), (error) => {
      assert.ok(error instanceof TokenRetrievalError);
      assert.equal(error.httpStatus, 401);
      assert.equal(error.oauthCode, 'invalid_client');
      assert.equal(error.retryable, false);
      assert.ok(!error.message.includes('wrong-interop-secret'));
      return true;
    });
  } finally {
    client.close();
  }
});
