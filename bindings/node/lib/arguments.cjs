'use strict';
// Checks and converts JS arguments before they reach C: wrong types, NUL
// characters (C would silently cut the string there) and lone surrogates (no
// UTF-8 form) become InvalidArgumentError naming the argument, never its value.

const { InvalidArgumentError } = require('./errors.cjs');

/** Throws unless `value` is a string C can receive intact. */
function checkString(value, what) {
  if (typeof value !== 'string') {
    throw new InvalidArgumentError(`${what} must be a string, not ${describeType(value)}`);
  }
  if (value.includes('\0')) {
    throw new InvalidArgumentError(`${what} must not contain a NUL character`);
  }
  if (!value.isWellFormed()) {
    throw new InvalidArgumentError(`${what} is not valid Unicode (it holds a lone surrogate)`);
  }
  return value;
}

function describeType(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function checkObject(value, what) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be an object, not ${describeType(value)}`);
  }
}

/** `clientId` → `client_id`; snake_case names and `header.<Name>` keys (the name is the caller's) pass through. */
function snakeCase(name) {
  if (name.startsWith('header.')) return name;
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** [snake_case name, value] for each own key whose value is not null/undefined; rejects a name given twice. */
function namedEntries(object, what) {
  const entries = new Map();
  for (const [name, value] of Object.entries(object)) {
    if (value === undefined || value === null) continue;
    const key = snakeCase(name);
    if (entries.has(key)) {
      throw new InvalidArgumentError(`${what} ${key} is given twice (${entries.get(key).name} and ${name})`);
    }
    entries.set(key, { name, value });
  }
  return entries;
}

const LIBRARY_PATH_KEY = 'library_path';

/**
 * Splits client options into the library path and the C settings: [key,
 * string] pairs for wi_options_set, or null when none is given (environment
 * only). Keys are the C option names or their camelCase forms; the library
 * itself rejects unknown keys and bad values, naming the key.
 */
function clientSettings(options) {
  if (options === undefined || options === null) return { libraryPath: undefined, settings: null };
  checkObject(options, 'options');
  let libraryPath;
  const settings = [];
  for (const [key, { value }] of namedEntries(options, 'option')) {
    if (key === LIBRARY_PATH_KEY) {
      libraryPath = checkString(value, 'option libraryPath');
    } else {
      settings.push([key, optionValue(key, value)]);
    }
  }
  return { libraryPath, settings: settings.length > 0 ? settings : null };
}

function optionValue(key, value) {
  switch (typeof value) {
    case 'string':
      return checkString(value, `option ${key}`);
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'number':
      if (Number.isFinite(value)) return String(value);
      throw new InvalidArgumentError(`option ${key} must be a finite number`);
    default:
      throw new InvalidArgumentError(
        `option ${key} must be a string, number or boolean, not ${describeType(value)}`,
      );
  }
}

const EXCHANGE_FIELDS = [
  'subject_token',
  'subject_token_type',
  'audience',
  'resource',
  'scope',
  'requested_token_type',
  'actor_token',
  'actor_token_type',
];

/** A wi_exchange_params object (every field a string or null) from camelCase or C names. */
function exchangeParams(params) {
  checkObject(params, 'exchange parameters');
  const struct = Object.fromEntries(EXCHANGE_FIELDS.map((field) => [field, null]));
  for (const [key, { name, value }] of namedEntries(params, 'exchange parameter')) {
    if (!(key in struct)) {
      throw new InvalidArgumentError(`unknown exchange parameter ${name}; known: ${EXCHANGE_FIELDS.join(', ')}`);
    }
    struct[key] = checkString(value, `exchange parameter ${name}`);
  }
  if (struct.subject_token === null) {
    throw new InvalidArgumentError('exchange parameter subjectToken is required');
  }
  return struct;
}

/**
 * The inputs of wi_get_delegated_token: [userToken, audience, scope], the
 * last two null when not given. `options` is `{ audience, scope }` or omitted.
 */
function delegationParams(userToken, options) {
  checkUserToken(userToken);
  if (options === undefined || options === null) return [userToken, null, null];
  checkObject(options, 'delegation options');
  const known = { audience: null, scope: null };
  for (const [key, { name, value }] of namedEntries(options, 'delegation option')) {
    if (!(key in known)) throw new InvalidArgumentError(`unknown delegation option ${name}; known: audience, scope`);
    known[key] = checkString(value, `delegation option ${name}`);
  }
  return [userToken, known.audience, known.scope];
}

/** Throws unless `userToken` is a non-empty string C can receive intact (never naming its value). */
function checkUserToken(userToken) {
  checkString(userToken, 'user token');
  if (userToken.length === 0) throw new InvalidArgumentError('user token must not be empty');
  return userToken;
}

module.exports = { checkString, checkUserToken, clientSettings, exchangeParams, delegationParams };
