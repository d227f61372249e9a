// Package bench measures the Go binding next to golang.org/x/oauth2 and the Go
// floor, against the dev server at $WI_BENCH_URL started by bench/run.sh.
// Without WI_BENCH_URL every benchmark and test here is skipped.
package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// secret of every client id registered here; dev-client keeps dev-secret.
const secret = "bench-secret"

// baseURL is the dev server's, or skips tb.
func baseURL(tb testing.TB) string {
	url := os.Getenv("WI_BENCH_URL")
	if url == "" {
		tb.Skip("WI_BENCH_URL is not set (bench/run.sh sets it)")
	}
	return url
}

var nextID atomic.Uint64

// freshClientID registers a new client id: an identity with a cold cache.
func freshClientID(tb testing.TB, label string) string {
	id := fmt.Sprintf("%s-%d-%d", label, os.Getpid(), nextID.Add(1))
	body, _ := json.Marshal(map[string]any{"clients": [][]string{{id, secret}}})
	response, err := http.Post(baseURL(tb)+"/_dev/config", "application/json", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	response.Body.Close()
	if response.StatusCode != http.StatusOK {
		tb.Fatalf("POST /_dev/config: %s", response.Status)
	}
	return id
}

// totalRequests is the number of protocol requests the server has answered.
func totalRequests(tb testing.TB) int {
	response, err := http.Get(baseURL(tb) + "/_dev/stats")
	if err != nil {
		tb.Fatal(err)
	}
	defer response.Body.Close()
	var stats struct{ Total int }
	if err := json.NewDecoder(response.Body).Decode(&stats); err != nil {
		tb.Fatal(err)
	}
	return stats.Total
}

func secretOf(clientID string) string {
	if clientID == "dev-client" {
		return "dev-secret"
	}
	return secret
}

// bindingClient is a Go-binding client of clientID, closed when tb ends.
func bindingClient(tb testing.TB, clientID string) *wi.Client {
	url := baseURL(tb)
	client, err := wi.New(
		wi.WithClientID(clientID),
		wi.WithClientSecret(secretOf(clientID)),
		wi.WithTokenEndpoint(url+"/oauth/token"),
		wi.WithAccessTokenEndpoint(url+"/oauth/exchange"),
	)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close() })
	return client
}

// oauth2Source is golang.org/x/oauth2's client-credentials token source for
// clientID (credentials in the form, as the dev server's step 1 takes them),
// behind oauth2.ReuseTokenSource. One step only: oauth2 has no RFC 8693 exchange.
func oauth2Source(tb testing.TB, clientID string) oauth2.TokenSource {
	config := clientcredentials.Config{
		ClientID:     clientID,
		ClientSecret: secretOf(clientID),
		TokenURL:     baseURL(tb) + "/oauth/token",
		AuthStyle:    oauth2.AuthStyleInParams,
	}
	return oauth2.ReuseTokenSource(nil, config.TokenSource(tb.Context()))
}

// record prints one JSON record for bench/report.py.
func record(fields map[string]any) {
	line, _ := json.Marshal(fields)
	fmt.Println(string(line))
}
