package workloadidentity

// #include "shims_oauth.h"
import "C"

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// ServerMetadata is an authorization server's metadata (RFC 8414 section 2),
// checked by the library: it names the configured issuer and a token endpoint.
type ServerMetadata struct {
	Issuer                            string   `json:"issuer"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint,omitempty"`
	RevocationEndpoint                string   `json:"revocation_endpoint,omitempty"`
	RegistrationEndpoint              string   `json:"registration_endpoint,omitempty"`
	JWKSURI                           string   `json:"jwks_uri,omitempty"`
	ScopesSupported                   []string `json:"scopes_supported,omitempty"`
	GrantTypesSupported               []string `json:"grant_types_supported,omitempty"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported,omitempty"`
	// Raw is the document as the server sent it (every other member is there).
	Raw json.RawMessage `json:"-"`
}

// Introspection is an RFC 7662 answer (section 2.2). Times are zero and
// strings empty when the server left the member out.
type Introspection struct {
	Active    bool      // the only member every answer has
	Scope     string    // space-separated
	ClientID  string    // the client the token was issued to
	Username  string    // the resource owner, if any
	TokenType string    // e.g. Bearer
	ExpiresAt time.Time // exp
	IssuedAt  time.Time // iat
	NotBefore time.Time // nbf
	Subject   string    // sub
	Audience  []string  // aud (a string or a list on the wire)
	Issuer    string    // iss
	JWTID     string    // jti
	// Raw is the answer as the server sent it (extension members included).
	Raw json.RawMessage
}

// HasScope reports whether the token's scopes hold scope.
func (i *Introspection) HasScope(scope string) bool {
	for _, granted := range splitScopes(i.Scope) {
		if granted == scope {
			return true
		}
	}
	return false
}

// Registration is an RFC 7591 registration answer (section 3.2.1). It holds
// the new client's secret: String and GoString hide it, so printing a
// Registration never shows it; Raw holds it too.
type Registration struct {
	ClientID              string
	ClientSecret          string    // empty when none was issued
	ClientIDIssuedAt      time.Time // zero when not sent
	ClientSecretExpiresAt time.Time // zero when not sent or 0 (never expires)
	// Raw is the answer as the server sent it (the metadata the server kept).
	Raw json.RawMessage
}

// String shows the client id, never the secret.
func (r Registration) String() string {
	return fmt.Sprintf("Registration{ClientID: %q, ClientSecret: [redacted]}", r.ClientID)
}

// GoString is String, for %#v.
func (r Registration) GoString() string { return r.String() }

// Metadata returns the authorization server's metadata, fetched by the
// library from the issuer (WithIssuer) at its first need, once per identity.
//
// Errors: ErrConfiguration (no issuer), ErrOAuthOperation (the document
// cannot be fetched, is not a JSON object, names another issuer or no token
// endpoint), ErrClientClosed, ctx.Err().
func (c *Client) Metadata(ctx context.Context) (*ServerMetadata, error) {
	return call(ctx, c, func(native *C.wi_client) (*ServerMetadata, error) {
		raw, err := takeBytes(C.wi_go_server_metadata(native))
		if err != nil {
			return nil, err
		}
		metadata := &ServerMetadata{Raw: raw}
		if err := json.Unmarshal(raw, metadata); err != nil {
			return nil, unexpected("server metadata", err)
		}
		return metadata, nil
	})
}

// Introspect asks the introspection endpoint about token (RFC 7662).
// tokenTypeHint may be empty (not sent). With WithIntrospectionCache, a
// positive answer may come from the library's cache.
//
// Errors: ErrInvalidArgument (empty token, a NUL byte), ErrConfiguration (no
// endpoint), ErrOAuthOperation (network, server, an answer without a boolean
// active), ErrClientClosed, ctx.Err(). The token never appears in an error.
func (c *Client) Introspect(ctx context.Context, token, tokenTypeHint string) (*Introspection, error) {
	if err := checkToken(token, tokenTypeHint); err != nil {
		return nil, err
	}
	return call(ctx, c, func(native *C.wi_client) (*Introspection, error) {
		ctoken, chint := newCString(token), optionalCString(tokenTypeHint)
		defer freeCString(ctoken)
		defer freeCString(chint)
		raw, err := takeBytes(C.wi_go_introspect_token(native, ctoken, chint))
		if err != nil {
			return nil, err
		}
		return parseIntrospection(raw)
	})
}

// IsActive is the fail-safe check: true only when introspection answers
// "active": true and the token's scopes hold every space-separated scope of
// requiredScope (empty: no scope required). The bool is false whenever the
// error is not nil: any failure (network, server, malformed answer, bad
// argument, closed client, ctx ending) means "no". An inactive token is
// (false, nil).
func (c *Client) IsActive(ctx context.Context, token, requiredScope string) (bool, error) {
	if err := checkToken(token, ""); err != nil {
		return false, err
	}
	if err := checkString("required scope", requiredScope); err != nil {
		return false, err
	}
	active, err := call(ctx, c, func(native *C.wi_client) (bool, error) {
		ctoken, cscope := newCString(token), optionalCString(requiredScope)
		defer freeCString(ctoken)
		defer freeCString(cscope)
		r := C.wi_go_token_is_active(native, ctoken, cscope)
		if r.error != nil {
			return false, takeError(C.wi_error_status(r.error), r.error)
		}
		return bool(r.active), nil
	})
	return active && err == nil, err
}

