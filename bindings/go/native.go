package workloadidentity

// Conversions between Go values and the library's C strings and errors. Only
// flat C values cross the boundary: arguments are copied into C memory, and
// results are copied into Go memory and the C originals freed at once.

// #include <stdlib.h>
// #include <string.h>
// #include "shims.h"
import "C"

import (
	"strings"
	"unsafe"
)

// checkString refuses a string C cannot carry (an embedded NUL would cut it short).
func checkString(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return invalidArgument("%s contains a NUL byte", what)
	}
	return nil
}

// newCString copies s into C memory, to be released with freeCString.
func newCString(s string) *C.char {
	return C.CString(s)
}

// optionalCString is newCString, except that "" gives NULL ("not given").
func optionalCString(s string) *C.char {
	if s == "" {
		return nil
	}
	return C.CString(s)
}

// freeCString wipes and frees a string from newCString (arguments may be secrets). NULL is ignored.
func freeCString(p *C.char) {
	if p == nil {
		return
	}
	C.memset(unsafe.Pointer(p), 0, C.strlen(p))
	C.free(unsafe.Pointer(p))
}

// takeString turns a call's outcome into a Go string or error, freeing the
// library's string (wi_free_string wipes it) and error.
func takeString(r C.wi_go_string_result) (string, error) {
	if r.status != C.WI_STATUS_OK {
		C.wi_free_string(r.value) // NULL by contract; freed all the same
		return "", takeError(r.status, r.error)
	}
	value := C.GoString(r.value)
	C.wi_free_string(r.value)
	return value, nil
}

// takeOwnedString copies a string the library handed over and frees it.
func takeOwnedString(value *C.char) string {
	copied := C.GoString(value)
	C.wi_free_string(value)
	return copied
}

// takeBytes is takeString for a result parsed and wiped by the caller.
func takeBytes(r C.wi_go_string_result) ([]byte, error) {
	if r.status != C.WI_STATUS_OK {
		C.wi_free_string(r.value)
		return nil, takeError(r.status, r.error)
	}
	value := C.GoBytes(unsafe.Pointer(r.value), C.int(C.strlen(r.value)))
	C.wi_free_string(r.value)
	return value, nil
}

// takeError copies a failed call's wi_error into an *Error and frees it.
func takeError(status C.wi_status, cerr *C.wi_error) error {
	if cerr == nil {
		return &Error{Status: Status(status), Message: Status(status).String() + " error (no detail)"}
	}
	defer C.wi_error_free(cerr)
	e := &Error{
		Status:     Status(C.wi_error_status(cerr)),
		HTTPStatus: int(C.wi_error_http_status(cerr)),
		Retryable:  bool(C.wi_error_retryable(cerr)),
		Message:    C.GoString(C.wi_error_message(cerr)),
	}
	if code := C.wi_error_oauth_code(cerr); code != nil {
		e.OAuthCode = C.GoString(code)
	}
	return e
}
