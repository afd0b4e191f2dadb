package bucket

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Guard refuses origins that would make the gateway serve itself:
//
//   - an http(s) origin at the gateway's own address (its public URL, or
//     its listen address: with ":8080", any local address on port 8080).
//     Each request to such a bucket would become another request to the
//     same bucket, and so on until sockets ran out. The gateway also marks
//     and refuses looping requests at serve time (origin package), which
//     catches what no address comparison can: a DNS name, a custom domain
//     or a second instance leading back;
//   - a file:// origin that holds, or lies inside, a directory the
//     gateway writes (its data directory with the admin token and record
//     store, job work and output directories, upload staging), "/", or
//     a system directory (/proc, /sys, /dev, /etc).
//     Such a bucket would publish the admin token, other users' uploads
//     and outputs (bypassing their signatures).
//
// The zero Guard refuses only "/" and the system directories.
type Guard struct {
	// PublicURL is GATEWAY_PUBLIC_URL.
	PublicURL string
	// ListenAddr is GATEWAY_ADDR, host:port.
	ListenAddr string
	// Dirs are the directories the gateway writes, named for messages.
	Dirs []ProtectedDir
	// TempPatterns are glob patterns of directories the gateway makes with
	// random names (engine profiles in the system temporary directory);
	// they are expanded at each check.
	TempPatterns []string
}

// ProtectedDir is a directory no bucket may serve.
type ProtectedDir struct {
	Path string
	What string // such as "the data directory (GATEWAY_DATA_DIR)"
}

// Check explains why the normalised origin must be refused, or returns nil.
func (g *Guard) Check(origin string) error {
	b := Bucket{Origin: origin}
	if b.OriginKind() == "file" {
		if err := g.CheckDir(b.Dir()); err != nil {
			return fmt.Errorf("origin %q: %w", origin, err)
		}
		return nil
	}
	u, err := url.Parse(origin)
	if err != nil {
		return fmt.Errorf("origin %q is not a URL", origin)
	}
	if what := g.self(u); what != "" {
		return fmt.Errorf("origin %q points at this gateway itself (%s): a bucket cannot proxy the gateway, every request would come back to it", origin, what)
	}
	return nil
}

// CheckDir explains why a file origin's directory must be refused, or
// returns nil. Both sides are compared with every symlink resolved, so
// that no spelling of a path (a symlink, "..", a relative data directory)
// hides what it is.
func (g *Guard) CheckDir(dir string) error {
	d, err := resolve(dir)
	if err != nil {
		return err
	}
	if d == string(filepath.Separator) {
		return errors.New("the root directory cannot be a bucket: it holds the gateway's own files and the whole system")
	}
	dirs := slices.Concat(systemDirs, g.Dirs)
	for _, pattern := range g.TempPatterns {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			dirs = append(dirs, ProtectedDir{Path: m, What: "a working directory of the gateway"})
		}
	}
	for _, p := range dirs {
		if p.Path == "" {
			continue
		}
		rp, err := resolve(p.Path)
		if err != nil {
			continue
		}
		switch {
		case inside(d, rp):
			return fmt.Errorf("the directory is %s or inside it; a bucket cannot serve the gateway's own files", p.What)
		case inside(rp, d):
			return fmt.Errorf("the directory holds %s; a bucket cannot serve the gateway's own files", p.What)
		}
	}
	return nil
}

// systemDirs are never media, and hold what a bucket must not publish:
// /proc/self/environ has the process's environment (the admin token in
// shared mode), /etc the host's keys and password hashes.
var systemDirs = []ProtectedDir{
	{Path: "/proc", What: "a system directory"},
	{Path: "/sys", What: "a system directory"},
	{Path: "/dev", What: "a system directory"},
	{Path: "/etc", What: "a system directory"},
}

// resolve makes p absolute and resolves its symlinks. A path that does not
// exist yet (a work directory made on first use) is resolved as far as it
// exists.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for cur := abs; ; {
		if real, err := filepath.EvalSymlinks(cur); err == nil {
			parts := append([]string{real}, rest...)
			return filepath.Join(parts...), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}

// inside reports whether p is dir or below it (both clean and absolute).
func inside(p, dir string) bool {
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}

// self reports which of the gateway's own addresses u points at, or "".
func (g *Guard) self(u *url.URL) string {
	host, port := hostPort(u)
	if pub, err := url.Parse(g.PublicURL); err == nil && pub.Host != "" {
		ph, pp := hostPort(pub)
		if port == pp && (sameHost(host, ph) || (isLoopbackHost(ph) && isLoopbackHost(host))) {
			return "its public URL, GATEWAY_PUBLIC_URL"
		}
	}
	lh, lp, err := net.SplitHostPort(g.ListenAddr)
	if err != nil || lp == "0" || lp != port {
		return ""
	}
	lh = normalHost(lh)
	if lip, err := netip.ParseAddr(lh); lh == "" || (err == nil && lip.IsUnspecified()) {
		// Listening on every address: any address of this machine is us.
		if isLocalName(host) || isLocalAddr(host) {
			return "its listen address, GATEWAY_ADDR"
		}
		return ""
	}
	if sameHost(host, lh) || (isLoopbackHost(lh) && isLoopbackHost(host)) {
		return "its listen address, GATEWAY_ADDR"
	}
	return ""
}

// hostPort returns u's host, lower-cased without brackets or trailing dot,
// and its port, the scheme's default when absent.
func hostPort(u *url.URL) (host, port string) {
	port = u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return normalHost(u.Hostname()), port
}

func normalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(h, "[]")), ".")
}

// sameHost compares two hosts as names or, when both are IP literals, as
// addresses (::ffff:127.0.0.1 is 127.0.0.1).
func sameHost(a, b string) bool {
	if a == b {
		return true
	}
	ia, errA := netip.ParseAddr(a)
	ib, errB := netip.ParseAddr(b)
	return errA == nil && errB == nil && ia.Unmap() == ib.Unmap()
}

// isLoopbackHost: localhost names (RFC 6761: *.localhost too) and
// loopback addresses.
func isLoopbackHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}

// isLocalName: a name that means this machine.
func isLocalName(h string) bool {
	if isLoopbackHost(h) {
		return true
	}
	name, err := os.Hostname()
	return err == nil && name != "" && h == strings.ToLower(name)
}

// isLocalAddr: an IP literal this machine answers on (loopback,
// unspecified, or an address of one of its interfaces).
func isLocalAddr(h string) bool {
	ip, err := netip.ParseAddr(h)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip {
			return true
		}
	}
	return false
}
