package signedurl

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/verify/urlsig"
)

const (
	testSecret = "0123456789abcdefSECRET"
	goodJob    = `{"tasks":{"in":{"operation":"import/url","url":"http://127.0.0.1:1/a.png"},"out":{"operation":"export/url","input":"in"}}}`
)

func TestRefusals(t *testing.T) {
	for _, debug := range []bool{false, true} {
		h := newHarness(t, debug)
		b := h.createBase(t, map[string]string{"id": "conv", "signing_secret": testSecret})
		sign := func(job, key string) string { return urlsig.Sign(b.Base, testSecret, []byte(job), key) }
		good := sign(goodJob, "k1")
		tests := []struct {
			name   string
			url    string
			status int
			code   string
		}{
			{"no query", b.Base, 403, "MISSING_SIGNATURE"},
			{"no s", strings.Split(good, "&s=")[0], 403, "MISSING_SIGNATURE"},
			{"short s", good[:len(good)-2], 403, "INVALID_SIGNATURE"},
			{"s not hex", good[:len(good)-2] + "zz", 403, "INVALID_SIGNATURE"},
			{"wrong secret", urlsig.Sign(b.Base, "another-secret-0123", []byte(goodJob), ""), 403, "INVALID_SIGNATURE"},
			{"other host in base", urlsig.Sign(strings.Replace(b.Base, "127.0.0.1", "localhost", 1), testSecret, []byte(goodJob), ""), 403, "INVALID_SIGNATURE"},
			{"cache_key not allowed", urlsig.Sign(b.Base, testSecret, []byte(goodJob), "a.b"), 400, "INVALID_DATA"},
			{"job not base64", signRaw(b.Base, "job=!!!"), 400, "INVALID_DATA"},
			{"job not JSON", sign("not json", ""), 400, "INVALID_DATA"},
			{"job without tasks", sign(`{"tasks":{}}`, ""), 400, "INVALID_DATA"},
			{"unsupported operation", sign(`{"tasks":{"in":{"operation":"import/upload"},"out":{"operation":"export/url","input":"in"}}}`, ""), 422, "UNSUPPORTED_OPERATION"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := h.refusals(tt.code)
				a := get(t, "GET", tt.url)
				if a.status != tt.status || a.err.Code != tt.code || a.err.Message == "" {
					t.Fatalf("got %d %s, want %d %s", a.status, a.body, tt.status, tt.code)
				}
				if a.header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q", a.header.Get("Cache-Control"))
				}
				if h.refusals(tt.code) != before+1 {
					t.Error("refusal not counted")
				}
				if h.runner.count() != 0 {
					t.Error("a refused URL submitted a job")
				}
				body := string(a.body)
				if strings.Contains(body, testSecret) {
					t.Error("the secret is in the refusal")
				}
				if tt.code == "INVALID_SIGNATURE" {
					q, err := urlsig.Parse(strings.SplitN(tt.url, "?", 2)[1])
					if err != nil {
						return
					}
					signed, expected := urlsig.Expected(b.Base, []byte(testSecret), q.Rest)
					if strings.Contains(body, expected) {
						t.Error("the expected signature is in the refusal")
					}
					quoted := strings.ReplaceAll(signed, "&", `\u0026`)
					if got := strings.Contains(body, quoted); got != debug {
						t.Errorf("debug %v: signed string in body = %v: %s", debug, got, body)
					}
				}
			})
		}
		if a := get(t, "GET", good); a.status != http.StatusFound {
			t.Errorf("the good URL: got %d %s", a.status, a.body)
		}
	}
}

// signRaw signs a raw query that Sign cannot build (a job that is not
// base64).
func signRaw(base, rest string) string {
	u := base + "?" + rest
	return u + "&s=" + urlsig.Signature([]byte(testSecret), u)
}

