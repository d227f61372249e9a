// Every error class, bad arguments, an unreachable server and use after close:
// each a clear JS error, never a crash.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';

import {
  Client,
  ClientClosedError,
  ConfigurationError,
  IntegrationError,
  InternalError,
  InvalidArgumentError,
  Status,
  TokenExchangeError,
  TokenRetrievalError,
  WorkloadIdentityError,
} from '../index.js';
import { startDevServer } from './devserver.mjs';

let server;
before(async () => {
  server = await startDevServer();
});
after(() => server.stop());

/** Asserts that `error` is of `ErrorClass` with the given fields, and carries no secret. */
function check(ErrorClass, fields = {}) {
  return (error) => {
    assert.ok(error instanceof ErrorClass, `expected ${ErrorClass.name}, got ${error?.stack}`);
    assert.ok(error instanceof WorkloadIdentityError);
    assert.equal(error.name, ErrorClass.name);
    assert.equal(typeof error.message, 'string');
    assert.ok(error.message.length > 0);
    assert.ok(
      !/dev-secret|fresh-secret|wrong-secret|at_[0-9a-f]{32}|idt_[0-9a-f]{32}/.test(error.message),
      `${ErrorClass.name} message holds a secret or token`,
    );
    for (const [name, value] of Object.entries(fields)) {
      if (value instanceof RegExp) assert.match(error[name], value, name);
      else assert.equal(error[name], value, name);
    }
    return true;
  };
}

async function closedPort() {
  const listener = net.createServer();
  await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address();
  await new Promise((resolve) => listener.close(resolve));
  return port;
}

test('ConfigurationError: nothing configured names every missing variable', () => {
  const saved = {};
  for (const name of Object.keys(process.env).filter((n) => n.startsWith('COZE_'))) {
    saved[name] = process.env[name];
    delete process.env[name];
  }
  try {
    assert.throws(
      () => new Client(),
      check(ConfigurationError, {
        status: Status.CONFIGURATION,
        httpStatus: 0,
        oauthCode: null,
        retryable: false,
        message: /COZE_WORKLOAD_IDENTITY_CLIENT_ID[\s\S]*COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT/,
      }),
    );
  } finally {
    Object.assign(process.env, saved);
  }
});

test('ConfigurationError: integration API without an outbound endpoint', async () => {
  const client = new Client(server.options({ outboundAuthEndpoint: '' }));
  try {
    await assert.rejects(client.getIntegrationCredential('github'), check(ConfigurationError));
    assert.throws(() => client.getProjectEnvVarsSync(), check(ConfigurationError));
  } finally {
    client.close();
  }
});

test('ConfigurationError: a library that cannot be loaded', () => {
  assert.throws(
    () => new Client({ ...server.options(), libraryPath: '/nonexistent/libworkload_identity.so' }),
    check(ConfigurationError, { message: /\/nonexistent\/libworkload_identity\.so/ }),
  );
});

test('ConfigurationError: a shared library without the C API', (t) => {
  const maps = readFileSync('/proc/self/maps', 'utf8');
  const libc = /\s(\/\S*\/libc\.so\.6)$/m.exec(maps)?.[1];
  if (!libc) return t.skip('no /proc/self/maps entry for libc.so.6');
  assert.throws(
    () => new Client({ ...server.options(), libraryPath: libc }),
    check(ConfigurationError, { message: /libc\.so\.6 is not libworkload_identity/ }),
  );
});

test('TokenRetrievalError: wrong client secret (401 invalid_client)', async () => {
  const client = new Client(server.options({ clientSecret: 'wrong-secret' }));
  try {
    await assert.rejects(
      client.getAccessToken(),
      check(TokenRetrievalError, {
        status: Status.TOKEN_RETRIEVAL,
        httpStatus: 401,
        oauthCode: 'invalid_client',
        retryable: false,
      }),
    );
    assert.throws(() => client.getAccessTokenSync(), check(TokenRetrievalError, { httpStatus: 401 }));
  } finally {
    client.close();
  }
});

