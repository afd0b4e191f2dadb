package config

import (
	"strings"
	"testing"
)

func TestVipsEngineValidate(t *testing.T) {
	tests := []struct {
		name string
		c    VipsEngine
		want string
	}{
		{"ok", VipsEngine{MaxPixels: 40_000_000, MaxSide: 16384, Timeout: 1}, ""},
		{"pixels", VipsEngine{MaxPixels: 1, MaxSide: 16384, Timeout: 1}, "ENGINES_VIPS_MAX_PIXELS"},
		{"side", VipsEngine{MaxPixels: 40_000_000, MaxSide: 1, Timeout: 1}, "ENGINES_VIPS_MAX_SIDE"},
		{"timeout", VipsEngine{MaxPixels: 40_000_000, MaxSide: 16384}, "ENGINES_VIPS_TIMEOUT"},
	}
	for _, tc := range tests {
		var got []string
		tc.c.validate(func(name, format string, args ...any) { got = append(got, name) })
		if j := strings.Join(got, ","); j != tc.want {
			t.Errorf("%s: problems %q, want %q", tc.name, j, tc.want)
		}
	}
}