func TestHeadAnswersLikeGet(t *testing.T) {
	h := newHarness(t, false)
	b := h.createBase(t, map[string]string{"signing_secret": testSecret})
	u := urlsig.Sign(b.Base, testSecret, []byte(goodJob), "head")
	head := get(t, "HEAD", u)
	if head.status != http.StatusFound || len(head.body) != 0 || !strings.HasPrefix(head.header.Get("Location"), "http://outputs.test/") {
		t.Fatalf("HEAD: %d %q %v", head.status, head.body, head.header)
	}
	g := get(t, "GET", u)
	if g.status != http.StatusFound || g.header.Get("Location") != head.header.Get("Location") {
		t.Errorf("GET after HEAD: %d %q, want the cached %q", g.status, g.header.Get("Location"), head.header.Get("Location"))
	}
	if g.header.Get("X-Cache") != "hit" || h.runner.count() != 1 {
		t.Errorf("X-Cache %q, %d jobs; want a hit and one job", g.header.Get("X-Cache"), h.runner.count())
	}
	if got := counterValue(h.metrics.CacheLookups.WithLabelValues("signed_url", "hit")); got != 1 {
		t.Errorf("cache hits counted %v, want 1", got)
	}
	bad := get(t, "HEAD", flip(u, len(u)-1))
	if bad.status != http.StatusForbidden || len(bad.body) != 0 {
		t.Errorf("HEAD with a bad signature: %d %q", bad.status, bad.body)
	}
	if post := get(t, "POST", u); post.status != http.StatusNotFound {
		t.Errorf("POST to a base: %d, want the server's 404", post.status)
	}
}

func TestFailedJobAnswersStatus(t *testing.T) {
	h := newHarness(t, false)
	h.runner.fail = true
	b := h.createBase(t, map[string]string{"signing_secret": testSecret})
	u := urlsig.Sign(b.Base, testSecret, []byte(goodJob), "fails")
	for i := 1; i <= 2; i++ {
		a := get(t, "GET", u)
		if a.status != http.StatusUnprocessableEntity || !strings.Contains(string(a.body), `"data":{"id":"job-`) {
			t.Fatalf("got %d %s, want 422 with the job status", a.status, a.body)
		}
		// Failures are not cached: each request runs the job again.
		if h.runner.count() != i {
			t.Errorf("%d jobs after %d requests", h.runner.count(), i)
		}
	}
}

func TestUncachedSlowJob(t *testing.T) {
	h := newHarness(t, false)
	h.runner.hold = true
	h.handler.Wait = 1 // ns: answer at once
	b := h.createBase(t, map[string]string{"signing_secret": testSecret})
	for _, key := range []string{"", "empty"} {
		u := urlsig.Sign(b.Base, testSecret, []byte(goodJob), "")
		if key == "empty" {
			u = signRaw(b.Base, strings.SplitN(u, "?", 2)[1][:strings.Index(strings.SplitN(u, "?", 2)[1], "&s=")]+"&cache_key=")
		}
		before := h.runner.count()
		for range 2 {
			a := get(t, "GET", u)
			if a.status != http.StatusAccepted || !strings.Contains(string(a.body), `"status":"processing"`) {
				t.Fatalf("%s: got %d %s, want 202 with the status", key, a.status, a.body)
			}
		}
		// Without a cache key a later request cannot join: two jobs.
		if h.runner.count() != before+2 {
			t.Errorf("%s: %d jobs for 2 requests, want 2", key, h.runner.count()-before)
		}
	}
}

func FuzzHandlerQuery(f *testing.F) {
	h := newHarness(f, true)
	b := h.createBase(f, map[string]string{"id": "fz", "signing_secret": testSecret})
	for _, v := range loadVectors(f) {
		f.Add(strings.SplitN(v.URL, "?", 2)[1])
	}
	f.Add(strings.SplitN(urlsig.Sign(b.Base, testSecret, []byte(goodJob), "k"), "?", 2)[1])
	f.Add(strings.SplitN(urlsig.Sign(b.Base, testSecret, []byte(`{"tasks":[]}`), ""), "?", 2)[1])
	f.Add("job=%zz&s=" + strings.Repeat("0", 64))
	f.Add("s=&s=&job=")
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest("GET", "/fz", nil)
		req.URL.RawQuery = raw
		rec := httptest.NewRecorder()
		hd, _ := h.handler.Route(req)
		if hd == nil {
			t.Fatal("base not routed")
		}
		hd.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("query %q: status %d %s", raw, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), testSecret) {
			t.Fatalf("query %q: secret in the body", raw)
		}
	})
}
