'use strict';
// Client: owns one wi_client handle. Async methods run the C call on a libuv
// worker thread (koffi `.async`) so the event loop stays free; *Sync methods
// block the JS thread. The handle is freed by close(), by Symbol.dispose, or
// as a backstop by a FinalizationRegistry, and in every case only once no
// async call on it is still running.

const { loadLibrary } = require('./native.cjs');
const { checkString, clientSettings, exchangeParams, delegationParams } = require('./arguments.cjs');
const { ClientClosedError } = require('./errors.cjs');
const { runAsUser, currentUserToken } = require('./user_context.cjs');

/**
 * The native side of a client, kept apart from the Client object so that the
 * FinalizationRegistry and the completion of async calls can reach it after
 * the Client itself is gone.
 */
class Handle {
  constructor(library, pointer) {
    this.library = library;
    this.pointer = pointer;
    this.inFlight = 0;
    this.closed = false;
  }

  /** Marks the handle closed; frees it now, or when the last async call ends. */
  close() {
    this.closed = true;
    this.freeIfIdle();
  }

  freeIfIdle() {
    if (this.closed && this.inFlight === 0 && this.pointer !== null) {
      const pointer = this.pointer;
      this.pointer = null;
      this.library.freeClient(pointer);
    }
  }

  /** The pointer, for a call starting now; throws once the client is closed. */
  live() {
    if (this.closed) throw new ClientClosedError('the workload-identity client is closed');
    return this.pointer;
  }
}

const finalizer = new FinalizationRegistry((handle) => handle.close());

const STATS_MEMBERS = [
  ['cacheHits', 'cache_hits'],
  ['cacheMisses', 'cache_misses'],
  ['refreshesStarted', 'refreshes_started'],
  ['refreshesSucceeded', 'refreshes_succeeded'],
  ['refreshesFailed', 'refreshes_failed'],
  ['staleServed', 'stale_served'],
  ['retries', 'retries'],
  ['serverRequests', 'server_requests'],
  ['exchangeCacheHits', 'exchange_cache_hits'],
  ['exchangeCacheMisses', 'exchange_cache_misses'],
  ['exchangeCacheEvictions', 'exchange_cache_evictions'],
];

/**
 * A workload-identity client. Safe to use from many concurrent async calls;
 * clients with the same identity share one token cache in the library.
 */
class Client {
  #handle;
  // The library's lease: a token the library lets this client reuse until
  // `until` (performance.now() ms) without a native call: at most 1 s, never
  // past the library's own refresh point, and only while no token was
  // invalidated since (the library's counter still reads `invalidated`). A
  // cached call then costs a clock read and a memory read.
  #lease = null;
  #leaseHits = 0;

