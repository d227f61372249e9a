package workloadidentity

// Authenticated egress through Coze's outbound proxy, and the skill
// environment (shared/PROTOCOL.md, "The outbound auth proxy and skill
// environment"). The rules live in the library; this file turns its two
// settings into net/http values and mirrors environment changes into Go's
// copy of the environment.

// #include "egress_shims.h"
import "C"

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"
	"unsafe"
)

// OutboundProxySettings returns the outbound proxy URL, which carries the
// identity ticket (a secret: never log it; MaskURL shows it safely), and the
// path of the proxy's CA bundle ("" when none is configured). Both are read
// from the environment at each call: COZE_SKILL_PROXY_DOMAIN or
// COZE_OUTBOUND_AUTH_PROXY with identity_ticket; COZE_OUTBOUND_AUTH_PROXY_CA
// (written once per process to a private file removed when the process exits
// through exit(3), which Go programs do not call: a later process removes it)
// or COZE_OUTBOUND_AUTH_PROXY_CA_PATH.
//
// Errors: ErrConfiguration (no proxy variable, no identity_ticket, a proxy URL
// that is not http(s), a CA path that does not exist).
func OutboundProxySettings() (proxyURL string, caBundlePath string, err error) {
	r := C.wi_go_outbound_proxy()
	if r.status != C.WI_STATUS_OK {
		return "", "", takeError(r.status, r.error)
	}
	proxyURL = C.GoString(r.proxy_url)
	C.wi_free_string(r.proxy_url)
	if r.ca_bundle_path != nil {
		caBundlePath = C.GoString(r.ca_bundle_path)
		C.wi_free_string(r.ca_bundle_path)
	}
	return proxyURL, caBundlePath, nil
}

