package browsertest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/verify/token"
)

// seen is one request the gateway answered.
type seen struct {
	Method, Path string
	HasAuth      bool // ?auth= in the URL
	HasCookie    bool // a cookie was sent
	Range        string
	Conditional  bool   // If-None-Match, If-Modified-Since or If-Range
	Origin       string // the Origin header: a cross-origin request's page
	Status       int
	// FromFile: the body reached this outermost writer's ReadFrom with the
	// object's *os.File as source, the path net/http turns into sendfile.
	FromFile bool
}

// gateway is a whole instance on a loopback port, with a log of every
// request it answered. Paths under /__test/ are the test's own pages,
// served from the same origin so that hls.js may fetch without CORS; the
// cross-origin tests serve theirs from another origin (startPages).
type gateway struct {
	*apptest.Gateway

	mu   sync.Mutex
	seen []*seen
}

func startGateway(t *testing.T, pages http.Handler, env map[string]string) *gateway {
	t.Helper()
	g := &gateway{Gateway: apptest.New(t, env)}
	gw := g.App.Handler()
	g.ServeHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/__test/") {
			pages.ServeHTTP(w, r)
			return
		}
		// The entry is kept before the handler runs and filled in as the
		// response goes out (status at WriteHeader, FromFile at ReadFrom),
		// so a client that has read an answer always finds it here.
		entry := &seen{
			Method:    r.Method,
			Path:      r.URL.Path,
			HasAuth:   r.URL.Query().Has("auth"),
			HasCookie: r.Header.Get("Cookie") != "",
			Range:     r.Header.Get("Range"),
			Origin:    r.Header.Get("Origin"),
			Conditional: r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" ||
				r.Header.Get("If-Range") != "",
		}
		g.mu.Lock()
		g.seen = append(g.seen, entry)
		g.mu.Unlock()
		gw.ServeHTTP(&statusRecorder{ResponseWriter: w, g: g, entry: entry}, r)
	}))
	return g
}

// requests returns the requests seen so far for paths with prefix.
func (g *gateway) requests(prefix string) []seen {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []seen
	for _, s := range g.seen {
		if strings.HasPrefix(s.Path, prefix) {
			out = append(out, *s)
		}
	}
	return out
}

// admin calls the admin API, which must accept the call, and decodes its
// JSON answer into out.
func (g *gateway) admin(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var data json.RawMessage
	if code := g.Admin(t, method, path, body, &data); code/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, code, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// authenticatedBucket makes bucket name with origin (a directory, or an
// http:// URL), authenticated, and returns a function that signs tokens
// for it.
func (g *gateway) authenticatedBucket(t *testing.T, name, origin string) func(uri string) string {
	t.Helper()
	return g.authenticatedBucketWith(t, name, origin, nil)
}

// authenticatedBucketWith is authenticatedBucket with more bucket
// settings, such as "cors".
func (g *gateway) authenticatedBucketWith(t *testing.T, name, origin string, settings map[string]any) func(uri string) string {
	t.Helper()
	if !strings.HasPrefix(origin, "http") {
		origin = "file://" + origin
	}
	body := map[string]any{"origin": origin, "policy": "authenticated"}
	maps.Copy(body, settings)
	g.admin(t, "PUT", "/v1/buckets/"+name, body, nil)
	g.admin(t, "PUT", "/v1/buckets/"+name+"/policy/authenticated", nil, nil)
	var created struct {
		SigningKey struct {
			ID         string `json:"id"`
			PrivateKey string `json:"private_key"`
		} `json:"signing_key"`
	}
	g.admin(t, "POST", "/v1/signing-keys", map[string]string{"bucket": name}, &created)
	block, _ := pem.Decode([]byte(created.SigningKey.PrivateKey))
	if block == nil {
		t.Fatal("the signing key's private_key is not PEM")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	priv := parsed.(*rsa.PrivateKey)
	return func(uri string) string {
		tok, err := token.Sign(priv, created.SigningKey.ID, token.Claims{URI: uri, ExpiresAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

// statusRecorder fills in a request's entry as its answer goes out. It
// keeps ReadFrom, so that the gateway's sendfile path is the one under
// test, and records whether that path was taken.
type statusRecorder struct {
	http.ResponseWriter
	g      *gateway
	entry  *seen
	status bool // the status was recorded
}

func (s *statusRecorder) record(code int, fromFile bool) {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	if !s.status {
		s.entry.Status, s.status = code, true
	}
	s.entry.FromFile = s.entry.FromFile || fromFile
}

func (s *statusRecorder) WriteHeader(code int) {
	if code >= 200 {
		s.record(code, false)
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	s.record(http.StatusOK, false)
	return s.ResponseWriter.Write(p)
}

func (s *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	fromFile := false
	if lr, ok := src.(*io.LimitedReader); ok {
		_, fromFile = lr.R.(*os.File)
	}
	s.record(http.StatusOK, fromFile)
	return io.Copy(s.ResponseWriter, src)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// testPages serves a blank page and hls.js from interop/node_modules.
func testPages() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /__test/blank.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><html><head><title>playback</title><link rel=\"icon\" href=\"data:,\"></head><body></body></html>")
	})
	mux.HandleFunc("GET /__test/hls.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, filepath.Join("interop", "node_modules", "hls.js", "dist", "hls.min.js"))
	})
	return mux
}