  /**
   * @param {object} [options] C option keys (`client_id`) or their camelCase
   *   forms (`clientId`), plus `libraryPath`; omitted: the environment only.
   */
  constructor(options) {
    const { libraryPath, settings } = clientSettings(options);
    const library = loadLibrary(libraryPath);
    this.#handle = new Handle(library, library.newClient(settings));
    finalizer.register(this, this.#handle, this);
  }

  /**
   * The access token: cached, or fetched through the client's flow (by
   * default the Coze two-step flow). Inside runAsUser(userToken, fn), the
   * token delegated for that user instead.
   */
  getAccessToken() {
    const user = currentUserToken();
    if (user !== undefined) return this.getDelegatedToken(user);
    const leased = this.#leased();
    if (leased !== null) return Promise.resolve(leased);
    const handle = this.#handle;
    return new Promise((resolve, reject) => {
      const pointer = handle.live();
      handle.inFlight += 1;
      handle.library.accessTokenLeaseAsync(pointer, (error, lease) => {
        handle.inFlight -= 1;
        handle.freeIfIdle();
        if (error) return reject(error);
        resolve(this.#keep(lease));
      });
    });
  }

  /** The same, blocking the JS thread (cheap on a cached token, not on the network). */
  getAccessTokenSync() {
    const user = currentUserToken();
    if (user !== undefined) return this.getDelegatedTokenSync(user);
    const leased = this.#leased();
    if (leased !== null) return leased;
    return this.#keep(this.#handle.library.accessTokenLease(this.#handle.live()));
  }

  /**
   * The access token with its expiry, `{ token, expiresAt }` (a Date: the
   * time the request that obtained it was sent plus its expires_in). Always
   * asks the library (never the local lease).
   */
  getAccessTokenWithExpiry() {
    const handle = this.#handle;
    return new Promise((resolve, reject) => {
      const pointer = handle.live();
      handle.inFlight += 1;
      handle.library.accessTokenWithExpiryAsync(pointer, (error, result) => {
        handle.inFlight -= 1;
        handle.freeIfIdle();
        if (error) return reject(error);
        resolve(withExpiry(result));
      });
    });
  }

  /** The same, blocking the JS thread (cheap on a cached token, not on the network). */
  getAccessTokenWithExpirySync() {
    return withExpiry(this.#handle.library.accessTokenWithExpiry(this.#handle.live()));
  }

  /**
   * A cached access token that may be handed out now, without ever waiting
   * on the network, or null when the caller must call getAccessToken
   * (nothing cached, past the point where callers wait for a refresh, flow
   * none). Never blocks on I/O.
   */
  peekAccessToken() {
    const leased = this.#leased();
    if (leased !== null) return leased;
    const peeked = this.#handle.library.peekAccessTokenLease(this.#handle.live());
    return peeked === null ? null : this.#keep(peeked);
  }

  /** The leased token while its lease runs, else null. */
  #leased() {
    const lease = this.#lease;
    if (
      lease === null ||
      performance.now() >= lease.until ||
      this.#handle.library.invalidations[0] !== lease.invalidated
    ) {
      return null;
    }
    this.#leaseHits += 1;
    return lease.token;
  }

  /** Keeps a fresh lease from the library; returns its token. */
  #keep({ token, leaseMs, invalidated }) {
    const keep = leaseMs > 0 && !this.#handle.closed;
    this.#lease = keep ? { token, until: performance.now() + leaseMs, invalidated } : null;
    return token;
  }

  /**
   * Runs `fn()` for the user of `userToken` (AsyncLocalStorage): every
   * getAccessToken() of any client inside it, and in the promises, timers and
   * callbacks it starts, returns the token delegated for that user; code
   * outside sees the workload's own. Returns what fn returns.
   */
  runAsUser(userToken, fn) {
    return runAsUser(userToken, fn);
  }

  /**
   * A token for this workload acting for the user of `userToken` (RFC 8693
   * delegation: the user's token as the subject, this client's own token as
   * the actor), `audience` and `scope` sent when given; cached by the library
   * per user, audience and scope. A user token the server refuses rejects
   * with a TokenExchangeError that says so (not retryable, not cached).
   */
  getDelegatedToken(userToken, options) {
    return this.#callAsync('wi_get_delegated_token', () => delegationParams(userToken, options));
  }

  /** The same, blocking the JS thread. */
  getDelegatedTokenSync(userToken, options) {
    return this.#call('wi_get_delegated_token', delegationParams(userToken, options));
  }

  /** A general RFC 8693 token exchange, cached by the library per parameter; resolves to the issued token. */
  exchangeToken(params) {
    return this.#callAsync('wi_exchange_token', () => exchangeParams(params));
  }

  /** The same, blocking the JS thread. */
  exchangeTokenSync(params) {
    return this.#call('wi_exchange_token', exchangeParams(params));
  }

  /** The credential of integration `name`. */
  getIntegrationCredential(name) {
    return this.#callAsync('wi_get_integration_credential', () => checkString(name, 'integration name'));
  }

  /** The same, blocking the JS thread. */
  getIntegrationCredentialSync(name) {
    return this.#call('wi_get_integration_credential', checkString(name, 'integration name'));
  }

  /** The project's environment variables, `[{key, value}]` in server order. */
  async getProjectEnvVars() {
    return parseEnvVars(await this.#callAsync('wi_get_project_env_vars'));
  }

  /** The same, blocking the JS thread. */
  getProjectEnvVarsSync() {
    return parseEnvVars(this.#call('wi_get_project_env_vars'));
  }

  /** Drops the cached token if it is still `token` (one a service refused). */
  invalidateToken(token) {
    const pointer = this.#handle.live();
    this.#lease = null;
    this.#handle.library.invalidateToken(pointer, checkString(token, 'token'));
  }

  /** Fetches a new access token now, whatever the cache holds. */
  forceRefresh() {
    this.#lease = null;
    return this.#callAsync('wi_force_refresh');
  }

  /** The same, blocking the JS thread. */
  forceRefreshSync() {
    this.#lease = null;
    return this.#call('wi_force_refresh');
  }

  /** Counters of this client's identity (shared by clients of the same identity). */
  stats() {
    const raw = this.#handle.library.stats(this.#handle.live());
    const stats = Object.fromEntries(STATS_MEMBERS.map(([name, member]) => [name, Number(raw[member])]));
    stats.cacheHits += this.#leaseHits; // calls answered from the lease
    return stats;
  }

  /** Frees the native client once running async calls end; later calls fail. Idempotent. */
  close() {
    this.#lease = null;
    if (this.#handle.closed) return;
    finalizer.unregister(this);
    this.#handle.close();
  }

  /** True once close() has been called. */
  get closed() {
    return this.#handle.closed;
  }

  /** Runs string function `name` (lib/native.cjs) with its optional `input`. */
  #call(name, input) {
    return this.#handle.library.callForString(name, this.#handle.live(), input);
  }

  /** As #call, off the JS thread; `makeInput()` runs inside the promise so that argument errors reject. */
  #callAsync(name, makeInput) {
    const handle = this.#handle;
    return new Promise((resolve, reject) => {
      const pointer = handle.live();
      const input = makeInput === undefined ? undefined : makeInput();
      handle.inFlight += 1;
      handle.library.callForStringAsync(name, pointer, input, (error, value) => {
        handle.inFlight -= 1;
        handle.freeIfIdle();
        if (error) reject(error);
        else resolve(value);
      });
    });
  }
}

if (typeof Symbol.dispose === 'symbol') {
  Client.prototype[Symbol.dispose] = function dispose() {
    this.close();
  };
}

function withExpiry({ token, expiresAtUnixMs }) {
  return { token, expiresAt: new Date(expiresAtUnixMs) };
}

function parseEnvVars(json) {
  return JSON.parse(json).vars.map(({ key, value }) => ({ key, value }));
}

/** The version of the library at `libraryPath` (default: as for Client). */
function version(libraryPath) {
  return loadLibrary(libraryPath === undefined ? undefined : checkString(libraryPath, 'libraryPath')).version();
}

module.exports = { Client, version };
