'use strict';
// The C declarations over the library locate.cjs chose, and turning
// out-parameters (raw pointers, BigInt in koffi 3) into JS values. Returned
// strings go back through wi_free_string (never libc free: another
// allocator) and errors through wi_error_free, in a `finally` so that no
// path leaks them.

const path = require('node:path');

const { CallQueue } = require('./call_queue.cjs');
const { InternalError, errorForStatus } = require('./errors.cjs');
const { koffi, locateLibrary, missingFunction } = require('./locate.cjs');

// Native code runs on koffi's own stack, not the thread's: 128 KiB by default
// for async calls. The library needs less than 64 KiB today (measured for
// HTTP, TLS and name resolution), but glibc's NSS modules, proxies and core
// changes can take more, and an overflow is a crash. The memory is mapped
// lazily: untouched pages cost nothing.
const ASYNC_STACK_SIZE = 1024 * 1024;

function raiseAsyncStack() {
  try {
    if (koffi.config().async_stack_size < ASYNC_STACK_SIZE) {
      koffi.config({ async_stack_size: ASYNC_STACK_SIZE });
    }
  } catch {
    // Another user of this koffi instance loaded a library first: koffi then
    // refuses configuration changes, and its defaults stay in force.
  }
}
raiseAsyncStack();

// Enough outstanding calls to keep every libuv worker busy, well below koffi's cap.
const asyncCalls = (() => {
  const workers = Number.parseInt(process.env.UV_THREADPOOL_SIZE, 10) || 4;
  const config = koffi.config();
  const limit = Math.max(workers, config.resident_async_pools);
  return new CallQueue(Math.min(limit, Math.floor(config.max_async_calls / 2)));
})();

// The C types, anonymous: koffi's type names are process-wide, and a second
// copy of this module (two versions installed, a test runner's module
// registry) must not collide with the first.
const status = 'uint32_t';
const string = 'const char *';
const clientPointer = koffi.pointer(koffi.opaque());
const optionsPointer = koffi.pointer(koffi.opaque());
const errorType = koffi.opaque();
const errorPointer = koffi.pointer(errorType);
const outClient = koffi.out(koffi.pointer(clientPointer));
const outError = koffi.out(koffi.pointer(errorPointer));
// Returned strings are read as raw pointers, decoded, then freed by the
// library (koffi's string types would copy the text and drop the pointer).
const outString = koffi.out(koffi.pointer('void', 2));
const exchangeParamsPointer = koffi.pointer(
  koffi.struct({
    subject_token: string,
    subject_token_type: string,
    audience: string,
    resource: string,
    scope: string,
    requested_token_type: string,
    actor_token: string,
    actor_token_type: string,
  }),
);
const statsType = koffi.struct({
  struct_size: 'uint32_t',
  cache_hits: 'uint64_t',
  cache_misses: 'uint64_t',
  refreshes_started: 'uint64_t',
  refreshes_succeeded: 'uint64_t',
  refreshes_failed: 'uint64_t',
  stale_served: 'uint64_t',
  retries: 'uint64_t',
  server_requests: 'uint64_t',
  exchange_cache_hits: 'uint64_t',
  exchange_cache_misses: 'uint64_t',
  exchange_cache_evictions: 'uint64_t',
});

// name: [result, parameters], as in include/workload_identity.h.
const FUNCTIONS = {
  wi_version: [string, []],
  wi_options_new: [optionsPointer, []],
  wi_options_set: [status, [optionsPointer, string, string, outError]],
  wi_options_free: ['void', [optionsPointer]],
  wi_client_new: [status, [optionsPointer, outClient, outError]],
  wi_client_free: ['void', [clientPointer]],
  wi_invalidate_token: [status, [clientPointer, string, outError]],
  wi_client_stats: [status, [clientPointer, koffi.inout(koffi.pointer(statsType))]],
  wi_free_string: ['void', ['void *']],
  wi_error_status: [status, [errorPointer]],
  wi_error_message: [string, [errorPointer]],
  wi_error_http_status: ['uint16_t', [errorPointer]],
  wi_error_oauth_code: [string, [errorPointer]],
  wi_error_retryable: ['bool', [errorPointer]],
  wi_error_free: ['void', [errorPointer]],
  wi_get_outbound_proxy: [status, [outString, outString, outError]],
  wi_load_skill_env: [status, ['const char **', 'size_t', string, 'bool', 'uint32_t', outString, outError]],
  wi_mask_url: ['void *', [string]],
  wi_invalidation_counter: ['void *', []],
};