// Revoke revokes token (RFC 7009) and drops it from the library's caches of
// this client's identity (and from the file token store), whatever the
// server answers. tokenTypeHint may be empty (not sent).
//
// Errors as for Introspect.
func (c *Client) Revoke(ctx context.Context, token, tokenTypeHint string) error {
	if err := checkToken(token, tokenTypeHint); err != nil {
		return err
	}
	if c != nil {
		c.lease.Store(nil)
	}
	_, err := call(ctx, c, func(native *C.wi_client) (struct{}, error) {
		ctoken, chint := newCString(token), optionalCString(tokenTypeHint)
		defer freeCString(ctoken)
		defer freeCString(chint)
		r := C.wi_go_revoke_token(native, ctoken, chint)
		if r.status != C.WI_STATUS_OK {
			return struct{}{}, takeError(r.status, r.error)
		}
		return struct{}{}, nil
	})
	return err
}

// RegisterClient registers a client (RFC 7591) described by metadata: a
// json.RawMessage or []byte holding a JSON object, or any value that
// encoding/json turns into one (a map, a struct). The initial access token
// is WithRegistrationToken's. Sent once, never retried.
//
// Errors: ErrInvalidArgument (metadata is not a JSON object: checked before
// any request), ErrConfiguration, ErrOAuthOperation, ErrClientClosed, ctx.Err().
func (c *Client) RegisterClient(ctx context.Context, metadata any) (*Registration, error) {
	var document []byte
	switch m := metadata.(type) {
	case json.RawMessage:
		document = m
	case []byte:
		document = m
	default:
		encoded, err := json.Marshal(metadata)
		if err != nil {
			return nil, invalidArgument("client metadata: %v", err)
		}
		document = encoded
	}
	text := string(document)
	if err := checkString("client metadata", text); err != nil {
		return nil, err
	}
	return call(ctx, c, func(native *C.wi_client) (*Registration, error) {
		cmetadata := newCString(text)
		defer freeCString(cmetadata)
		raw, err := takeBytes(C.wi_go_register_client(native, cmetadata))
		if err != nil {
			return nil, err
		}
		var fields struct {
			ClientID              string  `json:"client_id"`
			ClientSecret          string  `json:"client_secret"`
			ClientIDIssuedAt      float64 `json:"client_id_issued_at"`
			ClientSecretExpiresAt float64 `json:"client_secret_expires_at"`
		}
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, unexpected("registration answer", err)
		}
		return &Registration{
			ClientID:              fields.ClientID,
			ClientSecret:          fields.ClientSecret,
			ClientIDIssuedAt:      unixTime(fields.ClientIDIssuedAt),
			ClientSecretExpiresAt: unixTime(fields.ClientSecretExpiresAt),
			Raw:                   raw,
		}, nil
	})
}

// parseIntrospection reads the RFC 7662 members of an answer the library checked.
func parseIntrospection(raw []byte) (*Introspection, error) {
	var fields struct {
		Active    bool     `json:"active"`
		Scope     string   `json:"scope"`
		ClientID  string   `json:"client_id"`
		Username  string   `json:"username"`
		TokenType string   `json:"token_type"`
		Exp       float64  `json:"exp"`
		Iat       float64  `json:"iat"`
		Nbf       float64  `json:"nbf"`
		Sub       string   `json:"sub"`
		Aud       audience `json:"aud"`
		Iss       string   `json:"iss"`
		Jti       string   `json:"jti"`
	}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, unexpected("introspection answer", err)
	}
	return &Introspection{
		Active: fields.Active, Scope: fields.Scope, ClientID: fields.ClientID,
		Username: fields.Username, TokenType: fields.TokenType,
		ExpiresAt: unixTime(fields.Exp), IssuedAt: unixTime(fields.Iat), NotBefore: unixTime(fields.Nbf),
		Subject: fields.Sub, Audience: fields.Aud, Issuer: fields.Iss, JWTID: fields.Jti,
		Raw: raw,
	}, nil
}

// audience is RFC 7662's aud: one string or a list of them.
type audience []string

func (a *audience) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

// unixTime turns a NumericDate into a time; 0 (absent) is the zero time.
func unixTime(seconds float64) time.Time {
	if seconds <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(seconds), 0)
}

func splitScopes(scopes string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(scopes); i++ {
		if i == len(scopes) || scopes[i] == ' ' {
			if start >= 0 {
				out = append(out, scopes[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	return out
}

// checkToken refuses an empty token and a NUL byte, before any call.
func checkToken(token, tokenTypeHint string) error {
	if token == "" {
		return invalidArgument("token is empty")
	}
	if err := checkString("token", token); err != nil {
		return err
	}
	return checkString("token type hint", tokenTypeHint)
}

// unexpected is a document from the library that this binding cannot read (a bug).
func unexpected(what string, err error) error {
	return &Error{Status: StatusInternal, Message: what + ": unexpected document from the library: " + err.Error()}
}
