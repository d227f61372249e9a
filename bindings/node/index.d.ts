// Types of @workload-identity/node (ES module index.js and CommonJS index.cjs).

/** Status codes of the C API (`wi_status`). */
export declare const Status: Readonly<{
  OK: 0;
  INVALID_ARGUMENT: 1;
  CONFIGURATION: 2;
  TOKEN_RETRIEVAL: 3;
  TOKEN_EXCHANGE: 4;
  INTEGRATION: 5;
  INTERNAL: 99;
}>;

type OptionValue = string | number | boolean | bigint | null | undefined;

/**
 * Client settings: the C option keys or their camelCase forms. A key left out
 * falls back to its environment variable (COZE_WORKLOAD_IDENTITY_CLIENT_ID, ...)
 * or its default. Unknown keys and bad values throw InvalidArgumentError.
 */
export interface ClientOptions {
  /** Path of the shared library; default $WI_LIBRARY_PATH, else ../../target/release/ of this package. */
  libraryPath?: string;
  library_path?: string;
  clientId?: string;
  client_id?: string;
  clientSecret?: string;
  client_secret?: string;
  tokenEndpoint?: string;
  token_endpoint?: string;
  accessTokenEndpoint?: string;
  access_token_endpoint?: string;
  outboundAuthEndpoint?: string;
  outbound_auth_endpoint?: string;
  /** The lane (COZE_SERVER_ENV). */
  serverEnv?: string;
  server_env?: string;
  timeoutMs?: number | string;
  timeout_ms?: number | string;
  connectTimeoutMs?: number | string;
  connect_timeout_ms?: number | string;
  deadlineMs?: number | string;
  deadline_ms?: number | string;
  expiryBufferS?: number | string;
  expiry_buffer_s?: number | string;
  maxRetries?: number | string;
  max_retries?: number | string;
  proxy?: string;
  caBundlePath?: string;
  ca_bundle_path?: string;
  userAgent?: string;
  user_agent?: string;
  allowInsecureHttp?: boolean | string;
  allow_insecure_http?: boolean | string;
  clientAuth?: 'client_id' | 'client_secret_post' | 'client_secret_basic';
  client_auth?: 'client_id' | 'client_secret_post' | 'client_secret_basic';
  /** Keys added to the C API later pass through unchanged. */
  [key: string]: OptionValue;
}

/** RFC 8693 section 2.1 parameters; camelCase or the C member names. */
export interface ExchangeParams {
  subjectToken?: string;
  subject_token?: string;
  /** Default urn:ietf:params:oauth:token-type:access_token. */
  subjectTokenType?: string | null;
  subject_token_type?: string | null;
  audience?: string | null;
  resource?: string | null;
  scope?: string | null;
  requestedTokenType?: string | null;
  requested_token_type?: string | null;
  actorToken?: string | null;
  actor_token?: string | null;
  /** Required when actorToken is given. */
  actorTokenType?: string | null;
  actor_token_type?: string | null;
}

export interface EnvVar {
  key: string;
  value: string;
}

/** Counters of one identity (wi_stats), shared by the clients of that identity. */
export interface ClientStats {
  cacheHits: number;
  cacheMisses: number;
  refreshesStarted: number;
  refreshesSucceeded: number;
  refreshesFailed: number;
  staleServed: number;
  retries: number;
  serverRequests: number;
}

/**
 * A workload-identity client over one native `wi_client`. Async methods run
 * on libuv's thread pool and never block the event loop; *Sync methods block
 * the calling thread (cheap when the token is cached).
 */
export declare class Client {
  /** Options omitted: the whole configuration comes from the environment. */
  constructor(options?: ClientOptions);
  getAccessToken(): Promise<string>;
  getAccessTokenSync(): string;
  exchangeToken(params: ExchangeParams): Promise<string>;
  exchangeTokenSync(params: ExchangeParams): string;
  getIntegrationCredential(name: string): Promise<string>;
  getIntegrationCredentialSync(name: string): string;
  getProjectEnvVars(): Promise<EnvVar[]>;
  getProjectEnvVarsSync(): EnvVar[];
  /** Drops the cached access token only if it is still `token`. */
  invalidateToken(token: string): void;
  /** Fetches a new access token now, whatever the cache holds. */
  forceRefresh(): Promise<string>;
  forceRefreshSync(): string;
  stats(): ClientStats;
  /** Frees the native client once running async calls end; later calls fail. Idempotent. */
  close(): void;
  readonly closed: boolean;
  [Symbol.dispose](): void;
}

/** The library's version, e.g. "0.1.0". */
export declare function version(libraryPath?: string): string;

export declare class WorkloadIdentityError extends Error {
  constructor(
    message: string,
    detail?: { status?: number; httpStatus?: number; oauthCode?: string | null; retryable?: boolean },
  );
  /** The wi_status of the failure. */
  readonly status: number;
  /** HTTP status of the response that failed; 0 when none was involved. */
  readonly httpStatus: number;
  /** RFC 6749 `error` member of the server's answer, or null. */
  readonly oauthCode: string | null;
  /** True when the same call may succeed if tried again later. */
  readonly retryable: boolean;
}
export declare class InvalidArgumentError extends WorkloadIdentityError {}
/** A call on a closed client (an invalid argument: the client), as in Go and Python. */
export declare class ClientClosedError extends InvalidArgumentError {}
export declare class ConfigurationError extends WorkloadIdentityError {}
export declare class TokenRetrievalError extends WorkloadIdentityError {}
export declare class TokenExchangeError extends WorkloadIdentityError {}
export declare class IntegrationError extends WorkloadIdentityError {}
export declare class InternalError extends WorkloadIdentityError {}

declare const binding: {
  Client: typeof Client;
  version: typeof version;
  Status: typeof Status;
  WorkloadIdentityError: typeof WorkloadIdentityError;
  InvalidArgumentError: typeof InvalidArgumentError;
  ClientClosedError: typeof ClientClosedError;
  ConfigurationError: typeof ConfigurationError;
  TokenRetrievalError: typeof TokenRetrievalError;
  TokenExchangeError: typeof TokenExchangeError;
  IntegrationError: typeof IntegrationError;
  InternalError: typeof InternalError;
};
export default binding;
