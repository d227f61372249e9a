package workloadidentity_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	wi "github.com/workload-identity/workload-identity/bindings/go"
)

// Interoperability with an authorization server that no one here wrote:
// client_credentials from oidc-provider (tests/interop/oidc-provider) under
// client_secret_basic, client_secret_post and private_key_jwt (ES256 and
// RS256, keys generated here with openssl; the harness registers their public
// halves).

// oidcCredentials is the harness's credentials.json.
type oidcCredentials struct {
	Clients map[string]struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	} `json:"clients"`
	Scopes []string `json:"scopes"`
}

func harnessDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tests", "interop", "oidc-provider"))
	must(t, err)
	return dir
}

// startOIDCProvider starts the harness with keyPath as the wi-jwt client's key
// and returns its token endpoint, read from discovery. The server ends with t
// (its stdin closes).
func startOIDCProvider(t *testing.T, keyPath string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(harnessDir(t), "start"), "--jwt-key", keyPath)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		reader := bufio.NewReader(stdout)
		line, _ := reader.ReadString('\n')
		lines <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, reader) // it prints nothing else; never let the pipe fill
	}()
	var issuer string
	select {
	case issuer = <-lines:
	case <-time.After(60 * time.Second): // the first start may run npm ci
		t.Fatal("oidc-provider harness: no issuer line within 60 s")
	}
	if !strings.HasPrefix(issuer, "http://127.0.0.1:") {
		t.Fatalf("oidc-provider harness: first line %q is no issuer", issuer)
	}
	response, err := http.Get(issuer + "/.well-known/openid-configuration")
	must(t, err)
	defer response.Body.Close()
	var metadata struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	must(t, json.NewDecoder(response.Body).Decode(&metadata))
	if metadata.TokenEndpoint == "" {
		t.Fatal("discovery has no token_endpoint")
	}
	return metadata.TokenEndpoint
}

// generateKey writes a new private key (openssl genpkey arguments) to dir/name.
func generateKey(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	out, err := exec.Command("openssl", append([]string{"genpkey", "-out", path}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl genpkey: %v\n%s", err, out)
	}
	return path
}

func TestInteropOIDCProviderClientCredentials(t *testing.T) {
	var credentials oidcCredentials
	raw, err := os.ReadFile(filepath.Join(harnessDir(t), "credentials.json"))
	must(t, err)
	must(t, json.Unmarshal(raw, &credentials))

	dir := t.TempDir()
	keys := map[string]string{
		"ES256": generateKey(t, dir, "ec.pem", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"),
		"RS256": generateKey(t, dir, "rsa.pem", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"),
	}
	endpoints := map[string]string{} // one server per key (the harness registers one)
	for alg, key := range keys {
		endpoints[alg] = startOIDCProvider(t, key)
	}

	ctx := context.Background()
	get := func(t *testing.T, opts ...wi.Option) {
		t.Helper()
		c, err := wi.New(append([]wi.Option{wi.WithFlow(wi.FlowClientCredentials), wi.WithScope("api:read")}, opts...)...)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		defer c.Close()
		first, err := c.AccessToken(ctx)
		if err != nil {
			t.Fatalf("AccessToken: %v", err)
		}
		if first == "" {
			t.Fatal("empty token")
		}
		second, expiry, err := c.AccessTokenWithExpiry(ctx)
		if err != nil || second != first {
			t.Fatalf("second call: err %v, same token %v", err, second == first)
		}
		if until := time.Until(expiry); until < time.Minute || until > time.Hour {
			t.Fatalf("expiry in %v, want the harness's 600 s", until)
		}
		if got := stats(t, c).ServerRequests; got != 1 {
			t.Fatalf("server requests %d, want 1", got)
		}
	}
	for _, method := range []wi.ClientAuth{wi.ClientAuthClientSecretBasic, wi.ClientAuthClientSecretPost} {
		t.Run(string(method), func(t *testing.T) {
			client := credentials.Clients[string(method)]
			get(t, wi.WithTokenEndpoint(endpoints["ES256"]), wi.WithClientID(client.ClientID),
				wi.WithClientSecret(client.ClientSecret), wi.WithClientAuth(method))
		})
	}
	for alg, key := range keys {
		t.Run("private_key_jwt-"+alg, func(t *testing.T) {
			get(t, wi.WithTokenEndpoint(endpoints[alg]),
				wi.WithClientID(credentials.Clients["private_key_jwt"].ClientID),
				wi.WithClientAuth(wi.ClientAuthPrivateKeyJWT), wi.WithPrivateKeyPath(key))
		})
	}

	// A wrong secret: invalid_client, not retryable, the secret in no message.
	// (oidc-provider takes a secret by Basic or in the form alike, whichever
	// method the client registered.)
	t.Run("refused", func(t *testing.T) {
		client := credentials.Clients["client_secret_basic"]
		c, err := wi.New(wi.WithFlow(wi.FlowClientCredentials), wi.WithTokenEndpoint(endpoints["ES256"]),
			wi.WithClientID(client.ClientID), wi.WithClientSecret("wrong-interop-secret"),
			wi.WithClientAuth(wi.ClientAuthClientSecretBasic))
		must(t, err)
		defer c.Close()
		_, err = c.AccessToken(ctx)
		e := requireError(t, err, wi.ErrTokenRetrieval, wi.StatusTokenRetrieval)
		if e.HTTPStatus != 401 || e.OAuthCode != "invalid_client" || e.Retryable ||
			strings.Contains(e.Message, "wrong-interop-secret") {
			t.Fatalf("got %d %q retryable=%v: %s", e.HTTPStatus, e.OAuthCode, e.Retryable, e.Message)
		}
	})
}
