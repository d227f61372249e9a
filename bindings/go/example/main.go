// Command example shows what this workload identity can reach, without
// printing any secret. It reads its configuration from the COZE_* variables.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	workloadidentity "github.com/workload-identity/workload-identity/bindings/go"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	client, err := workloadidentity.New() // no options: the environment only
	if err != nil {
		return err
	}
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	token, err := client.AccessToken(ctx)
	var failure *workloadidentity.Error
	if errors.As(err, &failure) && failure.OAuthCode == "invalid_client" {
		return fmt.Errorf("check COZE_WORKLOAD_IDENTITY_CLIENT_SECRET: %w", err)
	} else if err != nil {
		return err
	}
	fmt.Printf("library %s: got an access token of %d bytes\n", workloadidentity.Version(), len(token))

	vars, err := client.ProjectEnvVars(ctx)
	if errors.Is(err, workloadidentity.ErrConfiguration) {
		fmt.Println("COZE_OUTBOUND_AUTH_ENDPOINT is not set: no project variables")
		return nil
	} else if err != nil {
		return err
	}
	for _, v := range vars {
		fmt.Printf("project variable %s (%d bytes)\n", v.Key, len(v.Value))
	}
	return nil
}