// OutboundTransport returns a clone of http.DefaultTransport that sends every
// request through the outbound proxy (CONNECT with the proxy credentials) and
// trusts only the proxy's CA bundle, or the system roots when no CA is
// configured. The environment is read once, here: call it again after the
// settings change.
//
// Errors: those of OutboundProxySettings; ErrConfiguration for a CA bundle
// that cannot be read or holds no PEM certificate.
func OutboundTransport() (*http.Transport, error) {
	proxyURL, caBundlePath, err := OutboundProxySettings()
	if err != nil {
		return nil, err
	}
	proxy, err := url.Parse(proxyURL)
	if err != nil {
		return nil, &Error{Status: StatusConfiguration, Message: "the outbound proxy URL does not parse: " + MaskURL(proxyURL)}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = http.ProxyURL(proxy)
	if caBundlePath != "" {
		pem, err := os.ReadFile(caBundlePath)
		if err != nil {
			return nil, &Error{Status: StatusConfiguration, Message: fmt.Sprintf("cannot read the outbound proxy CA bundle: %v", err)}
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, &Error{Status: StatusConfiguration, Message: "the outbound proxy CA bundle " + caBundlePath + " holds no PEM certificate"}
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	return transport, nil
}

// OutboundHTTPClient returns an *http.Client whose requests go through the
// outbound proxy with its CA (see OutboundTransport).
func OutboundHTTPClient() (*http.Client, error) {
	transport, err := OutboundTransport()
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: transport}, nil
}

// MaskURL returns u with its credentials masked ("http://space:***@proxy:8080"),
// fit for logs.
func MaskURL(u string) string {
	if err := checkString("url", u); err != nil {
		return "(a URL holding a NUL byte)"
	}
	cu := newCString(u)
	defer freeCString(cu)
	masked := C.wi_mask_url(cu)
	if masked == nil {
		return "(a URL that is not UTF-8)"
	}
	defer C.wi_free_string(masked)
	return C.GoString(masked)
}

// SkillEnvOptions says where LoadSkillEnv looks and how long it waits.
type SkillEnvOptions struct {
	// SourcePaths to search for .coze/agents/<digits>, the first holding one
	// wins; empty: the working directory, then the executable.
	SourcePaths []string
	// Force loads again even if this process already did.
	Force bool
	// Timeout to connect and to read the skill environment endpoint; 0: 10 s.
	Timeout time.Duration
	// TicketFile holding {"IDENTITY_TICKET": "..."}; "": /source/ticket.json.
	TicketFile string
}

// SkillEnvReport says what LoadSkillEnv did, with names only, never values.
type SkillEnvReport struct {
	Loaded     bool     `json:"loaded"`      // the Coze SDK's result
	Cached     bool     `json:"cached"`      // this call did nothing: an earlier attempt's report
	Attempted  bool     `json:"attempted"`   // the process has made its attempt
	SourcePath string   `json:"source_path"` // whose agent directory was used
	AgentID    string   `json:"agent_id"`
	SkillID    string   `json:"skill_id"`
	Set        []string `json:"set"`     // variables written
	Unset      []string `json:"unset"`   // variables removed
	Kept       []string `json:"kept"`    // served but already set, so not applied
	Message    string   `json:"message"` // why nothing (or not everything) was loaded
}

// LoadSkillEnv loads the Coze skill environment into the process environment,
// once per process unless opts.Force (the Coze SDK's load_skill_env). Best
// effort: missing files, an unreachable endpoint or a bad answer give a report
// with Loaded false and the reason. The variables are also set in Go's own
// copy of the environment (os.Getenv). Call it before starting goroutines that
// read the environment.
//
// Errors: ErrSkillEnv when the endpoint answered with an API error code (the
// message carries its JSON after "GetSkillEnvs error: "); ErrInvalidArgument
// for a path holding a NUL byte.
func LoadSkillEnv(opts SkillEnvOptions) (*SkillEnvReport, error) {
	for _, path := range append([]string{opts.TicketFile}, opts.SourcePaths...) {
		if err := checkString("path", path); err != nil {
			return nil, err
		}
	}
	ticketFile := optionalCString(opts.TicketFile)
	defer freeCString(ticketFile)
	var paths **C.char
	if n := len(opts.SourcePaths); n > 0 {
		array := unsafe.Slice((**C.char)(C.malloc(C.size_t(n)*C.size_t(unsafe.Sizeof((*C.char)(nil))))), n)
		for i, path := range opts.SourcePaths {
			array[i] = C.CString(path)
		}
		defer func() {
			for _, p := range array {
				C.free(unsafe.Pointer(p))
			}
			C.free(unsafe.Pointer(&array[0]))
		}()
		paths = &array[0]
	}
	timeoutMS := opts.Timeout.Milliseconds()
	if timeoutMS > 0xFFFFFFFF {
		timeoutMS = 0xFFFFFFFF
	}
	r := C.wi_go_load_skill_env(paths, C.size_t(len(opts.SourcePaths)), ticketFile, C.bool(opts.Force), C.uint32_t(timeoutMS))
	if r.status != C.WI_STATUS_OK {
		if r.status == C.WI_STATUS_SKILL_ENV {
			// The attempt set the agent's variables before the endpoint failed.
			mirrorEnvironment([]string{"agent_id", "pat_token", "skill_id", "identity_ticket", "IDENTITY_TICKET"}, nil)
		}
		return nil, takeError(r.status, r.error)
	}
	raw := C.GoString(r.json)
	C.wi_free_string(r.json)
	var report SkillEnvReport
	if err := json.Unmarshal([]byte(raw), &report); err != nil {
		return nil, &Error{Status: StatusInternal, Message: "skill environment: unexpected report from the library: " + err.Error()}
	}
	if !report.Cached {
		mirrorEnvironment(report.Set, report.Unset)
	}
	return &report, nil
}

// mirrorEnvironment copies variables the library set or removed in the C
// environment into Go's copy, which os.Getenv reads.
func mirrorEnvironment(set, unset []string) {
	for _, name := range set {
		cname := C.CString(name)
		value := C.getenv(cname)
		C.free(unsafe.Pointer(cname))
		if value != nil {
			_ = os.Setenv(name, C.GoString(value))
		}
	}
	for _, name := range unset {
		_ = os.Unsetenv(name)
	}
}
