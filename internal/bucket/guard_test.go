package bucket

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGuardRefusesTheGatewaysOwnAddress(t *testing.T) {
	any8080 := &Guard{PublicURL: "https://gw.example.com", ListenAddr: ":8080"}
	loop8080 := &Guard{PublicURL: "http://localhost:8080", ListenAddr: "127.0.0.1:8080"}
	portZero := &Guard{PublicURL: "http://localhost:8080", ListenAddr: "127.0.0.1:0"}
	local := ""
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
				local = ipn.IP.String()
				break
			}
		}
	}
	tests := []struct {
		g      *Guard
		origin string
		refuse bool
	}{
		{any8080, "http://127.0.0.1:8080/media/loop", true},
		{any8080, "http://127.9.9.9:8080/media/loop", true},
		{any8080, "http://localhost:8080/media/loop", true},
		{any8080, "http://LOCALHOST.:8080", true},
		{any8080, "http://cdn.localhost:8080", true},
		{any8080, "http://[::1]:8080", true},
		{any8080, "http://[::ffff:127.0.0.1]:8080", true},
		{any8080, "http://0.0.0.0:8080", true},
		{any8080, "http://[::]:8080", true},
		{any8080, "https://gw.example.com/media/x", true},
		{any8080, "https://GW.Example.COM.:443/media/x", true},
		{any8080, "http://gw.example.com:443/x", true}, // the same listener, whatever the scheme
		{any8080, "http://127.0.0.1:8081/media/loop", false},
		{any8080, "http://gw.example.com/x", false}, // port 80
		{any8080, "https://cdn.example.com/x", false},
		{any8080, "https://gw.example.com.evil.test/x", false},
		{loop8080, "http://localhost:8080/x", true},
		{loop8080, "http://127.0.0.1:8080/x", true},
		{loop8080, "http://[::1]:8080/x", true},
		{loop8080, "http://10.1.2.3:8080/x", false}, // not on that address
		{portZero, "http://127.0.0.1:8080/x", true}, // still the public URL's
		{portZero, "http://127.0.0.1:0/x", false},
	}
	if local != "" {
		tests = append(tests,
			struct {
				g      *Guard
				origin string
				refuse bool
			}{any8080, "http://" + local + ":8080/x", true},
			struct {
				g      *Guard
				origin string
				refuse bool
			}{loop8080, "http://" + local + ":8080/x", false})
	}
	for _, tt := range tests {
		err := tt.g.Check(tt.origin)
		if (err != nil) != tt.refuse {
			t.Errorf("listen %s, public %s: Check(%q) = %v, want refused %v", tt.g.ListenAddr, tt.g.PublicURL, tt.origin, err, tt.refuse)
		}
		if err != nil && !strings.Contains(err.Error(), "this gateway itself") {
			t.Errorf("Check(%q): message %q does not say why", tt.origin, err)
		}
	}
}

func TestGuardRefusesTheGatewaysOwnDirectories(t *testing.T) {
	base := t.TempDir()
	data := filepath.Join(base, "data")
	outputs := filepath.Join(base, "out")
	work := filepath.Join(base, "work-not-made-yet")
	media := filepath.Join(base, "media")
	tmp := filepath.Join(base, "tmp")
	for _, d := range []string{data, filepath.Join(data, "uploads"), outputs, media, filepath.Join(tmp, "gateway-chromium-123"), filepath.Join(tmp, "other")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(base, "innocent")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	// A relative data directory, as the default ./data is.
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, data)
	if err != nil {
		t.Fatal(err)
	}
	g := &Guard{
		Dirs: []ProtectedDir{
			{Path: rel, What: "the data directory"},
			{Path: outputs, What: "the output directory"},
			{Path: work, What: "the work directory"},
		},
		TempPatterns: []string{filepath.Join(tmp, "gateway-*")},
	}
	tests := []struct {
		dir    string
		refuse string // part of the message; "" accepts
	}{
		{data, "the data directory or inside"},
		{filepath.Join(data, "uploads"), "the data directory or inside"},
		{link, "the data directory or inside"},
		{filepath.Join(media, "..", "data"), "the data directory or inside"},
		{base, "holds the data directory"},
		{outputs, "the output directory"},
		{filepath.Join(tmp, "gateway-chromium-123"), "a working directory"},
		{tmp, "holds a working directory"},
		{"/", "root directory"},
		{"/proc", "system directory"},
		{"/etc/ssl", "system directory"},
		{media, ""},
		{filepath.Join(tmp, "other"), ""},
	}
	for _, tt := range tests {
		err := g.Check("file://" + tt.dir)
		switch {
		case tt.refuse == "" && err != nil:
			t.Errorf("Check(file://%s) = %v, want nil", tt.dir, err)
		case tt.refuse != "" && (err == nil || !strings.Contains(err.Error(), tt.refuse)):
			t.Errorf("Check(file://%s) = %v, want an error saying %q", tt.dir, err, tt.refuse)
		}
	}
	// A directory the gateway will make later is protected already: its
	// parent, which would hold it, is refused.
	if err := g.CheckDir(work); err == nil {
		t.Errorf("CheckDir(%s) = nil before the directory exists", work)
	}
}

func FuzzGuardCheck(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080/x", "https://gw.example.com", "http://[::ffff:7f00:1]:8080",
		"file:///tmp", "file:///", "http://LOCALHOST.:8080", "http://[fe80::1%25eth0]:8080/", "file:///proc/self"} {
		f.Add(s)
	}
	g := &Guard{PublicURL: "https://gw.example.com", ListenAddr: ":8080",
		Dirs: []ProtectedDir{{Path: "/tmp/gateway-fuzz-data", What: "data"}}}
	f.Fuzz(func(t *testing.T, in string) {
		origin, err := NormalizeOrigin(in)
		if err != nil {
			return
		}
		err = g.Check(origin)
		u, perr := url.Parse(origin)
		if perr != nil || u.Scheme == "file" {
			return
		}
		// Whatever the spelling, a loopback host on the listen port or
		// the public host and port are refused.
		host, port := hostPort(u)
		if err == nil && ((port == "8080" && isLoopbackHost(host)) || (port == "443" && host == "gw.example.com")) {
			t.Fatalf("Check(%q) accepted the gateway's own address", origin)
		}
	})
}
