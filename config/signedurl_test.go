package config

import (
	"strings"
	"testing"
	"time"
)

func TestSignedURLConfig(t *testing.T) {
	c, err := LoadFrom(map[string]string{"GATEWAY_DATA_DIR": t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := SignedURL{Wait: 30 * time.Second, CacheTTL: 24 * time.Hour, LockLease: 15 * time.Second, LocalCopyTTL: 10 * time.Minute, CacheMaxEntries: 10000}
	if c.SignedURL != want {
		t.Errorf("defaults: got %+v, want %+v", c.SignedURL, want)
	}
	c, err = LoadFrom(map[string]string{"GATEWAY_SIGNED_URL_DEBUG": "true", "GATEWAY_SIGNED_URL_WAIT": "2s"})
	if err != nil || !c.SignedURL.Debug || c.SignedURL.Wait != 2*time.Second {
		t.Errorf("set: got %+v, %v", c.SignedURL, err)
	}
	_, err = LoadFrom(map[string]string{
		"GATEWAY_SIGNED_URL_WAIT":              "0s",
		"GATEWAY_SIGNED_URL_CACHE_TTL":         "1s",
		"GATEWAY_SIGNED_URL_LOCK_LEASE":        "10ms",
		"GATEWAY_SIGNED_URL_CACHE_MAX_ENTRIES": "0",
		"GATEWAY_SIGNED_URL_LOCAL_COPY_TTL":    "-1s",
	})
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"SIGNED_URL_WAIT", "SIGNED_URL_CACHE_TTL", "SIGNED_URL_LOCK_LEASE", "SIGNED_URL_CACHE_MAX_ENTRIES", "SIGNED_URL_LOCAL_COPY_TTL"} {
		if !strings.Contains(err.Error(), "GATEWAY_"+name+":") {
			t.Errorf("error does not name GATEWAY_%s: %v", name, err)
		}
	}
}
