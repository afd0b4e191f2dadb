package app_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// laneInstance is a gateway with a signed-URL base "bench" and one link
// whose result is cached.
type laneInstance struct {
	*apptest.Gateway
	link string // path and query of the cached link
}

func startLaneInstance(t testing.TB, lane bool, env ...string) laneInstance {
	t.Helper()
	g := startApp(t, t.TempDir(), append([]string{"GATEWAY_FAST_LANE", fmt.Sprint(lane)}, env...)...)
	adminCall(t, g, "POST", "/v1/signed-url-bases", `{"id":"bench","signing_secret":"bench-secret-0123456789"}`)
	job := fmt.Sprintf(`{"tasks":{"in":{"operation":"import/base64","file":%q,"filename":"a.txt"},"out":{"operation":"export/url","input":"in"}}}`,
		base64.StdEncoding.EncodeToString([]byte("hello")))
	link := urlsig.Sign(g.URL+"/bench", "bench-secret-0123456789", []byte(job), "k1")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	testutil.Eventually(t, 30*time.Second, "the link's job ends and the link redirects", func() bool {
		resp, err := client.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusFound
	})
	return laneInstance{Gateway: g, link: strings.TrimPrefix(link, g.URL)}
}

// adminCall calls the admin API of g, which must accept the call.
func adminCall(t testing.TB, g *apptest.Gateway, method, path, body string) {
	t.Helper()
	var msg json.RawMessage
	if code := g.Admin(t, method, path, body, &msg); code >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, code, msg)
	}
}

// exchange sends raw requests on one connection and reads an answer to each.
func exchange(t *testing.T, base string, reqs ...string) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(c)
	var out []*http.Response
	for _, r := range reqs {
		if _, err := io.WriteString(c, r); err != nil {
			t.Fatal(err)
		}
		method, _, _ := strings.Cut(r, " ")
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("answer to %q: %v", r[:min(len(r), 60)], err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
		out = append(out, resp)
	}
	return out
}

func getReq(target, host string, extra ...string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + strings.Join(extra, "") + "\r\n"
}

// answerShape is what must not differ between the lane's answer and
// net/http's: every header but Date and X-Request-Id, with the instance's
// own address taken out of Location.
func answerShape(resp *http.Response, base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d", resp.StatusCode)
	for _, k := range []string{"Cache-Control", "Location", "X-Cache", "Content-Length", "Content-Type", "Connection", "X-Content-Type-Options"} {
		v := strings.ReplaceAll(resp.Header.Get(k), base, "BASE")
		fmt.Fprintf(&b, " %s=%q", k, outputRE.ReplaceAllString(v, "/outputs/ID/$1?SIGNED"))
	}
	fmt.Fprintf(&b, " close=%v", resp.Close)
	fmt.Fprintf(&b, " job-id=%v request-id=%v fields=%d", resp.Header.Get("X-Job-Id") != "",
		len(resp.Header.Get("X-Request-Id")) == 24, len(resp.Header))
	return b.String()
}

var outputRE = regexp.MustCompile(`/outputs/[0-9a-f]+/([^?]+)\?.*$`)

