package signedurl_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

func gaugeValue(g prometheus.Gauge) float64 {
	var m dto.Metric
	g.Write(&m)
	return m.GetGauge().GetValue()
}

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	c.Write(&m)
	return m.GetCounter().GetValue()
}

func signJob(t *testing.T, base, secret string, job map[string]any, cacheKey string) string {
	t.Helper()
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	return urlsig.Sign(base, secret, b, cacheKey)
}

// on returns u as sent to gateway g: the same path and query, another
// address. The signature still holds, since it covers the configured base.
func on(g gateway, u string) string {
	p, _ := url.Parse(u)
	return g.URL + p.Path + "?" + p.RawQuery
}

func TestTwoInstancesRunAJobOnce(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	env := map[string]string{
		"GATEWAY_REDIS_URL":       redistest.URL(),
		"GATEWAY_REDIS_PREFIX":    prefix,
		"GATEWAY_JOBS_OUTPUT_DIR": t.TempDir(),
	}
	g1, g2 := startGateway(t, env), startGateway(t, env)
	gate := make(chan struct{})
	o := newOrigin(t, 40, 30, gate)
	base, secret := g1.createBase(t, map[string]string{"name": "shared"})
	path := base[len(g1.URL):]
	testutil.Eventually(t, 15*time.Second, "the second instance sees the base", func() bool {
		_, ok, _ := g2.App.SignedURLBases.ByPath(context.Background(), path)
		return ok
	})
	u := signJob(t, base, secret, convertJob(o.URL, "once", 20, 15), "shared-key")

	const n = 50
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		g := g1
		if i%2 == 1 {
			g = g2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = fetch(t, on(g, u))
		}()
	}
	// Hold the import until every request is in a gateway, so all 50
	// are first requests.
	testutil.Eventually(t, 15*time.Second, "50 requests in flight", func() bool {
		return gaugeValue(g1.App.Metrics.InFlight)+gaugeValue(g2.App.Metrics.InFlight) >= n
	})
	close(gate)
	wg.Wait()

	for i, r := range replies {
		if r.status != http.StatusFound || r.location != replies[0].location {
			t.Errorf("request %d: %v, want 302 to %s", i, r, replies[0].location)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	checkOutput(t, replies[0].location, 20, 15)
	if got := g1.App.Jobs.Started() + g2.App.Jobs.Started(); got != 1 {
		t.Errorf("%d jobs ran, want 1", got)
	}
	if got := o.fetches.Load(); got != 1 {
		t.Errorf("origin fetched %d times, want 1", got)
	}
	lookups := func(result string) float64 {
		return counterValue(g1.App.Metrics.CacheLookups.WithLabelValues("signed_url", result)) +
			counterValue(g2.App.Metrics.CacheLookups.WithLabelValues("signed_url", result))
	}
	if lookups("miss") != 1 || lookups("join")+lookups("hit") != n-1 {
		t.Errorf("lookups: miss %v join %v hit %v", lookups("miss"), lookups("join"), lookups("hit"))
	}

	// The result is kept for 24 h under the instances' prefix.
	keys, err := rdb.Keys(context.Background(), prefix+"signedurl:result:*").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("result keys %v, %v; want one", keys, err)
	}
	ttl := rdb.TTL(context.Background(), keys[0]).Val()
	t.Logf("%d requests over 2 instances: %d job(s) ran, %d origin fetch(es), lookups miss=%v join=%v hit=%v, one Location; result TTL %v",
		n, g1.App.Jobs.Started()+g2.App.Jobs.Started(), o.fetches.Load(), lookups("miss"), lookups("join"), lookups("hit"), ttl)
	if ttl <= 24*time.Hour-time.Minute || ttl > 24*time.Hour {
		t.Errorf("result TTL %v, want within (24h-1m, 24h]", ttl)
	}
	// Either instance answers later requests from it.
	for _, g := range []gateway{g1, g2} {
		if r := fetch(t, on(g, u)); r.status != http.StatusFound || r.location != replies[0].location {
			t.Errorf("later request on %s: %v", g.URL, r)
		}
	}
	if o.fetches.Load() != 1 {
		t.Error("a cached result ran the job again")
	}
}

func TestSlowJobAnswersStatusThenRedirect(t *testing.T) {
	modes := map[string]func(t *testing.T) map[string]string{
		"embedded": func(*testing.T) map[string]string { return nil },
		"redis": func(t *testing.T) map[string]string {
			_, prefix := redistest.Client(t)
			return map[string]string{"GATEWAY_REDIS_URL": redistest.URL(), "GATEWAY_REDIS_PREFIX": prefix}
		},
	}
	for name, env := range modes {
		t.Run(name, func(t *testing.T) {
			vars := env(t)
			if vars == nil {
				vars = map[string]string{}
			}
			vars["GATEWAY_SIGNED_URL_WAIT"] = "300ms"
			g := startGateway(t, vars)
			gate := make(chan struct{})
			o := newOrigin(t, 30, 30, gate)
			base, secret := g.createBase(t, nil)
			u := signJob(t, base, secret, convertJob(o.URL, "slow", 10, 10), "slow")

			first := fetch(t, u)
			var status struct {
				Data struct {
					ID, Status string
					Tasks      []json.RawMessage
				}
			}
			if err := json.Unmarshal(first.body, &status); err != nil || first.status != http.StatusAccepted ||
				status.Data.ID == "" || status.Data.ID != first.jobID || len(status.Data.Tasks) != 3 {
				t.Fatalf("first request: %v, want 202 with the job status", first)
			}
			if status.Data.Status == "finished" || status.Data.Status == "error" {
				t.Errorf("a held job reports %q", status.Data.Status)
			}
			// Asking again joins the running job.
			second := fetch(t, u)
			if second.status != http.StatusAccepted || second.jobID != first.jobID {
				t.Errorf("second request: %v (job %s), want 202 for job %s", second, second.jobID, first.jobID)
			}
			close(gate)
			testutil.Eventually(t, 10*time.Second, "the job to finish", func() bool {
				st, ok, err := g.App.Jobs.Get(context.Background(), first.jobID)
				return err == nil && ok && st.Status == "finished"
			})
			third := fetch(t, u)
			if third.status != http.StatusFound || third.jobID != first.jobID {
				t.Fatalf("after the job: %v, want 302 from job %s", third, first.jobID)
			}
			checkOutput(t, third.location, 10, 10)
			if o.fetches.Load() != 1 || g.App.Jobs.Started() != 1 {
				t.Errorf("%d fetches, %d jobs; want 1 and 1", o.fetches.Load(), g.App.Jobs.Started())
			}
		})
	}
}

func TestFailedJobIsAnsweredNotCached(t *testing.T) {
	g := startGateway(t, nil)
	base, secret := g.createBase(t, nil)
	// Port 1 on loopback: the import is refused at once.
	u := signJob(t, base, secret, convertJob("http://127.0.0.1:1", "fails", 5, 5), "fails")
	var ids []string
	for range 2 {
		r := fetch(t, u)
		var status struct {
			Data struct {
				ID, Status string
			}
		}
		json.Unmarshal(r.body, &status)
		if r.status < 400 || r.status >= 600 || status.Data.Status != "error" || !strings.Contains(string(r.body), `"code"`) {
			t.Fatalf("got %v, want the failed job's status", r)
		}
		ids = append(ids, status.Data.ID)
	}
	if ids[0] == ids[1] {
		t.Error("a failure was cached: both requests got one job")
	}
}
