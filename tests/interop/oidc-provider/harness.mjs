// Starts the oidc-provider harness from a Node test: `await startOidcProvider()`.
// Owns one child process; `close()` ends it (and so does the test process
// ending: the server watches its parent and its standard input).

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const START = new URL('./start', import.meta.url).pathname;

/** The fixed clients, scopes and initial access token (credentials.json). */
export const credentials = JSON.parse(readFileSync(new URL('./credentials.json', import.meta.url), 'utf8'));

/**
 * Starts a server; resolves to `{ issuer, close }` once it listens.
 * @param {{ jwtKey?: string, jwtKeyId?: string, args?: string[], timeoutMs?: number }} options
 *   jwtKey: path of the private_key_jwt client's key (PEM private or public, JWK, JWK Set).
 */
export async function startOidcProvider({ jwtKey, jwtKeyId, args = [], timeoutMs = 30000 } = {}) {
  const argv = [...args];
  if (jwtKey) argv.push('--jwt-key', jwtKey);
  if (jwtKeyId) argv.push('--jwt-key-id', jwtKeyId);
  const child = spawn(START, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => { child.once('exit', (code, signal) => resolve({ code, signal })); });
  const lines = createInterface({ input: child.stdout });
  const issuer = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-provider harness: no issuer within ${timeoutMs} ms`)), timeoutMs);
    lines.once('line', (line) => { clearTimeout(timer); resolve(line.trim()); });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`oidc-provider harness exited (${code}) before listening`)); });
  });
  lines.on('line', () => {}); // never let the pipe fill
  return {
    issuer,
    process: child,
    /** Ends the server (closing its stdin) and waits for it to exit. */
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.stdin.end();
      return exited;
    },
  };
}
