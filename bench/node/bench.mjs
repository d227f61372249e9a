// Cached call, one thread, Node: the binding's getAccessTokenSync() and
// `await getAccessToken()` next to the Node floor (a cached string after a
// performance.now() check, plain and awaited), in interleaved rounds.
// Against the dev server at $WI_BENCH_URL; prints JSON records for
// bench/report.py. Run by bench/run.sh.
import { Client } from '../../bindings/node/index.js';

const baseUrl = process.env.WI_BENCH_URL;
if (!baseUrl) {
  console.error('WI_BENCH_URL is not set (bench/run.sh sets it)');
  process.exit(2);
}
const rounds = Number(process.env.WI_BENCH_ROUNDS) || 15;
const roundNs = (Number(process.env.WI_BENCH_ROUND_MS) || 40) * 1e6;

const client = new Client({
  clientId: 'dev-client',
  clientSecret: 'dev-secret',
  tokenEndpoint: `${baseUrl}/oauth/token`,
  accessTokenEndpoint: `${baseUrl}/oauth/exchange`,
});
const token = await client.getAccessToken();

// The floor's cache: a token of the same length and when it stops being served.
const cached = { token: 'x'.repeat(token.length), refreshAt: performance.now() + 3_000_000 };
const floor = () => (performance.now() < cached.refreshAt ? cached.token : null);

// Each row runs `calls` calls and resolves when done; sync rows loop without awaiting.
const rows = [
  {
    name: 'getAccessTokenSync()', role: 'library', floor: 'floor: performance.now() check',
    run: async (calls) => { for (let i = 0; i < calls; i += 1) client.getAccessTokenSync(); },
  },
  {
    name: 'await getAccessToken()', role: 'library', floor: 'floor: performance.now() check, awaited',
    run: async (calls) => { for (let i = 0; i < calls; i += 1) await client.getAccessToken(); },
  },
  {
    name: 'floor: performance.now() check', role: 'floor',
    run: async (calls) => { for (let i = 0; i < calls; i += 1) floor(); },
  },
  {
    name: 'floor: performance.now() check, awaited', role: 'floor',
    run: async (calls) => { for (let i = 0; i < calls; i += 1) await floor(); },
  },
];

async function timed(row, calls) {
  const started = process.hrtime.bigint();
  await row.run(calls);
  return Number(process.hrtime.bigint() - started);
}

// Warms a row up (the JIT included) and returns the calls of about one round.
async function calibrate(row) {
  for (let calls = 64; ; calls *= 2) {
    const elapsed = await timed(row, calls);
    if (elapsed >= roundNs / 4) return Math.max(1, Math.round((calls * roundNs) / elapsed));
  }
}

try {
  const calls = [];
  for (const row of rows) calls.push(await calibrate(row));
  const samples = rows.map(() => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, row] of rows.entries()) {
      samples[index].push((await timed(row, calls[index])) / calls[index]);
    }
  }
  for (const [index, row] of rows.entries()) {
    const record = { bench: 'cached', lang: 'Node', name: row.name, role: row.role, unit: 'ns/call', samples: samples[index] };
    if (row.floor) record.floor = row.floor;
    console.log(JSON.stringify(record));
  }
} finally {
  client.close();
}
