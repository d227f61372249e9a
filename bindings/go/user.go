package workloadidentity

// #include "shims.h"
import "C"

import "context"

// userKey is the context key of the user token WithUser stores.
type userKey struct{}

// userValue is the value WithUser stores, by pointer, so that printing the
// context shows no token: %v and %+v print a context's values with their
// String method, %#v prints a pointer inside it as an address.
type userValue struct{ token string }

// String hides the token.
func (userValue) String() string { return "workloadidentity.user([redacted])" }

// WithUser returns a copy of ctx that carries the token of the user a request
// runs for. Every token call given that context (or one derived from it)
// acts for that user: AccessToken returns the token delegated for the user
// (DelegatedToken with no audience or scope) instead of the workload's own.
// Contexts are values: the user goes wherever the context goes and nowhere
// else, so nothing is left behind when the request ends.
//
// The token is checked when it is used: an empty one, or one holding a NUL
// byte, makes the token calls fail with ErrInvalidArgument.
func WithUser(ctx context.Context, userToken string) context.Context {
	return context.WithValue(ctx, userKey{}, &userValue{userToken})
}

// UserFrom returns the user token ctx carries (see WithUser), if any.
func UserFrom(ctx context.Context) (token string, ok bool) {
	if ctx == nil {
		return "", false
	}
	user, ok := ctx.Value(userKey{}).(*userValue)
	if !ok {
		return "", false
	}
	return user.token, true
}

// DelegatedToken returns a token for this workload acting for the user of
// userToken (RFC 8693 delegation, C: wi_get_delegated_token): the user's token
// as the subject, the client's own access token as the actor; audience and
// scope are sent when not empty. The library caches it per (identity, user
// token, audience, scope) and shares one request among concurrent callers.
//
// Errors: ErrInvalidArgument (an empty user token, a NUL byte), ErrTokenExchange
// (a user token the server refused says so, is not retryable and is not
// cached), ErrTokenRetrieval (the client's own token), ErrClientClosed, ctx.Err().
// Context as for AccessToken.
func (c *Client) DelegatedToken(ctx context.Context, userToken, audience, scope string) (string, error) {
	if userToken == "" {
		return "", invalidArgument("the user token is empty")
	}
	for _, field := range [3]struct{ name, value string }{
		{"user token", userToken}, {"audience", audience}, {"scope", scope},
	} {
		if err := checkString(field.name, field.value); err != nil {
			return "", err
		}
	}
	return call(ctx, c, func(native *C.wi_client) (string, error) {
		user, aud, sc := newCString(userToken), optionalCString(audience), optionalCString(scope)
		defer freeCString(user)
		defer freeCString(aud)
		defer freeCString(sc)
		return takeString(C.wi_go_delegated_token(native, user, aud, sc))
	})
}
