package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/app/apptest"
)

// adminStatus is the status of an admin call bearing token.
func adminStatus(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/v1/buckets", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// writeAtomic replaces path as editors and configuration tools do: a new
// file renamed over the old one.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestEveryConfiguredAdminTokenIsAdmitted(t *testing.T) {
	const (
		single = "single-admin-token-0123456789"
		listed = "listed-admin-token-0123456789"
		second = "second-admin-token-0123456789"
		inFile = "in-file-admin-token-0123456789"
	)
	file := filepath.Join(t.TempDir(), "admin-tokens")
	writeAtomic(t, file, "# admin tokens\n"+inFile+"\n")
	data := t.TempDir()
	gw := apptest.Start(t, map[string]string{
		"GATEWAY_DATA_DIR":         data,
		"GATEWAY_ADMIN_TOKEN":      single,
		"GATEWAY_ADMIN_TOKENS":     listed + "," + second,
		"GATEWAY_ADMIN_TOKEN_FILE": file,
		"GATEWAY_LOG_LEVEL":        "info",
	})
	for _, tok := range []string{single, listed, second, inFile} {
		if got := adminStatus(t, gw.URL, tok); got != 200 {
			t.Errorf("token %s: got %d, want 200", tok, got)
		}
	}
	for _, tok := range []string{"other-admin-token-0123456789", apptest.AdminToken, listed + "," + second} {
		if got := adminStatus(t, gw.URL, tok); got != 401 {
			t.Errorf("token %s: got %d, want 401", tok, got)
		}
	}
	if _, err := os.Stat(filepath.Join(data, app.AdminTokenFile)); err == nil {
		t.Error("an admin token was generated although tokens were given")
	}
	logged := gw.Logged()
	want := `msg="admin tokens" sources="GATEWAY_ADMIN_TOKEN, GATEWAY_ADMIN_TOKENS, GATEWAY_ADMIN_TOKEN_FILE" count=4`
	if !strings.Contains(logged, want) {
		t.Errorf("the log does not say %s:\n%s", want, logged)
	}
	for _, tok := range []string{single, listed, second, inFile} {
		if strings.Contains(logged, tok) {
			t.Errorf("the log shows a token:\n%s", logged)
		}
	}
}

// The rotation the README describes, through GATEWAY_ADMIN_TOKEN_FILE on a
// running instance: the new token is added, then the old one removed, and
// each change is in force once app.TokenFileReread has passed, with no
// restart. The instance's clock is moved on instead of waiting.
func TestAdminTokenRotationThroughTheFileNeedsNoRestart(t *testing.T) {
	const (
		oldToken = "old-admin-token-0123456789"
		newToken = "new-admin-token-0123456789"
	)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 6, 16, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	later := func() { clock.Add(int64(app.TokenFileReread)) }

	file := filepath.Join(t.TempDir(), "admin-tokens")
	writeAtomic(t, file, oldToken+"\n")
	gw := apptest.Start(t, map[string]string{
		"GATEWAY_ADMIN_TOKEN":      "",
		"GATEWAY_ADMIN_TOKEN_FILE": file,
		"GATEWAY_LOG_LEVEL":        "info",
	}, app.WithClock(now))
	admits := func(step string, want map[string]int) {
		t.Helper()
		for tok, status := range want {
			if got := adminStatus(t, gw.URL, tok); got != status {
				t.Errorf("%s: token %s: got %d, want %d", step, tok, got, status)
			}
		}
	}
	admits("at start", map[string]int{oldToken: 200, newToken: 401})

	// 1. The new token is added beside the old one.
	writeAtomic(t, file, "# old, until every client has the new one\n"+oldToken+"\n"+newToken+"\n")
	later()
	admits("new token added", map[string]int{oldToken: 200, newToken: 200})

	// 2. Clients have switched; the old token is removed, here by
	// rewriting the file in place.
	if err := os.WriteFile(file, []byte(newToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The file is read at most once per TokenFileReread.
	admits("before the file is read again", map[string]int{oldToken: 200})
	later()
	admits("old token removed", map[string]int{oldToken: 401, newToken: 200})

	// A bad file, or none, is not applied: the tokens stay as they were.
	writeAtomic(t, file, newToken+"\ntoo-short\n")
	later()
	admits("bad file", map[string]int{oldToken: 401, newToken: 200})
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	later()
	admits("file removed", map[string]int{oldToken: 401, newToken: 200})

	logged := gw.Logged()
	for _, want := range []string{
		`msg="admin tokens" sources=GATEWAY_ADMIN_TOKEN_FILE count=1`,
		`msg="admin tokens re-read" path=` + file + ` count=2`,
		`msg="admin tokens re-read" path=` + file + ` count=1`,
		`msg="admin token file not applied; the tokens admitted before stay admitted"`,
		`msg="admin token file unreadable; the tokens admitted before stay admitted"`,
	} {
		if !strings.Contains(logged, want) {
			t.Errorf("the log does not say %s:\n%s", want, logged)
		}
	}
	if strings.Contains(logged, oldToken) || strings.Contains(logged, newToken) || strings.Contains(logged, "too-short") {
		t.Errorf("the log shows a token:\n%s", logged)
	}
}
