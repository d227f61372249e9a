// Test helper: runs one wi-devserver on 127.0.0.1 (an ephemeral port) for a
// test file, and drives its /_dev/ control API. Each test that needs a cold
// token cache takes a fresh client id (freshOptions), since the library
// caches tokens per identity process-wide.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const devserverPath = process.env.WI_DEVSERVER || path.resolve(here, '../../../target/release/wi-devserver');

let clientCounter = 0;

export async function startDevServer(args = []) {
  const child = spawn(devserverPath, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const [first] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${devserverPath} exited with ${code} before listening`);
    }),
    once(child, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  const match = /^listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(first);
  if (!match) throw new Error(`unexpected first line from the dev server: ${first}`);
  // Keep draining the request log so the server never blocks on a full pipe.
  lines.on('line', () => {});
  const baseUrl = match[1];

  async function control(method, route, body) {
    const response = await fetch(`${baseUrl}/_dev/${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`/_dev/${route}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  const server = {
    port: Number(match[2]),
    baseUrl,
    /** Client options for this server; `extra` overrides. */
    options(extra = {}) {
      return {
        clientId: 'dev-client',
        clientSecret: 'dev-secret',
        tokenEndpoint: `${baseUrl}/oauth/token`,
        accessTokenEndpoint: `${baseUrl}/oauth/exchange`,
        outboundAuthEndpoint: `${baseUrl}/outbound`,
        ...extra,
      };
    },
    /** Options of a client id registered just now: an identity with a cold cache. */
    async freshOptions(extra = {}) {
      clientCounter += 1;
      const clientId = `node-${process.pid}-${clientCounter}`;
      await control('POST', 'config', { clients: [[clientId, 'fresh-secret']] });
      return server.options({ clientId, clientSecret: 'fresh-secret', ...extra });
    },
    /** Recorded protocol requests, optionally only those whose form has `client_id`. */
    async requests(clientId) {
      const { requests } = await control('GET', 'requests');
      return clientId === undefined ? requests : requests.filter((r) => r.form?.client_id === clientId);
    },
    /** The OAuth token endpoint serving every grant. */
    oauthTokenEndpoint: `${baseUrl}/oauth2/token`,
    /** A token issued without a protocol request, e.g. `{ kind: 'refresh', client_id: 'dev-client' }`. */
    issueToken: async (request) => (await control('POST', 'tokens', request)).token,
    /** An access token of user `subject`, issued without a protocol request. */
    async userToken(subject) {
      const { token } = await control('POST', 'tokens', { kind: 'access', client_id: 'dev-client', subject });
      return token;
    },
    /** The `sub` of a live token (a delegated token's user), from introspection. */
    async subjectOf(token) {
      const response = await fetch(`${baseUrl}/oauth2/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: 'dev-client' }),
      });
      return (await response.json()).sub;
    },
    /** How many protocol requests went to `path` since the last reset. */
    async count(path) {
      const { by_path: byPath } = await control('GET', 'stats');
      return byPath[path] ?? 0;
    },
    fault: (fault) => control('POST', 'faults', fault),
    config: (config) => control('POST', 'config', config),
    reset: () => control('POST', 'reset', {}),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
  return server;
}
