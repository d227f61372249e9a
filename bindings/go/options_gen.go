// Code generated from the library's option table by tests/option_table.rs; DO NOT EDIT.
// Regenerate: WI_BLESS=1 cargo test --release --test option_table

package workloadidentity

import (
	"strconv"
	"time"
)

// WithFlow sets flow: how the access token is obtained: coze (two steps), client_credentials, refresh_token, password, token_exchange (of subject_token_file), none (no token: OAuth operations only) (env WI_FLOW; default coze).
func WithFlow(flow Flow) Option {
	return Option{"flow", string(flow)}
}

// WithClientID sets client_id: client id (env COZE_WORKLOAD_IDENTITY_CLIENT_ID; default required by coze, client_credentials).
func WithClientID(value string) Option {
	return Option{"client_id", value}
}

// WithClientSecret sets client_secret: client secret (env COZE_WORKLOAD_IDENTITY_CLIENT_SECRET; default required by coze).
func WithClientSecret(value string) Option {
	return Option{"client_secret", value}
}

// WithTokenEndpoint sets token_endpoint: token endpoint; for coze, step 1 (the ID token) (env COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT; default required (or issuer)).
func WithTokenEndpoint(value string) Option {
	return Option{"token_endpoint", value}
}

// WithAccessTokenEndpoint sets access_token_endpoint: coze step 2 and wi_exchange_token (other flows: token_endpoint when unset) (env COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT; default required by coze).
func WithAccessTokenEndpoint(value string) Option {
	return Option{"access_token_endpoint", value}
}

// WithOutboundAuthEndpoint sets outbound_auth_endpoint: base URL of /integration and /env (required for those calls) (env COZE_OUTBOUND_AUTH_ENDPOINT; default none).
func WithOutboundAuthEndpoint(value string) Option {
	return Option{"outbound_auth_endpoint", value}
}

// WithServerEnv sets server_env: lane: ppe_* adds x-tt-env and x-use-ppe: 1; NONE or unset adds nothing; anything else adds x-tt-env (env COZE_SERVER_ENV; default none).
func WithServerEnv(value string) Option {
	return Option{"server_env", value}
}

// WithScope sets scope: scope sent with the flow's token requests (env WI_SCOPE; default none).
func WithScope(value string) Option {
	return Option{"scope", value}
}

// WithAudience sets audience: audience sent with the flow's token requests (env WI_AUDIENCE; default none).
func WithAudience(value string) Option {
	return Option{"audience", value}
}

// WithResource sets resource: resource sent with the flow's token requests (env WI_RESOURCE; default none).
func WithResource(value string) Option {
	return Option{"resource", value}
}

// WithRefreshToken sets refresh_token: initial refresh token (rotated: each new one replaces it) (env WI_REFRESH_TOKEN; default required by refresh_token).
func WithRefreshToken(value string) Option {
	return Option{"refresh_token", value}
}

// WithUsername sets username: resource owner's user name (RFC 6749 4.3) (env WI_USERNAME; default required by password).
func WithUsername(value string) Option {
	return Option{"username", value}
}

// WithPassword sets password: resource owner's password (env WI_PASSWORD; default required by password).
func WithPassword(value string) Option {
	return Option{"password", value}
}

// WithSubjectTokenFile sets subject_token_file: file holding the subject token, read at every fetch (e.g. a Kubernetes projected service-account token) (env WI_SUBJECT_TOKEN_FILE; default required by token_exchange).
func WithSubjectTokenFile(value string) Option {
	return Option{"subject_token_file", value}
}

// WithSubjectTokenType sets subject_token_type: type of the subject token of token_exchange (env WI_SUBJECT_TOKEN_TYPE; default urn:ietf:params:oauth:token-type:jwt).
func WithSubjectTokenType(value string) Option {
	return Option{"subject_token_type", value}
}

// WithClientAuth sets client_auth: client_secret_post, client_secret_basic, private_key_jwt, none or client_id (the two send client_id alone); unset: coze as in version 1, others client_secret_post when a secret is set (env WI_CLIENT_AUTH; default per flow).
func WithClientAuth(method ClientAuth) Option {
	return Option{"client_auth", string(method)}
}

// WithPrivateKeyPath sets private_key_path: PEM private key (RSA or EC P-256; PKCS#8, PKCS#1 or SEC1) that signs client assertions (env WI_PRIVATE_KEY_PATH; default required by private_key_jwt).
func WithPrivateKeyPath(value string) Option {
	return Option{"private_key_path", value}
}

// WithPrivateKeyID sets private_key_id: kid of the client assertion header (env WI_PRIVATE_KEY_ID; default none).
func WithPrivateKeyID(value string) Option {
	return Option{"private_key_id", value}
}

