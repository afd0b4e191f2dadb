package sigv4

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestCanonicalParts(t *testing.T) {
	tests := []struct {
		name, path, query string
		presigned         bool
		wantURI, wantQ    string
	}{
		{"empty path", "", "", false, "/", ""},
		{"root", "/", "", false, "/", ""},
		{"unreserved kept", "/aZ09-_.~", "", false, "/aZ09-_.~", ""},
		{"reserved encoded once", "/a$b&c=d+e'(f)!*@:,;", "", false, "/a%24b%26c%3Dd%2Be%27%28f%29%21%2A%40%3A%2C%3B", ""},
		{"already encoded, not twice", "/a%20b/%C3%BC%2a", "", false, "/a%20b/%C3%BC%2A", ""},
		{"over-encoded unreserved decoded", "/%41%7e", "", false, "/A~", ""},
		{"encoded slash stays in its segment", "/a%2Fb//c/", "", false, "/a%2Fb//c/", ""},
		{"plus in the path is a plus", "/a+b", "", false, "/a%2Bb", ""},
		{"sorted by name then value", "/", "b=2&a=2&a=1&B=0", false, "/", "B=0&a=1&a=2&b=2"},
		{"sorted after encoding", "/", "a-b=1&a/b=2", false, "/", "a%2Fb=2&a-b=1"},
		{"no value", "/", "acl&versionId=", false, "/", "acl=&versionId="},
		{"empty pieces skipped", "/", "&a=1&&", false, "/", "a=1"},
		{"plus in the query is a space", "/", "prefix=a+b&q=%2B", false, "/", "prefix=a%20b&q=%2B"},
		{"values re-encoded", "/", "k=a%2fb~c*d", false, "/", "k=a%2Fb~c%2Ad"},
		{"signature left out when presigned", "/", "X-Amz-Signature=abc&X-Amz-Date=1", true, "/", "X-Amz-Date=1"},
		{"disguised signature left out too", "/", "X-Amz-%53ignature=abc&a=1", true, "/", "a=1"},
		{"signature kept for header auth", "/", "X-Amz-Signature=abc", false, "/", "X-Amz-Signature=abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cr := CanonicalRequest(&Request{Method: "GET", Host: "h", EscapedPath: tc.path, RawQuery: tc.query}, []string{"host"}, "UNSIGNED-PAYLOAD", tc.presigned)
			want := "GET\n" + tc.wantURI + "\n" + tc.wantQ + "\nhost:h\n\nhost\nUNSIGNED-PAYLOAD"
			if cr != want {
				t.Errorf("got\n%s\nwant\n%s", cr, want)
			}
		})
	}
}

func TestCanonicalHeaders(t *testing.T) {
	req := &Request{Method: "PUT", Host: " gw.example:8080 ", EscapedPath: "/k", Header: http.Header{
		"Content-Type":    {"  text/plain;   charset=utf-8  "},
		"X-Amz-Meta-List": {"a", " b  c "},
		"x-odd-case":      {"kept"}, // a map not built by net/http
	}}
	cr := CanonicalRequest(req, []string{"content-type", "host", "x-amz-meta-list", "x-missing", "x-odd-case"}, "h", false)
	want := "PUT\n/k\n\ncontent-type:text/plain; charset=utf-8\nhost:gw.example:8080\nx-amz-meta-list:a,b c\nx-missing:\nx-odd-case:kept\n\n" +
		"content-type;host;x-amz-meta-list;x-missing;x-odd-case\nh"
	if cr != want {
		t.Errorf("got\n%s\nwant\n%s", cr, want)
	}
}

func TestKeyCache(t *testing.T) {
	c := NewKeyCache(8)
	want := SigningKey("s", "20261206", "us-east-1", "s3")
	if k := c.Key("s", "20261206", "us-east-1"); string(k[:]) != string(want) {
		t.Fatalf("got %x, want %x", k, want)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				secret := fmt.Sprint("secret", (i+g)%20)
				k := c.Key(secret, "20261206", "eu-west-1")
				if string(k[:]) != string(SigningKey(secret, "20261206", "eu-west-1", "s3")) {
					t.Errorf("wrong key for %s", secret)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := c.Len(); n > 8 {
		t.Errorf("cache holds %d keys, bound 8", n)
	}
	// A key in use survives the churn of others.
	for i := range 100 {
		c.Key("hot", "20261206", "us-east-1")
		c.Key(fmt.Sprint("cold", i), "20261206", "us-east-1")
	}
	s := getScratch()
	defer putScratch(s)
	c.mu.Lock()
	_, inCur := c.cur[keyIDFor(s, "hot", "20261206", "us-east-1")]
	_, inPrev := c.prev[keyIDFor(s, "hot", "20261206", "us-east-1")]
	c.mu.Unlock()
	if !inCur && !inPrev {
		t.Error("the key in use was evicted")
	}
	if strings.Contains(fmt.Sprint(c.cur), "hot") {
		t.Error("the cache holds a secret")
	}
}
