package workloadidentity_test

import (
	"context"
	"errors"
	"testing"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

// useEveryMethod calls each method of c and returns their errors.
func useEveryMethod(c *wi.Client) map[string]error {
	ctx := context.Background()
	errs := map[string]error{}
	_, errs["AccessToken"] = c.AccessToken(ctx)
	_, errs["ExchangeToken"] = c.ExchangeToken(ctx, wi.ExchangeRequest{SubjectToken: "s"})
	_, errs["IntegrationCredential"] = c.IntegrationCredential(ctx, "github")
	_, errs["ProjectEnvVars"] = c.ProjectEnvVars(ctx)
	errs["InvalidateToken"] = c.InvalidateToken("t")
	_, errs["ForceRefresh"] = c.ForceRefresh(ctx)
	_, errs["Stats"] = c.Stats()
	cancellable, cancel := context.WithCancel(ctx)
	defer cancel()
	_, errs["AccessToken (cancellable)"] = c.AccessToken(cancellable)
	return errs
}

func TestUseAfterClose(t *testing.T) {
	s := devserver.Start(t)
	c := newClient(t, s)
	if _, err := c.AccessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // Close is idempotent
		if err := c.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	for method, err := range useEveryMethod(c) {
		checkClientClosed(t, method, err)
	}
}

// checkClientClosed: one name and meaning in every binding, an invalid argument (the client).
func checkClientClosed(t *testing.T, method string, err error) {
	t.Helper()
	var detail *wi.Error
	if !errors.Is(err, wi.ErrClientClosed) || !errors.Is(err, wi.ErrInvalidArgument) ||
		!errors.As(err, &detail) || detail.Status != wi.StatusInvalidArgument {
		t.Errorf("%s: %v, want ErrClientClosed, an ErrInvalidArgument", method, err)
	}
}

func TestNilAndZeroClient(t *testing.T) {
	for name, c := range map[string]*wi.Client{"nil": nil, "zero": {}} {
		for method, err := range useEveryMethod(c) {
			checkClientClosed(t, name+" client: "+method, err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("%s client: Close: %v", name, err)
		}
	}
}
