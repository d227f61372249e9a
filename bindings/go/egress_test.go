package workloadidentity_test

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	wi "github.com/workload-identity/workload-identity/bindings/go"
	"github.com/workload-identity/workload-identity/bindings/go/internal/devserver"
)

const egressTicket = "tk+go/ticket=1"

var egressVariables = []string{
	"COZE_SKILL_PROXY_DOMAIN", "COZE_OUTBOUND_AUTH_PROXY", "COZE_OUTBOUND_AUTH_PROXY_CA",
	"COZE_OUTBOUND_AUTH_PROXY_CA_PATH", "identity_ticket", "IDENTITY_TICKET", "HTTPS_PROXY", "HTTP_PROXY",
	"agent_id", "pat_token", "skill_id", "SKILL_API_KEY", "SKILL_REGION", "COZE_SKILL_ENV_ENDPOINT",
}

// clearEgressEnvironment unsets the egress and skill variables for the test
// (t.Setenv restores them afterwards, in Go's and the C environment).
func clearEgressEnvironment(t *testing.T) {
	for _, name := range egressVariables {
		t.Setenv(name, "")
		os.Unsetenv(name)
	}
}

func TestOutboundHTTPClientGoesThroughTheProxyWithItsCA(t *testing.T) {
	clearEgressEnvironment(t)
	server := devserver.Start(t)
	rig := server.Egress(t, egressTicket)
	t.Setenv("COZE_OUTBOUND_AUTH_PROXY", rig.ProxyURL)
	t.Setenv("identity_ticket", egressTicket)
	t.Setenv("COZE_OUTBOUND_AUTH_PROXY_CA", rig.CAPEM)

	proxyURL, caPath, err := wi.OutboundProxySettings()
	if err != nil {
		t.Fatal(err)
	}
	if masked := wi.MaskURL(proxyURL); strings.Contains(masked, "go%2Fticket") || !strings.Contains(masked, "space:***@") {
		t.Fatalf("masked URL %q", masked)
	}
	if info, err := os.Stat(caPath); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("CA file %q: %v %v", caPath, info, err)
	}
	client, err := wi.OutboundHTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	response, err := client.Get(rig.TargetURL + "from-go")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(response.Body)
	response.Body.Close()
	var page struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(body, &page); err != nil || response.StatusCode != 200 || page.Path != "/from-go" {
		t.Fatalf("status %d, body %s (%v)", response.StatusCode, body, err)
	}
	if counts := server.EgressCounts(t); counts.ConnectsAllowed != 1 || counts.ConnectsRefused != 0 {
		t.Fatalf("counts %+v", counts)
	}

	t.Setenv("identity_ticket", "not-the-ticket")
	client, err = wi.OutboundHTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get(rig.TargetURL); err == nil || strings.Contains(err.Error(), "not-the-ticket") {
		t.Fatalf("wrong ticket: %v", err)
	}
	if counts := server.EgressCounts(t); counts.ConnectsRefused != 1 {
		t.Fatalf("counts %+v", counts)
	}
}

func TestOutboundProxyConfigurationErrors(t *testing.T) {
	clearEgressEnvironment(t)
	_, _, err := wi.OutboundProxySettings()
	if e := requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration); !strings.Contains(e.Message, "Neither COZE_SKILL_PROXY_DOMAIN") {
		t.Fatal(e.Message)
	}
	t.Setenv("COZE_OUTBOUND_AUTH_PROXY", "ftp://user:hunter2@proxy:21")
	t.Setenv("identity_ticket", "secret-ticket")
	_, err = wi.OutboundHTTPClient()
	e := requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration)
	if strings.Contains(e.Message, "hunter2") || strings.Contains(e.Message, "secret-ticket") || !strings.Contains(e.Message, "***") {
		t.Fatal(e.Message)
	}
	t.Setenv("COZE_OUTBOUND_AUTH_PROXY", "http://proxy:3128")
	t.Setenv("COZE_OUTBOUND_AUTH_PROXY_CA_PATH", "/nonexistent/ca.pem")
	_, err = wi.OutboundTransport()
	if e := requireError(t, err, wi.ErrConfiguration, wi.StatusConfiguration); !strings.Contains(e.Message, "but the file does not exist") {
		t.Fatal(e.Message)
	}
}

func TestLoadSkillEnv(t *testing.T) {
	clearEgressEnvironment(t)
	server := devserver.Start(t)
	t.Setenv("COZE_SKILL_ENV_ENDPOINT", server.BaseURL+"/skill/get_skill_envs")
	agent := filepath.Join(t.TempDir(), ".coze", "agents", "7001")
	skill := filepath.Join(agent, "skills", "weather")
	if err := os.MkdirAll(skill, 0o755); err != nil {
		t.Fatal(err)
	}
	config := `{"patToken": "dev-pat-token", "skills": [{"relPath": "skills/weather", "skillId": "42"}]}`
	if err := os.WriteFile(filepath.Join(agent, "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ticket := filepath.Join(agent, "ticket.json")
	if err := os.WriteFile(ticket, []byte(`{"IDENTITY_TICKET": "tk-go-file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	report, err := wi.LoadSkillEnv(wi.SkillEnvOptions{SourcePaths: []string{"/elsewhere", skill}, TicketFile: ticket, Force: true})
	if err != nil || !report.Loaded || report.SkillID != "42" {
		t.Fatalf("%+v %v", report, err)
	}
	if got := os.Getenv("IDENTITY_TICKET"); got != "tk-go-file" {
		t.Fatalf("IDENTITY_TICKET from the ticket file: %d bytes", len(got))
	}
	if got := os.Getenv("SKILL_REGION"); got != "cn-north" {
		t.Fatalf("os.Getenv(SKILL_REGION) = %q", got)
	}
	again, err := wi.LoadSkillEnv(wi.SkillEnvOptions{})
	if err != nil || !again.Cached || !again.Loaded {
		t.Fatalf("%+v %v", again, err)
	}

	report, err = wi.LoadSkillEnv(wi.SkillEnvOptions{SourcePaths: []string{agent}, Force: true})
	if err != nil || !report.Loaded || os.Getenv("skill_id") != "" {
		t.Fatalf("no skill: %+v %v", report, err)
	}

	server.Fault(t, map[string]any{"path": "/skill/get_skill_envs", "status": 500})
	report, err = wi.LoadSkillEnv(wi.SkillEnvOptions{SourcePaths: []string{skill}, Force: true})
	if err != nil || report.Loaded || !strings.Contains(report.Message, "500") {
		t.Fatalf("non-200: %+v %v", report, err)
	}

	server.Fault(t, map[string]any{"path": "/skill/get_skill_envs", "status": 200,
		"body": map[string]any{"BaseResp": map[string]any{"StatusCode": 4001}}})
	_, err = wi.LoadSkillEnv(wi.SkillEnvOptions{SourcePaths: []string{skill}, Force: true})
	if e := requireError(t, err, wi.ErrSkillEnv, wi.StatusSkillEnv); !strings.Contains(e.Message, `GetSkillEnvs error: {"BaseResp"`) {
		t.Fatal(e.Message)
	}
	if errors.Is(err, wi.ErrConfiguration) {
		t.Fatal("an API error is not a configuration error")
	}
	if _, err := wi.LoadSkillEnv(wi.SkillEnvOptions{SourcePaths: []string{"a\x00b"}}); !errors.Is(err, wi.ErrInvalidArgument) {
		t.Fatalf("NUL: %v", err)
	}
}
