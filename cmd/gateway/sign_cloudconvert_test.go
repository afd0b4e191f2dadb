package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/verify/urlsig"
)

func TestSignCloudConvert(t *testing.T) {
	const (
		base   = "http://127.0.0.1:8080/b3d85428-584e-4639-bc11-76b7dee9c109"
		secret = "NT8dpJkttEyfSk3qlRgUJtvTkx64vhyX"
		job    = `{"tasks": {"import-my-file": {"operation": "import/url", "url": "https://example.com/files/report.docx"},
 "convert-my-file": {"operation": "convert", "input": "import-my-file", "output_format": "pdf"},
 "export-my-file": {"operation": "export/url", "input": "convert-my-file"}}}`
	)
	// The vector "local base, same job with cache_key": the Node SDK's URL
	// differs only in the base64 alphabet, so its signature does too, but
	// both verify and decode to the same job.
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantKey  string
	}{
		{"with cache key", []string{"--cache-key", "report-2024_v1"}, 0, "report-2024_v1"},
		{"without cache key", nil, 0, ""},
		{"bad cache key", []string{"--cache-key", "a b"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"--base", base, "--secret", secret, "--job", "-", "--explain"}, tt.args...)
			code := signCloudConvert(args, strings.NewReader(job), &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, errb.String())
			}
			if code != 0 {
				return
			}
			u := strings.TrimSpace(out.String())
			q, err := urlsig.Parse(strings.TrimPrefix(u, base+"?"))
			if err != nil {
				t.Fatal(err)
			}
			if err := urlsig.Verify(base, [][]byte{[]byte(secret)}, q); err != nil {
				t.Fatalf("verify %s: %v", u, err)
			}
			if q.CacheKey != tt.wantKey {
				t.Errorf("cache_key %q, want %q", q.CacheKey, tt.wantKey)
			}
			want := "string to sign: " + base + "?" + q.Rest + "\n"
			if errb.String() != want {
				t.Errorf("explain: got %q, want %q", errb.String(), want)
			}
			if strings.Contains(errb.String()+out.String(), secret) {
				t.Error("the secret was printed")
			}
			decoded, _ := urlsig.DecodeJob(q.Job)
			if bytes.ContainsAny(decoded, "\n") || !bytes.Contains(decoded, []byte(`"import-my-file":{"operation":"import/url"`)) {
				t.Errorf("job not compacted in order: %s", decoded)
			}
		})
	}
	for _, bad := range [][]string{
		{"--secret", secret, "--job", "-"},
		{"--base", base, "--job", "-"},
		{"--base", base, "--secret", secret},
	} {
		var out, errb bytes.Buffer
		if code := signCloudConvert(bad, strings.NewReader(job), &out, &errb); code != 2 || out.Len() != 0 {
			t.Errorf("%v: exit %d, output %q; want 2 and no URL", bad, code, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := signCloudConvert([]string{"--base", base, "--secret", secret, "--job", "-"}, strings.NewReader(`{"tasks":{}}`), &out, &errb); code != 1 {
		t.Errorf("invalid job: exit %d, want 1", code)
	}
}
