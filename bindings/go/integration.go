package workloadidentity

// #include "shims.h"
import "C"

import (
	"context"
	"encoding/json"
)

// EnvVar is one project environment variable.
type EnvVar struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// IntegrationCredential returns the credential of the integration named name,
// from {outbound_auth_endpoint}/integration (a 401 there renews the access
// token and retries once).
//
// Errors: ErrInvalidArgument (empty, non-UTF-8 or NUL-carrying name),
// ErrConfiguration (no outbound endpoint), ErrIntegration (the API failed, e.g.
// an unknown integration), ErrTokenRetrieval or ErrTokenExchange (the access
// token), ErrClientClosed, ctx.Err().
func (c *Client) IntegrationCredential(ctx context.Context, name string) (string, error) {
	if err := checkString("integration name", name); err != nil {
		return "", err
	}
	return call(ctx, c, func(native *C.wi_client) (string, error) {
		cname := newCString(name)
		defer freeCString(cname)
		return takeString(C.wi_go_integration_credential(native, cname))
	})
}

// ProjectEnvVars returns the project's environment variables from
// {outbound_auth_endpoint}/env, in server order.
//
// Errors as for IntegrationCredential.
func (c *Client) ProjectEnvVars(ctx context.Context) ([]EnvVar, error) {
	return call(ctx, c, func(native *C.wi_client) ([]EnvVar, error) {
		raw, err := takeBytes(C.wi_go_project_env_vars(native))
		if err != nil {
			return nil, err
		}
		defer clear(raw) // the values are secrets
		var parsed struct {
			Vars []EnvVar `json:"vars"`
		}
		if err := json.Unmarshal(raw, &parsed); err != nil {
			return nil, &Error{Status: StatusInternal, Message: "project environment variables: unexpected document from the library: " + err.Error()}
		}
		return parsed.Vars, nil
	})
}
