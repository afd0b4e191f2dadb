package config

import (
	"strings"
	"testing"
	"time"
)

func TestOriginDefaultsAndValidation(t *testing.T) {
	c, err := LoadFrom(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin.ResponseHeaderTimeout != 30*time.Second || c.Origin.DialTimeout != 5*time.Second || c.Origin.MaxIdleConnsPerHost != 32 {
		t.Errorf("defaults %+v", c.Origin)
	}
	tests := []struct {
		name, value string
	}{
		{"GATEWAY_ORIGIN_RESPONSE_HEADER_TIMEOUT", "0s"},
		{"GATEWAY_ORIGIN_DIAL_TIMEOUT", "-1s"},
		{"GATEWAY_ORIGIN_TLS_HANDSHAKE_TIMEOUT", "0s"},
		{"GATEWAY_ORIGIN_IDLE_CONN_TIMEOUT", "0s"},
		{"GATEWAY_ORIGIN_MAX_IDLE_CONNS_PER_HOST", "0"},
		{"GATEWAY_ORIGIN_DIAL_TIMEOUT", "soon"},
	}
	for _, tt := range tests {
		_, err := LoadFrom(map[string]string{tt.name: tt.value})
		if err == nil || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s=%s: error %v, want one naming the variable", tt.name, tt.value, err)
		}
	}
}
