package workloadidentity

import (
	"errors"
	"fmt"
)

// Status is the class of a failure; the numbers are those of the C wi_status.
type Status uint32

// The classes of failure (C: WI_STATUS_*).
const (
	StatusOK              Status = 0  // success; never the Status of an *Error
	StatusInvalidArgument Status = 1  // a bad argument, unknown option key or bad option value
	StatusConfiguration   Status = 2  // required configuration missing or invalid
	StatusTokenRetrieval  Status = 3  // step 1 (ID token) failed
	StatusTokenExchange   Status = 4  // step 2, or a general token exchange, failed
	StatusIntegration     Status = 5  // the integration-credential or env-var API failed
	StatusOAuthOperation  Status = 6  // discovery, introspection, revocation or registration failed
	StatusStore           Status = 7  // the token store's directory cannot be created or written
	StatusSkillEnv        Status = 8  // the skill environment endpoint answered with an API error code
	StatusInternal        Status = 99 // a bug in the library (a caught panic)
)

// String returns the name of the status, e.g. "token retrieval".
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusInvalidArgument:
		return "invalid argument"
	case StatusConfiguration:
		return "configuration"
	case StatusTokenRetrieval:
		return "token retrieval"
	case StatusTokenExchange:
		return "token exchange"
	case StatusIntegration:
		return "integration"
	case StatusOAuthOperation:
		return "oauth operation"
	case StatusStore:
		return "token store"
	case StatusSkillEnv:
		return "skill environment"
	case StatusInternal:
		return "internal"
	}
	return fmt.Sprintf("status %d", uint32(s))
}

// Sentinels for errors.Is: an *Error matches the one of its Status.
var (
	ErrInvalidArgument = errors.New("workloadidentity: invalid argument")
	ErrConfiguration   = errors.New("workloadidentity: configuration error")
	ErrTokenRetrieval  = errors.New("workloadidentity: token retrieval failed")
	ErrTokenExchange   = errors.New("workloadidentity: token exchange failed")
	ErrIntegration     = errors.New("workloadidentity: integration API failed")
	ErrOAuthOperation  = errors.New("workloadidentity: OAuth operation failed")
	ErrStore           = errors.New("workloadidentity: token store error")
	ErrSkillEnv        = errors.New("workloadidentity: skill environment API error")
	ErrInternal        = errors.New("workloadidentity: internal error")
)

// ErrClientClosed is returned (this very value) by calls on a closed or nil
// Client. It is an invalid argument, the client: errors.Is(err,
// ErrInvalidArgument) holds too, and errors.As gives an *Error with
// StatusInvalidArgument. The same name and meaning as Python's and Node's
// ClientClosedError.
var ErrClientClosed error = &Error{
	Status:  StatusInvalidArgument,
	Message: "the workload-identity client is closed",
}

// Error is the detail of one failure reported by the library (or an argument
// the binding refused before calling it). It never holds a secret or a token.
// Use errors.Is with the Err* sentinels, or errors.As to read the fields.
type Error struct {
	Status     Status // the class of failure
	HTTPStatus int    // status of the HTTP response that failed; 0 if none was involved
	OAuthCode  string // RFC 6749 `error` member of the response (e.g. "invalid_client"), or ""
	Retryable  bool   // the same call may succeed later (network failure, timeout, 408, 429, 5xx)
	Message    string // one line: the operation, what went wrong, OAuth code and HTTP status
}

// Error returns the message, prefixed with the package name.
func (e *Error) Error() string {
	return "workloadidentity: " + e.Message
}

// Is reports whether target is the sentinel of e's Status.
func (e *Error) Is(target error) bool {
	return target != nil && sentinelOf(e.Status) == target
}

func sentinelOf(s Status) error {
	switch s {
	case StatusInvalidArgument:
		return ErrInvalidArgument
	case StatusConfiguration:
		return ErrConfiguration
	case StatusTokenRetrieval:
		return ErrTokenRetrieval
	case StatusTokenExchange:
		return ErrTokenExchange
	case StatusIntegration:
		return ErrIntegration
	case StatusOAuthOperation:
		return ErrOAuthOperation
	case StatusStore:
		return ErrStore
	case StatusSkillEnv:
		return ErrSkillEnv
	case StatusInternal:
		return ErrInternal
	}
	return nil
}

// invalidArgument is an argument the binding refuses before calling the library.
func invalidArgument(format string, args ...any) *Error {
	return &Error{Status: StatusInvalidArgument, Message: fmt.Sprintf(format, args...)}
}