func TestFastLaneAnswersCachedLinksAsNetHTTPDoes(t *testing.T) {
	lane := startLaneInstance(t, true)
	plain := startLaneInstance(t, false)
	host := func(in laneInstance) string { return strings.TrimPrefix(in.URL, "http://") }

	// The same requests to both: a cached link twice, HEAD, a client's own
	// request id, and Connection: close.
	reqs := func(in laneInstance) []string {
		return []string{
			getReq(in.link, host(in)),
			getReq(in.link, host(in)),
			"HEAD " + in.link + " HTTP/1.1\r\nHost: " + host(in) + "\r\n\r\n",
			getReq(in.link, host(in), "X-Request-Id: client-id.1\r\n"),
			getReq(in.link, host(in), "Connection: close\r\n"),
		}
	}
	got := exchange(t, lane.URL, reqs(lane)...)
	want := exchange(t, plain.URL, reqs(plain)...)
	for i := range got {
		g, w := answerShape(got[i], lane.URL), answerShape(want[i], plain.URL)
		if i == 3 {
			g += " id=" + got[i].Header.Get("X-Request-Id")
			w += " id=" + want[i].Header.Get("X-Request-Id")
		}
		if g != w {
			t.Errorf("request %d:\nlane     %s\nnet/http %s", i, g, w)
		}
	}
	if got[0].StatusCode != http.StatusFound || got[0].Header.Get("X-Cache") != "hit" {
		t.Fatalf("cached link: %d %v", got[0].StatusCode, got[0].Header)
	}
	for i, resp := range got {
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("answer %d: X-Content-Type-Options %q", i, resp.Header.Get("X-Content-Type-Options"))
		}
	}
	if got[0].Header.Get("X-Request-Id") == got[1].Header.Get("X-Request-Id") {
		t.Error("two answers share a request id")
	}

	if n := promtest.ToFloat64(lane.App.Metrics.FastLane); n != 5 {
		t.Errorf("lane answered %v requests, want 5", n)
	}
	if n := promtest.ToFloat64(plain.App.Metrics.FastLane); n != 0 {
		t.Errorf("lane disabled, yet it answered %v requests", n)
	}
	// Both count the same requests (the first, slow one included).
	for _, in := range []laneInstance{lane, plain} {
		if n := promtest.ToFloat64(in.App.Metrics.Requests.WithLabelValues("signed-url", "GET", "302")); n != 5 {
			t.Errorf("GET 302 signed-url requests counted: %v, want 5", n)
		}
	}
}

