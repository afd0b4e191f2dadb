package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/server/fastlane"
	"github.com/signedgate/gateway/internal/testutil"
)

// accessLines counts the access log lines in logs by status.
func accessLines(t *testing.T, logs string) map[int]int {
	t.Helper()
	got := map[int]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec struct {
			Msg    string `json:"msg"`
			Status int    `json:"status"`
		}
		if line == "" || json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "request" {
			continue
		}
		got[rec.Status]++
	}
	return got
}

// checkSampled checks that of successes answered 200 and 302 alike, about
// rate were logged, and that every error was.
func checkSampled(t *testing.T, got map[int]int, successes int, rate float64, errors map[int]int) {
	t.Helper()
	want := int(float64(successes) * rate)
	if n := got[200] + got[302]; n < want-1 || n > want+1 {
		t.Errorf("%d of %d successes logged, want %d (a sample of %v)", n, successes, want, rate)
	}
	for status, n := range errors {
		if got[status] != n {
			t.Errorf("%d answers %d logged of %d: every error must be", got[status], status, n)
		}
	}
}

func TestAccessLogSamplesSuccessesAndKeepsErrors(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("GET /refused", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, Errorf(http.StatusForbidden, "FORBIDDEN", "no"))
	})
	reg := prometheus.NewRegistry()
	var logs testutil.LogBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := httptest.NewServer(Handler(Routes{Mux: mux, Gatherer: reg}, log, NewMetrics(reg), NewAccessSample(0.1)))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for i := range 200 {
		if i%2 == 0 {
			get("/ok")
		} else {
			get("/moved")
		}
		if i%10 == 0 {
			get("/refused")
			get("/nothing")
		}
	}
	checkSampled(t, accessLines(t, logs.String()), 200, 0.1, map[int]int{403: 20, 404: 20})
}

// links is a router of the fast lane: /link answers 302, /refused 403.
type links struct{}

func (links) Route(r *http.Request) (http.Handler, string) { return nil, "" }

func (links) FastRoute(req *fastlane.Request, resp *fastlane.Response) (string, fastlane.Verdict) {
	switch req.Path {
	case "/link":
		resp.Status = http.StatusFound
		resp.Set("Location", "/there")
	case "/refused":
		resp.Status = http.StatusForbidden
	default:
		return "", fastlane.Pass
	}
	return "links", fastlane.Answered
}

func TestFastLaneAccessLogSamplesSuccessesAndKeepsErrors(t *testing.T) {
	reg := prometheus.NewRegistry()
	var logs testutil.LogBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	rt := Routes{Mux: http.NewServeMux(), Paths: []Router{links{}}, Gatherer: reg}
	m := NewMetrics(reg)
	sample := NewAccessSample(0.25)
	Handler(rt, log, m, sample) // registers the mux's own routes, as the gateway does
	lane := FastLane(rt, log, m, sample)
	answer := func(path string) {
		req := fastlane.Request{Method: "GET", Target: path, Path: path, Host: "gw.example", Time: time.Now()}
		var resp fastlane.Response
		if !lane.Answer(&req, &resp) {
			t.Fatalf("the lane did not answer %s", path)
		}
	}
	for i := range 400 {
		answer("/link")
		if i%4 == 0 {
			answer("/refused")
		}
	}
	checkSampled(t, accessLines(t, logs.String()), 400, 0.25, map[int]int{403: 100})
}

func TestAccessSampleRates(t *testing.T) {
	for _, rate := range []float64{0, 0.001, 0.01, 1.0 / 3, 0.5, 0.999, 1} {
		s := NewAccessSample(rate)
		const n = 100000
		kept := 0
		for range n {
			if s.keep(200) {
				kept++
			}
		}
		if want := int(rate * n); kept < want-1 || kept > want+1 {
			t.Errorf("rate %v: %d of %d kept, want %d", rate, kept, n, want)
		}
		if !s.keep(400) || !s.keep(503) {
			t.Errorf("rate %v: an error was not kept", rate)
		}
	}
	var none *AccessSample
	if !none.keep(200) {
		t.Error("a nil sample must keep every line")
	}
}