test('TokenRetrievalError: a 503 is retryable', async () => {
  const client = new Client(await server.freshOptions({ maxRetries: 0 }));
  try {
    await server.fault({ path: '/oauth/token', status: 503 });
    await assert.rejects(
      client.getAccessToken(),
      check(TokenRetrievalError, { httpStatus: 503, retryable: true }),
    );
  } finally {
    client.close();
  }
});

test('TokenRetrievalError: unreachable server (closed port)', async () => {
  const port = await closedPort();
  const client = new Client(
    server.options({
      tokenEndpoint: `http://127.0.0.1:${port}/oauth/token`,
      accessTokenEndpoint: `http://127.0.0.1:${port}/oauth/exchange`,
      maxRetries: 0,
      connectTimeoutMs: 2000,
    }),
  );
  try {
    await assert.rejects(client.getAccessToken(), check(TokenRetrievalError, { httpStatus: 0, retryable: true }));
    assert.throws(() => client.getAccessTokenSync(), check(TokenRetrievalError, { httpStatus: 0 }));
  } finally {
    client.close();
  }
});

test('TokenExchangeError: step 2 refused, and a bad subject token', async () => {
  const client = new Client(await server.freshOptions({ maxRetries: 0 }));
  try {
    await server.fault({
      path: '/oauth/exchange',
      status: 400,
      body: { error: 'invalid_grant', error_description: 'injected' },
    });
    await assert.rejects(
      client.getAccessToken(),
      check(TokenExchangeError, {
        status: Status.TOKEN_EXCHANGE,
        httpStatus: 400,
        oauthCode: 'invalid_grant',
        retryable: false,
      }),
    );
    await assert.rejects(
      client.exchangeToken({
        subjectToken: 'idt_not_issued_here',
        subjectTokenType: 'urn:ietf:params:oauth:token-type:id_token',
      }),
      check(TokenExchangeError, { httpStatus: 400, oauthCode: 'invalid_grant' }),
    );
  } finally {
    client.close();
  }
});

test('IntegrationError: unknown integration, business error, malformed body', async () => {
  const client = new Client(server.options({ maxRetries: 0 }));
  try {
    await assert.rejects(
      client.getIntegrationCredential('no-such-integration'),
      check(IntegrationError, { status: Status.INTEGRATION, message: /no-such-integration/ }),
    );
    await server.fault({ path: '/outbound/env', status: 200, body: { code: 5000, msg: 'busy' } });
    await assert.rejects(client.getProjectEnvVars(), check(IntegrationError, { message: /busy/ }));
    await server.fault({ path: '/outbound/env', kind: 'malformed_json' });
    assert.throws(() => client.getProjectEnvVarsSync(), check(IntegrationError));
    await server.fault({ path: '/outbound/integration', status: 500 });
    await assert.rejects(
      client.getIntegrationCredential('github'),
      check(IntegrationError, { httpStatus: 500, retryable: true }),
    );
  } finally {
    client.close();
  }
});

test('InternalError and the base class map status and fields', () => {
  const error = new InternalError('boom');
  assert.ok(error instanceof WorkloadIdentityError);
  assert.equal(error.status, Status.INTERNAL);
  assert.equal(error.httpStatus, 0);
  assert.equal(error.oauthCode, null);
  assert.equal(error.retryable, false);
  assert.equal(new TokenExchangeError('x', { httpStatus: 502, retryable: true }).status, Status.TOKEN_EXCHANGE);
});

test('InvalidArgumentError: unknown option key, named by the library', () => {
  assert.throws(
    () => new Client(server.options({ noSuchOption: 'x' })),
    check(InvalidArgumentError, { status: Status.INVALID_ARGUMENT, message: /no_such_option/ }),
  );
});

