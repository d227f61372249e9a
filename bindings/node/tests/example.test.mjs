// example.mjs runs as written against a dev server, and README.md shows it verbatim.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import { startDevServer } from './devserver.mjs';

const packageDir = new URL('..', import.meta.url);

let server;
before(async () => {
  server = await startDevServer();
});
after(() => server.stop());

test('example.mjs runs against the dev server', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['example.mjs'], {
    cwd: packageDir,
    env: {
      ...process.env,
      COZE_WORKLOAD_IDENTITY_CLIENT_ID: 'dev-client',
      COZE_WORKLOAD_IDENTITY_CLIENT_SECRET: 'dev-secret',
      COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT: `${server.baseUrl}/oauth/token`,
      COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT: `${server.baseUrl}/oauth/exchange`,
      COZE_OUTBOUND_AUTH_ENDPOINT: `${server.baseUrl}/outbound`,
    },
  });
  assert.match(stdout, /access token: 35 characters/);
  assert.match(stdout, /github credential: \d+ characters/);
  assert.match(stdout, /project variable: DATABASE_URL\nproject variable: FEATURE_FLAG\nproject variable: GREETING/);
});

test('README.md shows example.mjs verbatim', async () => {
  const [readme, example] = await Promise.all([
    readFile(new URL('README.md', packageDir), 'utf8'),
    readFile(new URL('example.mjs', packageDir), 'utf8'),
  ]);
  assert.ok(readme.includes(example), 'README.md must contain example.mjs unchanged');
});
