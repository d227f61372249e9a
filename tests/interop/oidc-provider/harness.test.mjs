// Proves the harness without our library: Node's fetch and node:crypto talk to
// oidc-provider as the library will (client_credentials under each client
// authentication, introspection, revocation, registration, discovery).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { credentials, startOidcProvider } from './harness.mjs';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const dir = mkdtempSync(join(tmpdir(), 'wi-oidc-harness-'));
let server;
let metadata;

// Two keys of the private_key_jwt client, given as a JWK Set file: the test owns the pairs.
const keys = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

before(async () => {
  const jwks = {
    keys: Object.entries(keys).map(([alg, pair]) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid: alg })),
  };
  const jwksPath = join(dir, 'client.jwks.json');
  writeFileSync(jwksPath, JSON.stringify(jwks));
  server = await startOidcProvider({ jwtKey: jwksPath });
  const discovery = await fetch(`${server.issuer}/.well-known/openid-configuration`);
  assert.equal(discovery.status, 200);
  metadata = await discovery.json();
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const base64url = (data) => Buffer.from(data).toString('base64url');

/** An RFC 7523 client assertion signed with `alg`'s key, `aud` = the endpoint URL. */
function assertion(alg, audience, kid = alg) {
  const { client_id: clientId } = credentials.clients.private_key_jwt;
  const now = Math.floor(Date.now() / 1000);
  const header = base64url(JSON.stringify({ alg, kid, typ: 'JWT' }));
  const payload = base64url(JSON.stringify({
    iss: clientId, sub: clientId, aud: audience, iat: now, exp: now + 60, jti: randomUUID(),
  }));
  const input = `${header}.${payload}`;
  const key = createPrivateKey(keys[alg].privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const signature = sign('sha256', Buffer.from(input), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${input}.${base64url(signature)}`;
}

/** Headers and form fields of a request to `endpoint` authenticated by `method`. */
function authenticate(method, endpoint) {
  const client = credentials.clients[method];
  switch (method) {
    case 'client_secret_basic': {
      // RFC 6749 2.3.1: form-encode both parts, then Base64.
      const pair = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`;
      return { headers: { authorization: `Basic ${Buffer.from(pair).toString('base64')}` }, form: {} };
    }
    case 'client_secret_post':
      return { headers: {}, form: { client_id: client.client_id, client_secret: client.client_secret } };
    default: {
      const alg = method.split(':')[1];
      return {
        headers: {},
        form: { client_assertion_type: JWT_BEARER, client_assertion: assertion(alg, endpoint) },
      };
    }
  }
}

async function postForm(endpoint, method, fields) {
  const { headers, form } = authenticate(method, endpoint);
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ ...fields, ...form }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

test('discovery: the OpenID and RFC 8414 documents name every endpoint', async () => {
  assert.equal(metadata.issuer, server.issuer);
  for (const name of ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'registration_endpoint']) {
    assert.ok(metadata[name]?.startsWith(server.issuer), name);
  }
  assert.ok(metadata.grant_types_supported.includes('client_credentials'));
  for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes(method), method);
  }
  const rfc8414 = await fetch(`${server.issuer}/.well-known/oauth-authorization-server`);
  assert.equal(rfc8414.status, 200);
  const oauthMetadata = await rfc8414.json();
  assert.equal(oauthMetadata.issuer, server.issuer);
  assert.equal(oauthMetadata.token_endpoint, metadata.token_endpoint);
});

