'use strict';
// The error classes: one per wi_status, all subclasses of WorkloadIdentityError.
// Messages come from the library (free of secrets and tokens) or name the
// offending argument, never its value.

/** Status codes of the C API (wi_status). Numbers are never reused. */
const Status = Object.freeze({
  OK: 0,
  INVALID_ARGUMENT: 1,
  CONFIGURATION: 2,
  TOKEN_RETRIEVAL: 3,
  TOKEN_EXCHANGE: 4,
  INTEGRATION: 5,
  OAUTH_OPERATION: 6,
  STORE: 7,
  SKILL_ENV: 8,
  INTERNAL: 99,
});

/** A failure reported by the library, or a call the binding refused to make. */
class WorkloadIdentityError extends Error {
  /**
   * @param {string} message one line, free of secrets
   * @param {{status?: number, httpStatus?: number, oauthCode?: string|null, retryable?: boolean}} [detail]
   */
  constructor(message, detail = {}) {
    super(message);
    this.name = new.target.name;
    /** The wi_status of the failure. */
    this.status = detail.status ?? new.target.defaultStatus;
    /** HTTP status of the response that failed; 0 when none was involved. */
    this.httpStatus = detail.httpStatus ?? 0;
    /** RFC 6749 `error` member of the server's answer, or null. */
    this.oauthCode = detail.oauthCode ?? null;
    /** True when the same call may succeed if tried again later. */
    this.retryable = detail.retryable ?? false;
  }
}
WorkloadIdentityError.defaultStatus = Status.INTERNAL;

/** NULL, wrong type, NUL or lone surrogate in a string, unknown option, closed client. */
class InvalidArgumentError extends WorkloadIdentityError {}
InvalidArgumentError.defaultStatus = Status.INVALID_ARGUMENT;

/** A call on a closed client: an invalid argument (the client), as in Go and Python. */
class ClientClosedError extends InvalidArgumentError {}

/** Required configuration missing or invalid, or the library cannot be loaded. */
class ConfigurationError extends WorkloadIdentityError {}
ConfigurationError.defaultStatus = Status.CONFIGURATION;

/** Step 1 (the ID token from the token endpoint) failed. */
class TokenRetrievalError extends WorkloadIdentityError {}
TokenRetrievalError.defaultStatus = Status.TOKEN_RETRIEVAL;

/** Step 2, or a general token exchange, failed. */
class TokenExchangeError extends WorkloadIdentityError {}
TokenExchangeError.defaultStatus = Status.TOKEN_EXCHANGE;

/** The integration-credential or environment-variable API failed. */
class IntegrationError extends WorkloadIdentityError {}
IntegrationError.defaultStatus = Status.INTEGRATION;

/** Discovery, introspection, revocation or registration failed. */
class OAuthOperationError extends WorkloadIdentityError {}
OAuthOperationError.defaultStatus = Status.OAUTH_OPERATION;

/** The token store's directory cannot be created, is unsafe, or cannot be written. */
class StoreError extends WorkloadIdentityError {}
StoreError.defaultStatus = Status.STORE;

/**
 * The skill environment endpoint answered with an API error code
 * (`BaseResp.StatusCode` not 0). `payload` is its answer, parsed.
 */
class SkillEnvAPIError extends WorkloadIdentityError {
  constructor(message, detail) {
    super(message, detail);
    const marker = 'GetSkillEnvs error: ';
    const at = message.indexOf(marker);
    let payload = null;
    try {
      payload = at < 0 ? null : JSON.parse(message.slice(at + marker.length));
    } catch {
      payload = null;
    }
    /** The endpoint's answer (an object), or null if it could not be read back. */
    this.payload = payload;
  }
}
SkillEnvAPIError.defaultStatus = Status.SKILL_ENV;

/** A bug in the library (a panic caught at its boundary). */
class InternalError extends WorkloadIdentityError {}
InternalError.defaultStatus = Status.INTERNAL;

const classByStatus = new Map([
  [Status.INVALID_ARGUMENT, InvalidArgumentError],
  [Status.CONFIGURATION, ConfigurationError],
  [Status.TOKEN_RETRIEVAL, TokenRetrievalError],
  [Status.TOKEN_EXCHANGE, TokenExchangeError],
  [Status.INTEGRATION, IntegrationError],
  [Status.OAUTH_OPERATION, OAuthOperationError],
  [Status.STORE, StoreError],
  [Status.SKILL_ENV, SkillEnvAPIError],
  [Status.INTERNAL, InternalError],
]);

/** The error of class `status` (the base class for a status this binding does not know). */
function errorForStatus(status, message, detail) {
  const ErrorClass = classByStatus.get(status) ?? WorkloadIdentityError;
  return new ErrorClass(message, { ...detail, status });
}

module.exports = {
  Status,
  WorkloadIdentityError,
  InvalidArgumentError,
  ClientClosedError,
  ConfigurationError,
  TokenRetrievalError,
  TokenExchangeError,
  IntegrationError,
  OAuthOperationError,
  StoreError,
  SkillEnvAPIError,
  InternalError,
  errorForStatus,
};
