package workloadidentity

// #include "workload_identity.h"
import "C"

import (
	"strconv"
	"time"
)

// Option is one setting for New: a C option key (see wi_options_set) and its
// value. Values are checked by the library when New applies them.
type Option struct {
	key, value string
}

// WithOption sets any option by its C key, e.g. WithOption("timeout_ms", "5000").
func WithOption(key, value string) Option { return Option{key, value} }

// WithClientID sets client_id (env COZE_WORKLOAD_IDENTITY_CLIENT_ID).
func WithClientID(id string) Option { return Option{"client_id", id} }

// WithClientSecret sets client_secret (env COZE_WORKLOAD_IDENTITY_CLIENT_SECRET).
func WithClientSecret(secret string) Option { return Option{"client_secret", secret} }

// WithTokenEndpoint sets token_endpoint, the ID-token URL (env COZE_WORKLOAD_IDENTITY_TOKEN_ENDPOINT).
func WithTokenEndpoint(url string) Option { return Option{"token_endpoint", url} }

// WithAccessTokenEndpoint sets access_token_endpoint, the exchange URL (env COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT).
func WithAccessTokenEndpoint(url string) Option { return Option{"access_token_endpoint", url} }

// WithOutboundAuthEndpoint sets outbound_auth_endpoint, the base URL of the
// integration-credential and env-var APIs (env COZE_OUTBOUND_AUTH_ENDPOINT).
func WithOutboundAuthEndpoint(url string) Option { return Option{"outbound_auth_endpoint", url} }

// WithServerEnv sets server_env, the lane, e.g. "ppe_x" (env COZE_SERVER_ENV; "NONE" means none).
func WithServerEnv(lane string) Option { return Option{"server_env", lane} }

// WithTimeout sets timeout_ms, the read timeout of one HTTP attempt (default 30 s).
func WithTimeout(d time.Duration) Option { return Option{"timeout_ms", milliseconds(d)} }

// WithConnectTimeout sets connect_timeout_ms (default 5 s).
func WithConnectTimeout(d time.Duration) Option {
	return Option{"connect_timeout_ms", milliseconds(d)}
}

// WithDeadline sets deadline_ms, the overall bound of one call, retries included.
func WithDeadline(d time.Duration) Option { return Option{"deadline_ms", milliseconds(d)} }

// WithExpiryBuffer sets expiry_buffer_s: how long before its expiry a cached
// token stops being handed out (default 60 s; rounded up to whole seconds).
func WithExpiryBuffer(d time.Duration) Option {
	return Option{"expiry_buffer_s", strconv.FormatInt(ceilDiv(d, time.Second), 10)}
}

// WithMaxRetries sets max_retries, the retries of a transient failure (default 2).
func WithMaxRetries(n int) Option { return Option{"max_retries", strconv.Itoa(n)} }

// WithProxy sets proxy, an HTTP(S) proxy URL (default: HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
func WithProxy(url string) Option { return Option{"proxy", url} }

// WithCABundlePath sets ca_bundle_path, a PEM file of trust anchors used instead of the built-in roots.
func WithCABundlePath(path string) Option { return Option{"ca_bundle_path", path} }

// WithUserAgent sets user_agent.
func WithUserAgent(userAgent string) Option { return Option{"user_agent", userAgent} }

// WithAllowInsecureHTTP sets allow_insecure_http: allow plain http to a
// non-loopback host (credentials then travel in clear text).
func WithAllowInsecureHTTP(allow bool) Option {
	return Option{"allow_insecure_http", strconv.FormatBool(allow)}
}

// ClientAuth is how a general token exchange authenticates the client (option client_auth).
type ClientAuth string

// The client authentication methods of ExchangeToken.
const (
	ClientAuthClientID          ClientAuth = "client_id"           // client_id in the form (the default, as Coze step 2)
	ClientAuthClientSecretPost  ClientAuth = "client_secret_post"  // client_id and client_secret in the form
	ClientAuthClientSecretBasic ClientAuth = "client_secret_basic" // HTTP Basic
)

// WithClientAuth sets client_auth.
func WithClientAuth(auth ClientAuth) Option { return Option{"client_auth", string(auth)} }

// milliseconds renders d in whole milliseconds, rounding a positive d up (so
// that it never becomes 0); the library rejects values out of range.
func milliseconds(d time.Duration) string {
	return strconv.FormatInt(ceilDiv(d, time.Millisecond), 10)
}

func ceilDiv(d, unit time.Duration) int64 {
	q := int64(d / unit)
	if d%unit > 0 {
		q++
	}
	return q
}

// apply sets the option on native options; the error names the key, never the value.
func (o Option) apply(options *C.wi_options) error {
	if err := checkString("option key", o.key); err != nil {
		return err
	}
	if err := checkString("value of option "+strconv.Quote(o.key), o.value); err != nil {
		return err
	}
	key := newCString(o.key)
	defer freeCString(key)
	value := newCString(o.value)
	defer freeCString(value)
	var cerr *C.wi_error
	if status := C.wi_options_set(options, key, value, &cerr); status != C.WI_STATUS_OK {
		return takeError(status, cerr)
	}
	return nil
}
