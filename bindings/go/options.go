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

// WithHeader adds the HTTP header name: value to every request (option
// header.<Name>). Authorization, Content-Type, Content-Length and Host are
// refused, as are names and values holding control characters.
func WithHeader(name, value string) Option { return Option{"header." + name, value} }

// Flow is how the access token is obtained (option flow).
type Flow string

// The flows.
const (
	FlowCoze              Flow = "coze"               // client credentials for an ID token, then an RFC 8693 exchange (the default)
	FlowClientCredentials Flow = "client_credentials" // one grant_type=client_credentials request
	FlowRefreshToken      Flow = "refresh_token"      // grant_type=refresh_token from WithRefreshToken, rotated
	FlowPassword          Flow = "password"           // grant_type=password (RFC 6749 4.3)
	FlowTokenExchange     Flow = "token_exchange"     // RFC 8693 exchange of the token in WithSubjectTokenFile
	FlowNone              Flow = "none"               // no access token: OAuth operations only
)

// ClientAuth is how the client authenticates to token, introspection and
// revocation endpoints (option client_auth).
type ClientAuth string

// The client authentication methods.
const (
	ClientAuthClientID          ClientAuth = "client_id"           // client_id alone, no secret
	ClientAuthNone              ClientAuth = "none"                // the same as ClientAuthClientID (the OpenID Connect name)
	ClientAuthClientSecretPost  ClientAuth = "client_secret_post"  // client_id and client_secret in the form
	ClientAuthClientSecretBasic ClientAuth = "client_secret_basic" // HTTP Basic
	ClientAuthPrivateKeyJWT     ClientAuth = "private_key_jwt"     // a client assertion signed with WithPrivateKeyPath (RFC 7523)
)

// milliseconds renders d in whole milliseconds, rounding a positive d up (so
// that it never becomes 0); the library rejects values out of range.
func milliseconds(d time.Duration) string {
	return strconv.FormatInt(ceilDiv(d, time.Millisecond), 10)
}

// seconds renders d in whole seconds, rounding up.
func seconds(d time.Duration) string {
	return strconv.FormatInt(ceilDiv(d, time.Second), 10)
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
