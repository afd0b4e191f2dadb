package tlsserve

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/signedgate/gateway/internal/testutil"
)

// CertMagic's zap lines reach the gateway's slog logger with their fields
// and logger name; debug lines never do.
func TestZapLinesReachSlog(t *testing.T) {
	var buf testutil.LogBuffer
	zl := zapLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	zl.Named("obtain").With(zap.String("identifier", "media.example.test")).
		Info("certificate obtained successfully", zap.Strings("sans", []string{"media.example.test"}), zap.Int("attempt", 2))
	zl.Debug("http request", zap.String("body", "not logged"))
	zl.Error("could not get certificate from issuer", zap.Error(errTest))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	var first, second map[string]any
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[1]), &second)
	for k, want := range map[string]any{
		"level": "INFO", "msg": "certificate obtained successfully", "component": "tls", "logger": "obtain",
		"identifier": "media.example.test", "attempt": float64(2),
	} {
		if first[k] != want {
			t.Errorf("%s: %v, want %v in %s", k, first[k], want, lines[0])
		}
	}
	if second["level"] != "ERROR" || second["error"] != errTest.Error() {
		t.Errorf("error line: %s", lines[1])
	}
}

var errTest = errorString("the CA said no")

type errorString string

func (e errorString) Error() string { return string(e) }
