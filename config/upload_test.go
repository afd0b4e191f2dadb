package config

import (
	"strings"
	"testing"
	"time"
)

func TestUploadConfig(t *testing.T) {
	c, err := LoadFrom(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Upload.MaxBytes != 100<<20 || c.Upload.AllowSignatureV1 || c.Upload.ChunkTimeout != time.Hour {
		t.Errorf("defaults: got %+v (version 1 signatures must be off unless asked for)", c.Upload)
	}
	if c, err := LoadFrom(map[string]string{"GATEWAY_UPLOAD_ALLOW_SIGNATURE_V1": "true"}); err != nil || !c.Upload.AllowSignatureV1 {
		t.Errorf("GATEWAY_UPLOAD_ALLOW_SIGNATURE_V1=true: got %v, %v", c.Upload.AllowSignatureV1, err)
	}
	for _, tc := range []struct{ name, value, want string }{
		{"GATEWAY_UPLOAD_MAX_BYTES", "0", "GATEWAY_UPLOAD_MAX_BYTES: must be positive"},
		{"GATEWAY_UPLOAD_CHUNK_TIMEOUT", "-1s", "GATEWAY_UPLOAD_CHUNK_TIMEOUT: must be a positive duration"},
		{"GATEWAY_UPLOAD_ALLOW_SIGNATURE_V1", "maybe", "GATEWAY_UPLOAD_ALLOW_SIGNATURE_V1: want true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadFrom(map[string]string{tc.name: tc.value})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
