// A real OAuth 2.0 authorization server for the interoperability tests:
// oidc-provider (a certified OpenID provider) on 127.0.0.1, plain http, an
// ephemeral port. Prints the issuer URL as its first stdout line once it
// listens; exits when its parent process exits, when its standard input
// closes (if that is a pipe), on SIGTERM/SIGINT, or after --max-seconds.
// Clients and the registration token are fixed in credentials.json (see README.md).

import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync, fstatSync } from 'node:fs';
import { createServer } from 'node:http';
import process from 'node:process';

// Two warnings are known and accepted here, and would only clutter the test
// output: oidc-provider 9 asks for Node 22 (it runs on this machine's Node 20;
// the self-test proves it), and a test server keeps its state in memory.
const KNOWN_WARNINGS = ['Unsupported runtime', 'in-memory adapter'];
const warn = console.warn;
console.warn = (...args) => {
  if (!KNOWN_WARNINGS.some((known) => String(args[0]).includes(known))) warn(...args);
};
const { default: Provider } = await import('oidc-provider');

const USAGE = `Usage: server.mjs [--jwt-key PATH] [--jwt-key-id KID] [--ttl SECS] [--max-seconds N] [--log]

  --jwt-key PATH     key of the private_key_jwt client: a PEM private or public key
                     (RSA or EC P-256), a JWK or a JWK Set (public part only is kept)
                     [env WI_INTEROP_JWT_KEY]
  --jwt-key-id KID   kid given to that key, to match assertions that carry one
                     [env WI_INTEROP_JWT_KEY_ID]
  --ttl SECS         lifetime of client_credentials tokens (default 600)
  --max-seconds N    exit after N seconds whatever happens (default 1800)
  --log              one line per request on stderr (method, path, status)
`;

/** Fixed test credentials, shared with the tests that read credentials.json. */
const CREDENTIALS = JSON.parse(readFileSync(new URL('./credentials.json', import.meta.url), 'utf8'));
const SCOPES = CREDENTIALS.scopes;

function parseArgs(argv) {
  const options = {
    jwtKey: process.env.WI_INTEROP_JWT_KEY || undefined,
    jwtKeyId: process.env.WI_INTEROP_JWT_KEY_ID || undefined,
    ttl: 600,
    maxSeconds: 1800,
    log: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const found = inline ?? argv[(i += 1)];
      if (found === undefined) throw new Error(`${flag} needs a value`);
      return found;
    };
    const number = () => {
      const parsed = Number(value());
      if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive integer`);
      return parsed;
    };
    switch (flag) {
      case '--jwt-key': options.jwtKey = value(); break;
      case '--jwt-key-id': options.jwtKeyId = value(); break;
      case '--ttl': options.ttl = number(); break;
      case '--max-seconds': options.maxSeconds = number(); break;
      case '--log': options.log = true; break;
      case '-h': case '--help': process.stdout.write(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return options;
}

/** The public JWK(s) in a key file: PEM (private or public), JWK or JWK Set. */
function publicJwks(path, kid) {
  const text = readFileSync(path, 'utf8').trim();
  let jwks;
  if (text.startsWith('{')) {
    const parsed = JSON.parse(text);
    const keys = Array.isArray(parsed.keys) ? parsed.keys : [parsed];
    jwks = keys.map((jwk) => createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'jwk' }));
    keys.forEach((jwk, index) => { if (jwk.kid) jwks[index].kid = jwk.kid; });
  } else {
    // createPublicKey takes a private key PEM too and keeps only its public half.
    jwks = [createPublicKey(text).export({ format: 'jwk' })];
  }
  for (const jwk of jwks) {
    if (jwk.kty === 'EC' && jwk.crv !== 'P-256') throw new Error(`${path}: only EC P-256 is supported`);
    if (kid) jwk.kid = kid;
  }
  return { keys: jwks };
}

/** A fresh signing key for what the provider itself signs (nothing these tests use). */
function signingJwks() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'provider-signing', alg: 'ES256', use: 'sig' }] };
}

function clients(jwtJwks) {
  const common = {
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: SCOPES.join(' '),
  };
  const list = [
    { ...common, ...CREDENTIALS.clients.client_secret_basic, token_endpoint_auth_method: 'client_secret_basic' },
    { ...common, ...CREDENTIALS.clients.client_secret_post, token_endpoint_auth_method: 'client_secret_post' },
  ];
  if (jwtJwks) {
    const jwt = CREDENTIALS.clients.private_key_jwt;
    list.push({ ...common, ...jwt, token_endpoint_auth_method: 'private_key_jwt', jwks: jwtJwks });
  }
  return list;
}

function configuration(options, jwtJwks) {
  return {
    clients: clients(jwtJwks),
    jwks: signingJwks(),
    // The provider's own key is ES256 (fast to make at start): its clients default to it.
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    scopes: ['openid', ...SCOPES],
    cookies: { keys: ['wi-interop-cookie-key'] },
    ttl: { ClientCredentials: options.ttl },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Any authenticated client may introspect; a public one only its own tokens.
        allowedPolicy: async (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      revocation: { enabled: true },
      registration: { enabled: true, initialAccessToken: CREDENTIALS.initial_access_token },
      resourceIndicators: {
        enabled: true,
        // Any resource (or audience) indicator names an API with the test scopes;
        // its tokens stay opaque so that introspection answers for them.
        getResourceServerInfo: async (ctx, resourceIndicator) => ({
          scope: SCOPES.join(' '),
          audience: resourceIndicator,
          accessTokenFormat: 'opaque',
        }),
      },
    },
  };
}

function watchParent(maxSeconds) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 250);
  timer.unref();
  setTimeout(() => {
    process.stderr.write(`oidc-provider harness: --max-seconds ${maxSeconds} reached, exiting\n`);
    process.exit(0);
  }, maxSeconds * 1000).unref();
  // A pipe on stdin is the test's handle on us: its end is our end. A
  // terminal or /dev/null says nothing, so it is not watched.
  let stdinIsPipe = false;
  try { stdinIsPipe = fstatSync(0).isFIFO() || fstatSync(0).isSocket(); } catch { /* no stdin */ }
  if (stdinIsPipe) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('error', () => process.exit(0));
    process.stdin.resume();
  }
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`oidc-provider harness: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  let jwtJwks;
  if (options.jwtKey) {
    try {
      jwtJwks = publicJwks(options.jwtKey, options.jwtKeyId);
    } catch (error) {
      process.stderr.write(`oidc-provider harness: cannot use --jwt-key ${options.jwtKey}: ${error.message}\n`);
      process.exit(2);
    }
  }
  watchParent(options.maxSeconds);

  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration(options, jwtJwks));
  if (options.log) {
    provider.use(async (ctx, next) => {
      await next();
      process.stderr.write(`${ctx.method} ${ctx.path} ${ctx.status}\n`);
    });
  }
  server.on('request', provider.callback());
  process.stdout.write(`${issuer}\n`);
}

main().catch((error) => {
  process.stderr.write(`oidc-provider harness: ${error.stack || error}\n`);
  process.exit(1);
});
