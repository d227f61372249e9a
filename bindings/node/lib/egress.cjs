'use strict';
// Authenticated egress through Coze's outbound proxy and the skill environment
// (shared/PROTOCOL.md, "The outbound auth proxy and skill environment"). The
// rules live in the library; this file turns its settings into an undici
// dispatcher. Node's process.env reads the real environment, so variables the
// library sets are visible at once.

const fs = require('node:fs');

const { loadLibrary } = require('./native.cjs');
const { ConfigurationError, InvalidArgumentError } = require('./errors.cjs');

/**
 * The outbound proxy settings, read from the environment now:
 * `{ proxyUrl, caBundlePath }`. `proxyUrl` carries the identity ticket (a
 * secret: log `maskUrl(proxyUrl)` only); `caBundlePath` is null when no CA is
 * configured. Throws ConfigurationError as wi_get_outbound_proxy fails.
 */
function outboundProxySettings({ libraryPath } = {}) {
  const library = loadLibrary(libraryPath);
  const url = [null];
  const ca = [null];
  const err = [null];
  const status = library.fn.wi_get_outbound_proxy(url, ca, err);
  if (status !== 0) throw library.takeError(status, err[0]);
  const proxyUrl = library.takeString(0, url[0], null);
  const caBundlePath = ca[0] ? library.takeString(0, ca[0], null) : null;
  return { proxyUrl, caBundlePath };
}

/**
 * An undici `ProxyAgent` for `fetch` (`fetch(url, { dispatcher })`, with
 * undici's own `fetch`): every request goes through the outbound proxy
 * (CONNECT with its credentials) and trusts only the proxy's CA bundle, or the
 * default roots when no CA is configured. The environment is read once, here.
 */
function outboundDispatcher({ libraryPath } = {}) {
  const { proxyUrl, caBundlePath } = outboundProxySettings({ libraryPath });
  let tls = {};
  if (caBundlePath !== null) {
    let ca;
    try {
      ca = fs.readFileSync(caBundlePath);
    } catch (cause) {
      throw new ConfigurationError(`cannot read the outbound proxy CA bundle ${caBundlePath}: ${cause.code}`);
    }
    tls = { ca };
  }
  const { ProxyAgent } = require('undici');
  return new ProxyAgent({ uri: proxyUrl, requestTls: tls, proxyTls: tls });
}

/** `url` with its credentials masked (`http://space:***@proxy:8080`), fit for logs. */
function maskUrl(url, { libraryPath } = {}) {
  if (typeof url !== 'string' || url.includes('\0')) {
    throw new InvalidArgumentError('url must be a string without NUL characters');
  }
  const library = loadLibrary(libraryPath);
  const masked = library.fn.wi_mask_url(url);
  if (!masked) throw new InvalidArgumentError('url is not valid text');
  return library.takeString(0, masked, null);
}

/**
 * Loads the Coze skill environment into process.env, once per process unless
 * `force` (the Coze SDK's load_skill_env), on a worker thread. Resolves to the
 * report (names only, never values): `{ loaded, cached, attempted,
 * source_path, agent_id, skill_id, set, unset, kept, message }`. Best effort:
 * missing files or a failing endpoint resolve with `loaded: false`; an API
 * error code rejects with SkillEnvAPIError.
 *
 * @param {{sourcePaths?: string[], ticketFile?: string|null, force?: boolean, timeoutMs?: number, libraryPath?: string}} [options]
 *   sourcePaths: where to look for `.coze/agents/<digits>` (pass your module's
 *   path, e.g. `import.meta.filename`); default: the working directory, then
 *   the node executable. ticketFile: `{"IDENTITY_TICKET": ...}`; default
 *   `/source/ticket.json`.
 */
function loadSkillEnv({ sourcePaths = [], ticketFile = null, force = false, timeoutMs = 0, libraryPath } = {}) {
  if (!Array.isArray(sourcePaths) || sourcePaths.some((p) => typeof p !== 'string' || p.includes('\0'))) {
    return Promise.reject(new InvalidArgumentError('sourcePaths must be an array of strings without NUL'));
  }
  if (ticketFile !== null && (typeof ticketFile !== 'string' || ticketFile.includes('\0'))) {
    return Promise.reject(new InvalidArgumentError('ticketFile must be a string without NUL, or null'));
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > 0xffffffff) {
    return Promise.reject(new InvalidArgumentError('timeoutMs must be an integer from 0 to 4294967295'));
  }
  const library = loadLibrary(libraryPath);
  return new Promise((resolve, reject) => {
    const out = [null];
    const err = [null];
    const paths = sourcePaths.length ? sourcePaths : null;
    library.fn.wi_load_skill_env.async(paths, sourcePaths.length, ticketFile, Boolean(force), timeoutMs, out, err, (error, status) => {
      try {
        if (error) throw error;
        resolve(JSON.parse(library.takeString(status, out[0], err[0])));
      } catch (failure) {
        reject(failure);
      }
    });
  });
}

module.exports = { outboundProxySettings, outboundDispatcher, maskUrl, loadSkillEnv };