test('InvalidArgumentError: bad option values', () => {
  const bad = [
    [{ timeoutMs: 'soon' }, /timeout_ms/],
    [{ maxRetries: -1 }, /max_retries/],
    [{ tokenEndpoint: 'ftp://127.0.0.1/x' }, /token_endpoint/],
    [{ timeoutMs: Number.NaN }, /timeout_ms/],
    [{ clientId: { nested: true } }, /client_id/],
    [{ clientId: ['dev-client'] }, /client_id/],
    [{ clientId: 'dev\0client' }, /NUL/],
    [{ clientId: 'dev\uD800client' }, /surrogate/],
    [{ clientId: 'a', client_id: 'b' }, /given twice/],
  ];
  for (const [extra, message] of bad) {
    assert.throws(() => new Client(server.options(extra)), check(InvalidArgumentError, { message }));
  }
  for (const options of ['dev-client', 42, [1]]) {
    assert.throws(() => new Client(options), check(InvalidArgumentError, { message: /options must be an object/ }));
  }
});

test('InvalidArgumentError: bad call arguments, async and sync', async () => {
  const client = new Client(server.options());
  try {
    await assert.rejects(client.getIntegrationCredential(''), check(InvalidArgumentError, { message: /empty/ }));
    assert.throws(() => client.getIntegrationCredentialSync(''), check(InvalidArgumentError));
    for (const name of [undefined, null, 42, {}, Buffer.from('github')]) {
      await assert.rejects(client.getIntegrationCredential(name), check(InvalidArgumentError, { message: /string/ }));
      assert.throws(() => client.getIntegrationCredentialSync(name), check(InvalidArgumentError));
    }
    await assert.rejects(client.getIntegrationCredential('git\0hub'), check(InvalidArgumentError, { message: /NUL/ }));
    assert.throws(() => client.getIntegrationCredentialSync('\uDC00'), check(InvalidArgumentError));

    await assert.rejects(client.exchangeToken(), check(InvalidArgumentError, { message: /object/ }));
    await assert.rejects(client.exchangeToken({}), check(InvalidArgumentError, { message: /subjectToken/ }));
    await assert.rejects(
      client.exchangeToken({ subjectToken: 's', audiance: 'typo' }),
      check(InvalidArgumentError, { message: /audiance/ }),
    );
    await assert.rejects(client.exchangeToken({ subjectToken: 7 }), check(InvalidArgumentError));
    await assert.rejects(
      client.exchangeToken({ subjectToken: 's', actorToken: 'a' }),
      check(InvalidArgumentError, { message: /actor_token_type/ }),
    );
    assert.throws(() => client.exchangeTokenSync(null), check(InvalidArgumentError));

    assert.throws(() => client.invalidateToken(undefined), check(InvalidArgumentError));
    assert.throws(() => client.invalidateToken(12), check(InvalidArgumentError));
  } finally {
    client.close();
  }
});

test('use after close: a clear error from every method, no crash', async () => {
  const client = new Client(server.options());
  client.getAccessTokenSync();
  client.close();
  // One name and meaning in every binding: ClientClosedError, an InvalidArgumentError.
  const closed = (error) => {
    assert.ok(error instanceof InvalidArgumentError);
    return check(ClientClosedError, { message: /closed/, status: Status.INVALID_ARGUMENT })(error);
  };
  await assert.rejects(client.getAccessToken(), closed);
  await assert.rejects(client.exchangeToken({ subjectToken: 's' }), closed);
  await assert.rejects(client.getIntegrationCredential('github'), closed);
  await assert.rejects(client.getProjectEnvVars(), closed);
  await assert.rejects(client.forceRefresh(), closed);
  assert.throws(() => client.getAccessTokenSync(), closed);
  assert.throws(() => client.exchangeTokenSync({ subjectToken: 's' }), closed);
  assert.throws(() => client.getIntegrationCredentialSync('github'), closed);
  assert.throws(() => client.getProjectEnvVarsSync(), closed);
  assert.throws(() => client.forceRefreshSync(), closed);
  assert.throws(() => client.invalidateToken('t'), closed);
  assert.throws(() => client.stats(), closed);
});
