package workloadidentity

// #include <stdlib.h>
// #include "shims.h"
import "C"

import (
	"context"
	"unsafe"
)

// ExchangeRequest holds the parameters of a general RFC 8693 token exchange
// (section 2.1; C: wi_exchange_params). An empty field is left out of the
// request, except as noted.
type ExchangeRequest struct {
	SubjectToken       string // required
	SubjectTokenType   string // empty: urn:ietf:params:oauth:token-type:access_token
	Audience           string
	Resource           string // target resource URI
	Scope              string // space-separated
	RequestedTokenType string
	ActorToken         string // for delegation
	ActorTokenType     string // required when ActorToken is given
}

// fields lists the request's values with their names, in wi_exchange_params order.
func (r *ExchangeRequest) fields() [8]struct{ name, value string } {
	return [8]struct{ name, value string }{
		{"subject token", r.SubjectToken},
		{"subject token type", r.SubjectTokenType},
		{"audience", r.Audience},
		{"resource", r.Resource},
		{"scope", r.Scope},
		{"requested token type", r.RequestedTokenType},
		{"actor token", r.ActorToken},
		{"actor token type", r.ActorTokenType},
	}
}

// ExchangeToken performs a general RFC 8693 token exchange at the access-token
// endpoint, authenticated as WithClientAuth says, and returns the issued token.
// The library caches the result per identity and every parameter
// (WithExchangeCacheSize) and shares one request among concurrent callers.
//
// Errors: ErrInvalidArgument (no subject token, an actor token without its
// type, a NUL byte), ErrTokenExchange, ErrClientClosed, ctx.Err().
func (c *Client) ExchangeToken(ctx context.Context, request ExchangeRequest) (string, error) {
	if request.SubjectToken == "" {
		return "", invalidArgument("ExchangeRequest.SubjectToken is required")
	}
	fields := request.fields()
	for _, field := range fields {
		if err := checkString(field.name, field.value); err != nil {
			return "", err
		}
	}
	return call(ctx, c, func(native *C.wi_client) (string, error) {
		params := (*C.wi_exchange_params)(C.calloc(1, C.sizeof_wi_exchange_params))
		if params == nil {
			return "", &Error{Status: StatusInternal, Message: "exchange parameters: out of memory"}
		}
		defer C.free(unsafe.Pointer(params))
		members := [8]**C.char{
			&params.subject_token, &params.subject_token_type, &params.audience, &params.resource,
			&params.scope, &params.requested_token_type, &params.actor_token, &params.actor_token_type,
		}
		for i, member := range members {
			*member = optionalCString(fields[i].value)
			defer freeCString(*member)
		}
		return takeString(C.wi_go_exchange_token(native, params))
	})
}