func TestFastLaneLeavesRefusalsAndOtherRoutesToTheGateway(t *testing.T) {
	in := startLaneInstance(t, true)
	host := strings.TrimPrefix(in.URL, "http://")
	forged := in.link[:len(in.link)-1] + map[bool]string{true: "1", false: "0"}[strings.HasSuffix(in.link, "0")]
	answers := exchange(t, in.URL,
		getReq(in.link, host),
		getReq(forged, host),
		getReq(in.link, host), // the connection is net/http's now
	)
	if answers[0].StatusCode != http.StatusFound || answers[2].StatusCode != http.StatusFound {
		t.Fatalf("cached link: %d, then %d", answers[0].StatusCode, answers[2].StatusCode)
	}
	body, _ := io.ReadAll(answers[1].Body)
	if answers[1].StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"code":"INVALID_SIGNATURE"`) {
		t.Errorf("forged link: %d %s", answers[1].StatusCode, body)
	}
	if n := promtest.ToFloat64(in.App.Metrics.FastLane); n != 1 {
		t.Errorf("lane answered %v requests, want only the first", n)
	}
	if n := promtest.ToFloat64(in.App.Metrics.Refusals.WithLabelValues("signed_url", "INVALID_SIGNATURE")); n != 1 {
		t.Errorf("refusals counted: %v, want 1", n)
	}

	// A custom domain owns every path on its host, a base's path included.
	adminCall(t, in.Gateway, "PUT", "/v1/buckets/films", fmt.Sprintf(`{"origin":"file://%s","policy":"public"}`, t.TempDir()))
	adminCall(t, in.Gateway, "POST", "/v1/domains", `{"domain":"cdn.example","bucket":"films"}`)
	resp := exchange(t, in.URL, getReq(in.link, "cdn.example"))[0]
	if resp.StatusCode == http.StatusFound {
		t.Errorf("a custom domain's request was answered as a signed link")
	}
	if n := promtest.ToFloat64(in.App.Metrics.FastLane); n != 1 {
		t.Errorf("lane answered %v requests, want 1", n)
	}
}

// The lane remembers its answer to a link for a moment; a change to the
// bases must still be seen by the very next request.
func TestFastLaneForgetsAnswersWhenBasesChange(t *testing.T) {
	in := startLaneInstance(t, true)
	host := strings.TrimPrefix(in.URL, "http://")
	for i, resp := range exchange(t, in.URL, getReq(in.link, host), getReq(in.link, host)) {
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("answer %d: %d", i, resp.StatusCode)
		}
	}
	answered := promtest.ToFloat64(in.App.Metrics.FastLane)

	adminCall(t, in.Gateway, "DELETE", "/v1/signed-url-bases/bench", "")
	if resp := exchange(t, in.URL, getReq(in.link, host))[0]; resp.StatusCode != http.StatusNotFound {
		t.Fatalf("link of a deleted base: %d, want 404", resp.StatusCode)
	}

	// The same path, another secret: the old links are forged now.
	adminCall(t, in.Gateway, "POST", "/v1/signed-url-bases", `{"id":"bench","signing_secret":"another-secret-0123456789"}`)
	resp := exchange(t, in.URL, getReq(in.link, host))[0]
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), `"code":"INVALID_SIGNATURE"`) {
		t.Fatalf("link signed with the old secret: %d %s", resp.StatusCode, body)
	}
	if n := promtest.ToFloat64(in.App.Metrics.FastLane); n != answered {
		t.Errorf("lane answered %v requests after the change", n-answered)
	}
}

// With the lane on or off, a connection that sends nothing, or trickles
// the header of its next request, is dropped at the read-header timeout,
// not kept for the idle one.
func TestHeaderTimeoutWithAndWithoutTheLane(t *testing.T) {
	const header, margin = 300 * time.Millisecond, 2 * time.Second
	for _, lane := range []bool{true, false} {
		t.Run(fmt.Sprintf("lane=%v", lane), func(t *testing.T) {
			in := startLaneInstance(t, lane, "GATEWAY_READ_HEADER_TIMEOUT", header.String(), "GATEWAY_IDLE_TIMEOUT", "20s")
			addr := strings.TrimPrefix(in.URL, "http://")

			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if took := closedAfter(t, c, nil); took > header+margin {
				t.Errorf("silent connection closed after %v", took)
			}

			c2, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c2.Close()
			br := bufio.NewReader(c2)
			io.WriteString(c2, getReq(in.link, addr))
			resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
			if err != nil || resp.StatusCode != http.StatusFound {
				t.Fatalf("cached link: %v %v", resp, err)
			}
			resp.Body.Close()
			go func() {
				// The next request's header, a byte every 50 ms.
				next := getReq(in.link, addr)
				next = next[:len(next)-2] + "X-Slow: "
				for i := 0; ; i++ {
					b := byte('a')
					if i < len(next) {
						b = next[i]
					}
					if _, err := c2.Write([]byte{b}); err != nil {
						return
					}
					time.Sleep(50 * time.Millisecond)
				}
			}()
			if took := closedAfter(t, c2, br); took > header+margin {
				t.Errorf("trickled header cut after %v", took)
			}
		})
	}
}

// closedAfter reads c (through br if not nil) until the server closes it,
// which net/http may do after a 400, and says how long that took.
func closedAfter(t *testing.T, c net.Conn, br *bufio.Reader) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(30 * time.Second))
	var r io.Reader = c
	if br != nil {
		r = br
	}
	got, err := io.ReadAll(r)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %v", time.Since(start))
	}
	if len(got) > 0 && !strings.HasPrefix(string(got), "HTTP/1.1 400 ") {
		t.Fatalf("read %q, want the connection closed", got)
	}
	return time.Since(start)
}

// A request with both Content-Length and Transfer-Encoding is refused and
// its connection closed, with the lane on or off, first on a connection
// or after a cached link: nothing after it is read as a request.
func TestAmbiguousFramingClosesWithAndWithoutTheLane(t *testing.T) {
	for _, lane := range []bool{true, false} {
		in := startLaneInstance(t, lane)
		host := strings.TrimPrefix(in.URL, "http://")
		ambiguous := "POST /healthz HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
		for name, first := range map[string]string{"first": "", "after a cached link": getReq(in.link, host)} {
			c, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, first+ambiguous+getReq("/healthz", host))
			br := bufio.NewReader(c)
			if first != "" {
				resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
				if err != nil || resp.StatusCode != http.StatusFound {
					t.Fatalf("lane=%v %s: cached link: %v %v", lane, name, resp, err)
				}
				resp.Body.Close()
			}
			resp, err := http.ReadResponse(br, &http.Request{Method: "POST"})
			if err != nil {
				t.Fatalf("lane=%v %s: %v", lane, name, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"code":"AMBIGUOUS_FRAMING"`) ||
				resp.Header.Get("X-Request-Id") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("lane=%v %s: %d %v %s", lane, name, resp.StatusCode, resp.Header, body)
			}
			if rest, err := io.ReadAll(br); len(rest) > 0 || err != nil {
				t.Errorf("lane=%v %s: after the refusal, read %q, %v; want the connection closed", lane, name, rest, err)
			}
			c.Close()
		}
	}
}
