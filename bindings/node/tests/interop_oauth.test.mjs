// Against oidc-provider (a certified OpenID provider no one here wrote), started
// by tests/interop/oidc-provider/harness.mjs: discovery, introspection of a
// token it issued (active, then inactive after revocation), and a registration
// whose client then gets a token with client_credentials.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { credentials, startOidcProvider } from '../../../tests/interop/oidc-provider/harness.mjs';
import { Client } from '../index.js';

let provider;
before(async () => {
  provider = await startOidcProvider();
});
after(() => provider?.close());

test('discovery, introspection, revocation and registration with oidc-provider', async () => {
  const basic = credentials.clients.client_secret_basic;
  const client = new Client({
    flow: 'client_credentials',
    issuer: provider.issuer,
    tokenEndpoint: '',
    clientId: basic.client_id,
    clientSecret: basic.client_secret,
    clientAuth: 'client_secret_basic',
    scope: 'api:read',
  });
  try {
    const metadata = await client.getServerMetadata();
    assert.equal(metadata.issuer, provider.issuer);
    const token = await client.getAccessToken();
    const answer = await client.introspectToken(token);
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, basic.client_id);
    assert.equal(await client.isActive(token, 'api:read'), true);
    await client.revokeToken(token, 'access_token');
    assert.equal(await client.isActive(token), false);
  } finally {
    client.close();
  }
  const registrar = new Client({ flow: 'none', issuer: provider.issuer, registrationToken: credentials.initial_access_token });
  try {
    const registration = await registrar.registerClient({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'api:read',
    });
    const registered = new Client({
      flow: 'client_credentials',
      issuer: provider.issuer,
      tokenEndpoint: '',
      clientId: registration.client_id,
      clientSecret: registration.client_secret,
      clientAuth: 'client_secret_post',
    });
    try {
      assert.equal(await registered.isActive(await registered.getAccessToken()), true);
    } finally {
      registered.close();
    }
  } finally {
    registrar.close();
  }
});
