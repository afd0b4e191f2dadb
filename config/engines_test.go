package config

import (
	"strings"
	"testing"
	"time"
)

func TestOfficeEngineConfig(t *testing.T) {
	c, err := LoadFrom(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	o := c.Engines.Office
	if o.Soffice != "soffice" || o.Python != "/usr/bin/python3" || o.Slots != 0 || o.MaxJobs != 200 ||
		o.MaxRSSMB != 1024 || o.Timeout != 60*time.Second {
		t.Errorf("defaults: %+v", o)
	}

	tests := []struct {
		name, value, want string
	}{
		{"GATEWAY_ENGINES_OFFICE_SLOTS", "-1", "GATEWAY_ENGINES_OFFICE_SLOTS"},
		{"GATEWAY_ENGINES_OFFICE_MAX_JOBS", "0", "GATEWAY_ENGINES_OFFICE_MAX_JOBS"},
		{"GATEWAY_ENGINES_OFFICE_MAX_RSS_MB", "10", "GATEWAY_ENGINES_OFFICE_MAX_RSS_MB"},
		{"GATEWAY_ENGINES_OFFICE_TIMEOUT", "0s", "GATEWAY_ENGINES_OFFICE_TIMEOUT"},
		{"GATEWAY_ENGINES_OFFICE_TIMEOUT", "soon", "GATEWAY_ENGINES_OFFICE_TIMEOUT"},
		{"GATEWAY_ENGINES_CHROME_TABS", "-2", "GATEWAY_ENGINES_CHROME_TABS"},
		{"GATEWAY_ENGINES_CHROME_TIMEOUT", "0s", "GATEWAY_ENGINES_CHROME_TIMEOUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := LoadFrom(map[string]string{tc.name: tc.value})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want one naming %s", err, tc.want)
			}
		})
	}
	c, err = LoadFrom(map[string]string{"GATEWAY_ENGINES_OFFICE_SLOTS": "4", "GATEWAY_ENGINES_OFFICE_TIMEOUT": "30s"})
	if err != nil || c.Engines.Office.Slots != 4 || c.Engines.Office.Timeout != 30*time.Second {
		t.Errorf("got %+v, %v", c.Engines.Office, err)
	}
}

func TestChromeSandboxSetting(t *testing.T) {
	c, err := LoadFrom(map[string]string{})
	if err != nil || !c.Engines.Chrome.Sandbox {
		t.Fatalf("the sandbox is not on by default: %+v, %v", c.Engines.Chrome, err)
	}
	c, err = LoadFrom(map[string]string{"GATEWAY_ENGINES_CHROME_SANDBOX": "false"})
	if err != nil || c.Engines.Chrome.Sandbox {
		t.Fatalf("GATEWAY_ENGINES_CHROME_SANDBOX=false: %+v, %v", c.Engines.Chrome, err)
	}
	_, err = LoadFrom(map[string]string{"GATEWAY_ENGINES_CHROME_SANDBOX": "sometimes"})
	if err == nil || !strings.Contains(err.Error(), "GATEWAY_ENGINES_CHROME_SANDBOX") {
		t.Fatalf("err %v, want one naming GATEWAY_ENGINES_CHROME_SANDBOX", err)
	}
}