// The functions that return a string, by their parameters before the two
// out-parameters (the string and a wi_error). Each is declared twice:
// - async, with out-arrays that koffi fills on the JS thread when the call
//   completes, so no JS memory is written from a worker thread;
// - sync, with plain pointers to views of one preallocated buffer: a quarter
//   of the cost of koffi's out-arrays on the cached path.
const STRING_FUNCTIONS = {
  wi_exchange_token: [clientPointer, exchangeParamsPointer],
  wi_get_delegated_token: [clientPointer, string, string, string],
  wi_get_integration_credential: [clientPointer, string],
  wi_get_project_env_vars: [clientPointer],
  wi_force_refresh: [clientPointer],
};

// The sync out-parameters; only one sync call runs at a time (the JS thread's).
const syncOut = new ArrayBuffer(32);
const syncValue = new BigUint64Array(syncOut, 0, 1);
const syncError = new BigUint64Array(syncOut, 8, 1);
const syncLease = new Uint32Array(syncOut, 16, 1);
const syncExpiresAt = new BigInt64Array(syncOut, 24, 1);

// wi_get_access_token_lease's lease out-parameter for async calls.
const outLease = koffi.out(koffi.pointer('uint32_t'));
// wi_get_access_token_with_expiry's expiry out-parameter for async calls.
const outExpiresAt = koffi.out(koffi.pointer('int64_t'));

/**
 * One loaded copy of the library. Immutable after construction; its methods
 * may be used by any number of clients.
 */
class NativeLibrary {
  /** `located`: what locateLibrary returned. */
  constructor(located) {
    const { lib } = located;
    this.path = located.path;
    this.fn = {};
    this.syncFn = {};
    this.asyncFn = {};
    // A function the library lacks is named, with both versions (locate.cjs).
    const declare = (name, result, parameters) => {
      try {
        return lib.func(name, result, parameters);
      } catch (cause) {
        if (!/Cannot find function/.test(cause.message)) throw cause;
        lib.unload();
        throw missingFunction(located, name);
      }
    };
    for (const [name, [result, parameters]] of Object.entries(FUNCTIONS)) {
      this.fn[name] = declare(name, result, parameters);
    }
    // The process-wide invalidation counter, static memory read in place: a
    // lease holds only while it keeps the value read before its call.
    this.invalidations = new Uint32Array(koffi.view(this.fn.wi_invalidation_counter(), 4));
    for (const [name, inputs] of Object.entries(STRING_FUNCTIONS)) {
      this.syncFn[name] = declare(name, status, [...inputs, 'void *', 'void *']);
      this.asyncFn[name] = declare(name, status, [...inputs, outString, outError]);
    }
    this.leaseFn = declare('wi_get_access_token_lease', status, [clientPointer, 'void *', 'void *', 'void *']);
    this.leaseAsyncFn = declare('wi_get_access_token_lease', status, [clientPointer, outString, outLease, outError]);
    this.expiryFn = declare('wi_get_access_token_with_expiry', status, [clientPointer, 'void *', 'void *', 'void *']);
    this.expiryAsyncFn = declare('wi_get_access_token_with_expiry', status, [
      clientPointer,
      outString,
      outExpiresAt,
      outError,
    ]);
    this.peekLeaseFn = declare('wi_peek_access_token_lease', 'bool', [clientPointer, 'void *', 'void *']);
  }