// WithIssuer sets issuer: RFC 8414 discovery: endpoints not set explicitly come from the issuer's metadata, fetched at first need (env WI_ISSUER; default none).
func WithIssuer(value string) Option {
	return Option{"issuer", value}
}

// WithIntrospectionEndpoint sets introspection_endpoint: RFC 7662 introspection (env WI_INTROSPECTION_ENDPOINT; default none (or issuer)).
func WithIntrospectionEndpoint(value string) Option {
	return Option{"introspection_endpoint", value}
}

// WithRevocationEndpoint sets revocation_endpoint: RFC 7009 revocation (env WI_REVOCATION_ENDPOINT; default none (or issuer)).
func WithRevocationEndpoint(value string) Option {
	return Option{"revocation_endpoint", value}
}

// WithRegistrationEndpoint sets registration_endpoint: RFC 7591 registration (env WI_REGISTRATION_ENDPOINT; default none (or issuer)).
func WithRegistrationEndpoint(value string) Option {
	return Option{"registration_endpoint", value}
}

// WithRegistrationToken sets registration_token: initial access token of RFC 7591, sent as Bearer (env WI_REGISTRATION_TOKEN; default none).
func WithRegistrationToken(value string) Option {
	return Option{"registration_token", value}
}

// WithIntrospectionCache sets introspection_cache_s: reuse a positive introspection answer ("active": true) for this long, never past the token's exp; at most 10000 tokens; 0 asks the server every time (env WI_INTROSPECTION_CACHE_S; default 0).
func WithIntrospectionCache(d time.Duration) Option {
	return Option{"introspection_cache_s", seconds(d)}
}

// WithTokenStore sets token_store: memory, or file:<DIR>: tokens shared by the processes of a host (0700 directory, 0600 files) (env WI_TOKEN_STORE; default memory).
func WithTokenStore(value string) Option {
	return Option{"token_store", value}
}

// WithExchangeCacheSize sets exchange_cache_size: bound of the exchanged-token cache; 0 disables it (env WI_EXCHANGE_CACHE_SIZE; default 1024).
func WithExchangeCacheSize(n int) Option {
	return Option{"exchange_cache_size", strconv.Itoa(n)}
}

// WithTimeout sets timeout_ms: read timeout of one attempt (env WI_TIMEOUT_MS; default 30000).
func WithTimeout(d time.Duration) Option {
	return Option{"timeout_ms", milliseconds(d)}
}

// WithConnectTimeout sets connect_timeout_ms: connect timeout of one attempt (env WI_CONNECT_TIMEOUT_MS; default 5000).
func WithConnectTimeout(d time.Duration) Option {
	return Option{"connect_timeout_ms", milliseconds(d)}
}

// WithDeadline sets deadline_ms: overall bound of one call, every step and retry included (env WI_DEADLINE_MS; default (attempts x timeouts + backoff)).
func WithDeadline(d time.Duration) Option {
	return Option{"deadline_ms", milliseconds(d)}
}

// WithExpiryBuffer sets expiry_buffer_s: a token stops being handed out this long before it expires (env WI_EXPIRY_BUFFER_S; default 60).
func WithExpiryBuffer(d time.Duration) Option {
	return Option{"expiry_buffer_s", seconds(d)}
}

// WithMaxRetries sets max_retries: retries of network errors, timeouts, 408, 429, 5xx (env WI_MAX_RETRIES; default 2).
func WithMaxRetries(n int) Option {
	return Option{"max_retries", strconv.Itoa(n)}
}

// WithProxy sets proxy: HTTP(S) proxy URL (WI_PROXY first, then the standard variables); never used for a loopback endpoint (env WI_PROXY; default HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY).
func WithProxy(value string) Option {
	return Option{"proxy", value}
}

// WithCABundlePath sets ca_bundle_path: PEM file whose certificates become the trust anchors (as curl --cacert) (env WI_CA_BUNDLE_PATH; default built-in roots).
func WithCABundlePath(value string) Option {
	return Option{"ca_bundle_path", value}
}

// WithUserAgent sets user_agent: User-Agent header (env WI_USER_AGENT; default workload-identity/<version>).
func WithUserAgent(value string) Option {
	return Option{"user_agent", value}
}

// WithAllowInsecureHTTP sets allow_insecure_http: allow plain http:// to a host that is not loopback (env WI_ALLOW_INSECURE_HTTP; default false).
func WithAllowInsecureHTTP(enabled bool) Option {
	return Option{"allow_insecure_http", strconv.FormatBool(enabled)}
}
