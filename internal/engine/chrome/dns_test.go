package chrome

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/signedgate/gateway/internal/engine"
)

// Chromium resolves no name: a DNS query is a channel out of the machine
// (to the name's authoritative server) that no proxy sees. Names go to the
// gateway's proxies, which resolve them only for captures (the guard) and
// never for converted documents. The browser's net log shows every lookup
// it starts.
func TestPagesResolveNoNames(t *testing.T) {
	netlog := filepath.Join(t.TempDir(), "netlog.json")
	testFlags = []chromedp.ExecAllocatorOption{chromedp.Flag("log-net-log", netlog), chromedp.Flag("net-log-capture-mode", "Everything")}
	t.Cleanup(func() { testFlags = nil })
	const probe = "dns-probe-7f3a.example"
	page := `<link rel=dns-prefetch href="//a.` + probe + `"><link rel=preconnect href="https://b.` + probe + `">
<link rel=prefetch href="http://c.` + probe + `/p"><img src="http://d.` + probe + `/i.png">`
	scripted := page + `<script>fetch('http://e.` + probe + `/f').catch(()=>{});try{new WebSocket('ws://f.` + probe + `/')}catch(e){}
try{const pc=new RTCPeerConnection({iceServers:[{urls:'stun:g.` + probe + `:3478'}]});pc.createDataChannel('d');pc.setLocalDescription()}catch(e){}</script>`

	e := newEngine(t, Config{Tabs: 1, Policy: loopbackPolicy})
	for _, html := range []string{page, scripted} {
		if _, err := convert(t, e, "<p>probe</p>"+html, nil); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<p>probe</p>" + scripted))
	}))
	defer srv.Close()
	if _, err := capture(t, e, srv.URL, "pdf", engine.Options{"wait_time": 300}); err != nil {
		t.Fatal(err)
	}
	e.Close() // ends the log

	// Every lookup it starts fails at once (~NOTFOUND, see allocOptions),
	// the browser's own too (it looks up Google's hosts to preconnect);
	// only addresses are looked up for real.
	for _, h := range resolvedHosts(t, netlog) {
		u, err := url.Parse(h)
		if err != nil {
			t.Errorf("chromium looked up %q", h)
			continue
		}
		if _, err := netip.ParseAddr(u.Hostname()); err != nil && u.Hostname() != "~notfound" {
			t.Errorf("chromium looked up the name %s", h)
		}
	}
}

// resolvedHosts lists the hosts of the resolutions in a net log: its first
// line holds the constants, then one event a line (the last lines may be
// missing when the browser was killed).
func resolvedHosts(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	if !sc.Scan() {
		t.Fatal("empty net log")
	}
	var head struct {
		Constants struct {
			LogEventTypes map[string]int `json:"logEventTypes"`
		} `json:"constants"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSuffix(sc.Text(), ",")+"}"), &head); err != nil {
		t.Fatalf("net log constants: %v", err)
	}
	request, ok := head.Constants.LogEventTypes["HOST_RESOLVER_MANAGER_REQUEST"]
	if !ok {
		t.Fatal("the net log has no HOST_RESOLVER_MANAGER_REQUEST event type")
	}
	var hosts []string
	events := 0
	for sc.Scan() {
		var ev struct {
			Type   int `json:"type"`
			Params struct {
				Host string `json:"host"`
			} `json:"params"`
		}
		if json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(sc.Text()), ",")), &ev) != nil {
			continue
		}
		events++
		if ev.Type == request && ev.Params.Host != "" {
			hosts = append(hosts, ev.Params.Host)
		}
	}
	if events < 100 {
		t.Fatalf("the net log has only %d events", events)
	}
	return hosts
}