  /** The library's version string. */
  version() {
    return this.fn.wi_version();
  }

  /**
   * A new client handle (BigInt) for `settings` ([C key, string value] pairs;
   * null reads the environment only). The caller frees it with freeClient.
   */
  newClient(settings) {
    const { fn } = this;
    const err = [null];
    let options = null;
    try {
      if (settings !== null) {
        options = fn.wi_options_new();
        if (!options) throw new InternalError('wi_options_new: out of memory');
        for (const [key, value] of settings) {
          const status = fn.wi_options_set(options, key, value, err);
          if (status !== 0) throw this.takeError(status, err[0]);
        }
      }
      const out = [null];
      const status = fn.wi_client_new(options, out, err);
      if (status !== 0) throw this.takeError(status, err[0]);
      return out[0];
    } finally {
      fn.wi_options_free(options);
    }
  }

  /** Frees a client handle; every call on it must have returned. */
  freeClient(handle) {
    this.fn.wi_client_free(handle);
  }

  /**
   * Runs the string function `name(handle, [inputs...,] &value, &error)` (see
   * STRING_FUNCTIONS) and returns the string it produced. `input` is one
   * argument, an array of them, or undefined for none.
   */
  callForString(name, handle, input) {
    const fn = this.syncFn[name];
    syncValue[0] = 0n;
    syncError[0] = 0n;
    const status = fn(handle, ...inputsOf(input), syncValue, syncError);
    return this.takeString(status, syncValue[0], syncError[0]);
  }

  /**
   * As callForString, on a libuv worker thread, once the call queue has a
   * free slot; `done(error, string)` runs later on the JS thread, exactly once.
   */
  callForStringAsync(name, handle, input, done) {
    const fn = this.asyncFn[name];
    asyncCalls.run(() => {
      const out = [null];
      const err = [null];
      const finish = (callError, status) => {
        asyncCalls.release();
        let value;
        try {
          if (callError) throw callError;
          value = this.takeString(status, out[0], err[0]);
        } catch (error) {
          return done(error);
        }
        done(null, value);
      };
      try {
        fn.async(handle, ...inputsOf(input), out, err, finish);
      } catch (error) {
        asyncCalls.release();
        done(error);
      }
    });
  }

  /**
   * The access token and its lease: `{ token, leaseMs, invalidated }`, leaseMs
   * being how long the library lets the caller reuse the token without asking
   * again, as long as `invalidations[0]` still equals `invalidated`.
   */
  accessTokenLease(handle) {
    syncValue[0] = 0n;
    syncError[0] = 0n;
    syncLease[0] = 0;
    const invalidated = this.invalidations[0];
    const status = this.leaseFn(handle, syncValue, syncLease, syncError);
    const token = this.takeString(status, syncValue[0], syncError[0]);
    return { token, leaseMs: syncLease[0], invalidated };
  }

  /** As accessTokenLease, on a libuv worker thread; `done(error, lease)` runs on the JS thread. */
  accessTokenLeaseAsync(handle, done) {
    this.tokenAndValueAsync(this.leaseAsyncFn, handle, done, (token, leaseMs, invalidated) => ({
      token,
      leaseMs,
      invalidated,
    }));
  }

  /**
   * A token the library hands out without waiting on the network, with its
   * lease (`{ token, leaseMs, invalidated }`, as accessTokenLease), or null
   * when the caller must go to the network.
   */
  peekAccessTokenLease(handle) {
    syncValue[0] = 0n;
    syncLease[0] = 0;
    const invalidated = this.invalidations[0];
    if (!this.peekLeaseFn(handle, syncValue, syncLease)) return null;
    const token = this.takeString(0, syncValue[0], 0n);
    return { token, leaseMs: syncLease[0], invalidated };
  }

