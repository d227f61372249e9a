package bench

import (
	"context"
	"sync"
	"testing"
)

const herdThreads = 64

// herds measured per implementation, each on a new identity.
const herds = 5

// herd runs 64 goroutines released at once through fetch, and returns the
// protocol requests the server answered meanwhile.
func herd(t *testing.T, fetch func() error) int {
	before := totalRequests(t)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(herdThreads)
	done.Add(herdThreads)
	for range herdThreads {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			if err := fetch(); err != nil {
				t.Error(err)
			}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return totalRequests(t) - before
}

// TestHerd prints the requests of 64 goroutines on a cold cache: the binding
// (one client) and oauth2's ReuseTokenSource (one source).
func TestHerd(t *testing.T) {
	baseURL(t)
	var binding, oauth2 []float64
	for range herds {
		client := bindingClient(t, freshClientID(t, "herd-go"))
		binding = append(binding, float64(herd(t, func() error {
			_, err := client.AccessToken(context.Background())
			return err
		})))
		source := oauth2Source(t, freshClientID(t, "herd-oauth2"))
		oauth2 = append(oauth2, float64(herd(t, func() error {
			_, err := source.Token()
			return err
		})))
	}
	record(map[string]any{"bench": "herd", "lang": "Go", "name": "Go binding AccessToken (one client)",
		"role": "library", "unit": "requests", "samples": binding, "threads": herdThreads})
	record(map[string]any{"bench": "herd", "lang": "Go", "name": "golang.org/x/oauth2 ReuseTokenSource (one step only)",
		"role": "peer", "unit": "requests", "samples": oauth2, "threads": herdThreads})
}
