// Authenticated egress and the skill environment, against the dev server's
// authenticating proxy (HTTPS target with a test CA) and skill endpoint.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';

import { fetch } from 'undici';

import {
  ConfigurationError,
  SkillEnvAPIError,
  loadSkillEnv,
  maskUrl,
  outboundDispatcher,
  outboundProxySettings,
} from '../index.js';
import { startDevServer } from './devserver.mjs';

const TICKET = 'tk+node/ticket=1';
const VARIABLES = [
  'COZE_SKILL_PROXY_DOMAIN', 'COZE_OUTBOUND_AUTH_PROXY', 'COZE_OUTBOUND_AUTH_PROXY_CA',
  'COZE_OUTBOUND_AUTH_PROXY_CA_PATH', 'identity_ticket', 'IDENTITY_TICKET', 'agent_id', 'pat_token',
  'skill_id', 'SKILL_API_KEY', 'SKILL_REGION', 'COZE_SKILL_ENV_ENDPOINT',
];

let server;
let rig;

async function egress(method = 'GET', body) {
  const response = await fetch(`${server.baseUrl}/_dev/egress`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

before(async () => {
  server = await startDevServer();
  rig = await egress('POST', { ticket: TICKET });
});
after(() => server.stop());
beforeEach(async () => {
  for (const name of VARIABLES) delete process.env[name];
  await server.reset();
});

function useRig() {
  process.env.COZE_OUTBOUND_AUTH_PROXY = rig.proxy_url;
  process.env.identity_ticket = TICKET;
  process.env.COZE_OUTBOUND_AUTH_PROXY_CA = rig.ca_pem;
}

test('fetch with the outbound dispatcher reaches the target through the proxy', async () => {
  useRig();
  const { proxyUrl, caBundlePath } = outboundProxySettings();
  assert.equal(maskUrl(proxyUrl), `${rig.proxy_url.replace('http://', 'http://space:***@')}`);
  assert.equal(statSync(caBundlePath).mode & 0o777, 0o600);
  const before = await egress();
  const dispatcher = outboundDispatcher();
  try {
    const response = await fetch(`${rig.target_url}from-node`, { dispatcher });
    assert.equal(response.status, 200);
    assert.equal((await response.json()).path, '/from-node');
  } finally {
    await dispatcher.close();
  }
  const seen = await egress();
  assert.equal(seen.connects_allowed, before.connects_allowed + 1);
});

test('a wrong ticket is refused by the proxy', async () => {
  useRig();
  process.env.identity_ticket = 'not-the-ticket';
  const before = await egress();
  const dispatcher = outboundDispatcher();
  try {
    await assert.rejects(fetch(rig.target_url, { dispatcher }), (error) => {
      assert.ok(!String(error.cause ?? error).includes('not-the-ticket'));
      return true;
    });
  } finally {
    await dispatcher.close();
  }
  assert.equal((await egress()).connects_refused, before.connects_refused + 1);
});

test('configuration errors are masked', () => {
  assert.throws(() => outboundProxySettings(), ConfigurationError);
  process.env.COZE_OUTBOUND_AUTH_PROXY = 'ftp://user:hunter2@proxy:21';
  process.env.identity_ticket = 'secret-ticket';
  assert.throws(() => outboundDispatcher(), (error) => {
    assert.ok(error instanceof ConfigurationError);
    assert.ok(error.message.includes('ftp://user:***@proxy:21'), error.message);
    assert.ok(!error.message.includes('hunter2') && !error.message.includes('secret-ticket'));
    return true;
  });
  process.env.COZE_OUTBOUND_AUTH_PROXY = 'http://proxy:3128';
  process.env.COZE_OUTBOUND_AUTH_PROXY_CA_PATH = '/nonexistent/ca.pem';
  assert.throws(() => outboundProxySettings(), /but the file does not exist/);
});

test('loadSkillEnv sets process.env once, and reports API errors', async () => {
  process.env.COZE_SKILL_ENV_ENDPOINT = `${server.baseUrl}/skill/get_skill_envs`;
  const agent = path.join(mkdtempSync(path.join(tmpdir(), 'wi-node-')), '.coze', 'agents', '7001');
  const skill = path.join(agent, 'skills', 'weather');
  mkdirSync(skill, { recursive: true });
  writeFileSync(
    path.join(agent, 'config.json'),
    JSON.stringify({ patToken: 'dev-pat-token', skills: [{ relPath: 'skills/weather', skillId: '42' }] }),
  );
  const ticketFile = path.join(agent, 'ticket.json');
  writeFileSync(ticketFile, JSON.stringify({ IDENTITY_TICKET: 'tk-node-file' }));
  const report = await loadSkillEnv({ sourcePaths: [path.join(skill, 'index.mjs')], ticketFile, force: true });
  assert.equal(report.loaded, true);
  assert.equal(process.env.IDENTITY_TICKET, 'tk-node-file');
  assert.equal(report.skill_id, '42');
  assert.equal(process.env.SKILL_REGION, 'cn-north');
  assert.ok(!JSON.stringify(report).includes('dev-pat-token'));
  assert.equal((await loadSkillEnv()).cached, true);

  await server.fault({ path: '/skill/get_skill_envs', status: 503 });
  const failed = await loadSkillEnv({ sourcePaths: [skill], force: true });
  assert.equal(failed.loaded, false);
  assert.match(failed.message, /503/);

  await server.fault({ path: '/skill/get_skill_envs', status: 200, body: { BaseResp: { StatusCode: 7 } } });
  await assert.rejects(loadSkillEnv({ sourcePaths: [skill], force: true }), (error) => {
    assert.ok(error instanceof SkillEnvAPIError);
    assert.deepEqual(error.payload, { BaseResp: { StatusCode: 7 } });
    return true;
  });
  await assert.rejects(loadSkillEnv({ sourcePaths: ['a\0b'] }), /sourcePaths/);
});