  /** The access token and its expiry: `{ token, expiresAtUnixMs }`. */
  accessTokenWithExpiry(handle) {
    syncValue[0] = 0n;
    syncError[0] = 0n;
    syncExpiresAt[0] = 0n;
    const status = this.expiryFn(handle, syncValue, syncExpiresAt, syncError);
    const token = this.takeString(status, syncValue[0], syncError[0]);
    return { token, expiresAtUnixMs: Number(syncExpiresAt[0]) };
  }

  /** As accessTokenWithExpiry, on a libuv worker thread; `done(error, result)` runs on the JS thread. */
  accessTokenWithExpiryAsync(handle, done) {
    this.tokenAndValueAsync(this.expiryAsyncFn, handle, done, (token, expiresAt) => ({
      token,
      expiresAtUnixMs: Number(expiresAt),
    }));
  }

  /**
   * Runs `fn(handle, &string, &value, &error)` (a function returning the
   * access token plus one number) on a libuv worker thread, once the call
   * queue has a free slot; `done(error, shape(token, value))` runs later on
   * the JS thread, exactly once (`invalidated`: the invalidation counter read
   * before the call).
   */
  tokenAndValueAsync(fn, handle, done, shape) {
    asyncCalls.run(() => {
      const out = [null];
      const value = [0];
      const err = [null];
      let invalidated;
      const finish = (callError, status) => {
        asyncCalls.release();
        let token;
        try {
          if (callError) throw callError;
          token = this.takeString(status, out[0], err[0]);
        } catch (error) {
          return done(error);
        }
        done(null, shape(token, value[0], invalidated));
      };
      try {
        invalidated = this.invalidations[0];
        fn.async(handle, out, value, err, finish);
      } catch (error) {
        asyncCalls.release();
        done(error);
      }
    });
  }

  /** Drops the cached token if it is still `token`. */
  invalidateToken(handle, token) {
    const err = [null];
    const status = this.fn.wi_invalidate_token(handle, token, err);
    if (status !== 0) throw this.takeError(status, err[0]);
  }

  /** The identity's counters (wi_client_stats with struct_size set). */
  stats(handle) {
    const stats = { struct_size: statsType.size };
    const status = this.fn.wi_client_stats(handle, stats);
    if (status !== 0) throw errorForStatus(status, `wi_client_stats failed with status ${status}`);
    return stats;
  }

  /** Decodes and frees a returned string, or turns the failure into an error. */
  takeString(status, stringPointer, errorPointer) {
    if (status !== 0) throw this.takeError(status, errorPointer);
    if (!stringPointer) throw new InternalError('the library reported success but returned no string');
    try {
      return koffi.decode.string(stringPointer);
    } finally {
      this.fn.wi_free_string(stringPointer);
    }
  }

  /** Reads and frees a wi_error, returning the matching JS error. */
  takeError(status, errorPointer) {
    if (!errorPointer) return errorForStatus(status, `the library failed with status ${status}`);
    const { fn } = this;
    try {
      return errorForStatus(fn.wi_error_status(errorPointer), fn.wi_error_message(errorPointer), {
        httpStatus: fn.wi_error_http_status(errorPointer),
        oauthCode: fn.wi_error_oauth_code(errorPointer),
        retryable: fn.wi_error_retryable(errorPointer),
      });
    } finally {
      fn.wi_error_free(errorPointer);
    }
  }
}

/** The arguments of a string function between the handle and the out-parameters. */
function inputsOf(input) {
  if (input === undefined) return [];
  return Array.isArray(input) ? input : [input];
}

const libraries = new Map();

/**
 * The library for `explicitPath` (the libraryPath option, or undefined), as
 * locate.cjs chooses it; loaded once per explicit path, and once for the search.
 */
function loadLibrary(explicitPath) {
  const explicit = explicitPath || process.env.WI_LIBRARY_PATH;
  const key = explicit ? path.resolve(explicit) : '';
  let library = libraries.get(key);
  if (!library) {
    library = new NativeLibrary(locateLibrary(explicitPath));
    libraries.set(key, library);
  }
  return library;
}

module.exports = { loadLibrary };