for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt:ES256', 'private_key_jwt:RS256']) {
  test(`client_credentials under ${method}: token, introspect, revoke, introspect`, async () => {
    const token = await postForm(metadata.token_endpoint, method, { grant_type: 'client_credentials', scope: 'api:read' });
    assert.equal(token.status, 200, JSON.stringify(token.body));
    assert.equal(token.body.token_type, 'Bearer');
    assert.equal(token.body.scope, 'api:read');
    assert.ok(token.body.expires_in > 0);
    const accessToken = token.body.access_token;
    const clientId = credentials.clients[method.split(':')[0]].client_id;

    const active = await postForm(metadata.introspection_endpoint, method, { token: accessToken });
    assert.equal(active.status, 200);
    assert.equal(active.body.active, true);
    assert.equal(active.body.client_id, clientId);
    assert.equal(active.body.scope, 'api:read');

    const revoked = await postForm(metadata.revocation_endpoint, method, { token: accessToken, token_type_hint: 'access_token' });
    assert.equal(revoked.status, 200);

    const inactive = await postForm(metadata.introspection_endpoint, method, { token: accessToken });
    assert.deepEqual(inactive.body, { active: false });
  });
}

test('a resource indicator gives the token an audience', async () => {
  const resource = 'https://api.example.test/';
  const token = await postForm(metadata.token_endpoint, 'client_secret_post', {
    grant_type: 'client_credentials', scope: 'api:write', resource,
  });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const info = await postForm(metadata.introspection_endpoint, 'client_secret_post', { token: token.body.access_token });
  assert.equal(info.body.active, true);
  assert.equal(info.body.aud, resource);
});

test('bad client authentication is refused', async () => {
  const wrongSecret = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'wi-post', client_secret: 'nope' }),
  });
  assert.equal(wrongSecret.status, 401);
  assert.equal((await wrongSecret.json()).error, 'invalid_client');
  // An assertion for another endpoint (the introspection URL) at the token endpoint.
  const { form } = authenticate('private_key_jwt:ES256', `${server.issuer}/elsewhere`);
  const wrongAudience = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...form }),
  });
  assert.equal(wrongAudience.status, 401);
});

test('registration with the initial access token; the new client gets a token', async () => {
  const body = JSON.stringify({
    client_name: 'wi interop',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'api:read',
  });
  const refused = await fetch(metadata.registration_endpoint, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body,
  });
  assert.equal(refused.status, 401);

  const registered = await fetch(metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credentials.initial_access_token}` },
    body,
  });
  assert.equal(registered.status, 201);
  const client = await registered.json();
  assert.ok(client.client_id && client.client_secret);

  const pair = `${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`;
  const token = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(pair).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  assert.equal(token.status, 200);
  assert.ok((await token.json()).access_token);
});

test('the server ends when its standard input closes, and refuses bad arguments', async () => {
  const other = await startOidcProvider();
  assert.notEqual(other.issuer, server.issuer);
  const { code } = await other.close();
  assert.equal(code, 0);
  await assert.rejects(fetch(`${other.issuer}/.well-known/openid-configuration`));

  await assert.rejects(startOidcProvider({ args: ['--bogus'] }), /exited \(2\)/);
  const badKey = join(dir, 'bad.pem');
  writeFileSync(badKey, 'not a key');
  await assert.rejects(startOidcProvider({ jwtKey: badKey }), /exited \(2\)/);
});

test('a PEM private key registers its public half; the server ends with its parent', async () => {
  const pem = join(dir, 'client.pem');
  writeFileSync(pem, keys.ES256.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  // The shell is the server's parent: it prints the server's pid and issuer,
  // then exits when the test closes its stdin. The server's own stdin is
  // /dev/null, so only the parent check can end it.
  const script = '"$0" --jwt-key "$1" --jwt-key-id pem-key </dev/null & echo $!; read _';
  const shell = spawn('sh', ['-c', script, new URL('./start', import.meta.url).pathname, pem], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: shell.stdout })[Symbol.asyncIterator]();
  const pid = Number((await lines.next()).value);
  const issuer = (await lines.next()).value.trim();
  const tokenEndpoint = `${issuer}/token`;
  const response = await fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion('ES256', tokenEndpoint, 'pem-key'),
    }),
  });
  assert.equal(response.status, 200, await response.clone().text());

  shell.stdin.end();
  const deadline = Date.now() + 10000;
  const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
  while (alive()) {
    assert.ok(Date.now() < deadline, 'the server outlived its parent');
    await new Promise((resolve) => { setTimeout(resolve, 100); });
  }
});
