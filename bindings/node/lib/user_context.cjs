'use strict';
// The user a request runs for, carried by AsyncLocalStorage: inside
// runAsUser(userToken, fn) a client's getAccessToken() returns the token
// delegated for that user (the library caches it per user); outside, the
// workload's own. The store follows fn's synchronous code and every
// continuation created inside it (promises, timers, callbacks), and nothing
// else: when fn returns or throws, the code after runAsUser, and every other
// request, sees no user. There is nothing to clear by hand.

const { AsyncLocalStorage } = require('node:async_hooks');

const { checkUserToken } = require('./arguments.cjs');
const { InvalidArgumentError } = require('./errors.cjs');

const storage = new AsyncLocalStorage();

/**
 * Runs `fn()` for the user of `userToken` and returns what it returns (a
 * promise stays a promise). Throws InvalidArgumentError, before running fn,
 * for a user token that is not a non-empty string C can receive intact.
 */
function runAsUser(userToken, fn) {
  checkUserToken(userToken);
  if (typeof fn !== 'function') throw new InvalidArgumentError('runAsUser needs a function to run');
  return storage.run(Object.freeze({ userToken }), fn);
}

/** The user token of the scope the caller runs in, or undefined outside any. */
function currentUserToken() {
  return storage.getStore()?.userToken;
}

module.exports = { runAsUser, currentUserToken };
