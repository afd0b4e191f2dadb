package chrome

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/signedgate/gateway/internal/fetch"
)

// guard applies the fetch policy (the same SSRF rules as import/url) to the
// network of captured web pages.
//
// Chromium runs with --proxy-server pointing at proxy, an in-process HTTP
// proxy that resolves each host itself, checks every resolved address, and
// dials only a checked address. That is what defeats DNS rebinding: the
// browser never resolves names, so a name that answered with a public address
// when checked cannot answer with a private one when dialled. The
// per-request check in the tab's Fetch interception (checkURL) comes first
// and refuses early with a clear reason; the proxy is the enforcement.
type guard struct {
	policy   fetch.Policy
	resolver *net.Resolver
	dialer   net.Dialer
	// none refuses every host: the guard of the proxy of converted HTML
	// documents, which get no network at all.
	none bool
}

// errNoNetwork is what the guard of converted documents answers.
var errNoNetwork = errors.New("a converted document has no network")

// checkURL refuses anything but http(s) and ws(s) URLs whose host resolves
// only to allowed addresses.
func (g *guard) checkURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("unparseable URL")
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return fmt.Errorf("scheme %q is not allowed", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("the URL has no host")
	}
	_, err = g.resolve(ctx, u.Hostname())
	return err
}

// resolve returns the host's addresses, all of them allowed, or an error
// naming the host. One forbidden address refuses the host: the browser (or
// a retry) might otherwise end up on it.
func (g *guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if g.none {
		return nil, errNoNetwork
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := g.policy.CheckAddr(a); err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
		return []netip.Addr{a}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("%s: the name does not resolve", host)
	}
	if g.policy.TrustsHost(host) {
		return addrs, nil
	}
	for _, a := range addrs {
		if err := g.policy.CheckAddr(a); err != nil {
			return nil, fmt.Errorf("%s resolves to %s: %w", host, a.Unmap(), err)
		}
	}
	return addrs, nil
}

// dial connects to host:port through a checked address.
func (g *guard) dial(ctx context.Context, _, hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return nil, fmt.Errorf("bad port %q", port)
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		c, err := g.dialer.DialContext(ctx, "tcp", net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// pageProxy is the HTTP proxy Chromium sends all page traffic to.
type pageProxy struct {
	g   *guard
	ln  net.Listener
	srv *http.Server
	rp  *httputil.ReverseProxy
	wg  sync.WaitGroup
}

func startProxy(g *guard) (*pageProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &pageProxy{g: g, ln: ln}
	tr := &http.Transport{DialContext: g.dial, Proxy: nil, MaxIdleConns: 16, IdleConnTimeout: 30 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second, TLSHandshakeTimeout: 10 * time.Second}
	p.rp = &httputil.ReverseProxy{
		// The request line is already absolute (http://host/path): keep it.
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.Out.Host = pr.In.Host },
		Transport: tr,
		// Aborting the connection, rather than answering 502, makes the
		// browser report a failed load: a refused page document fails the
		// capture instead of rendering an error page.
		ErrorHandler: func(http.ResponseWriter, *http.Request, error) { panic(http.ErrAbortHandler) },
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Go(func() { p.srv.Serve(ln) })
	return p, nil
}

func (p *pageProxy) addr() string { return p.ln.Addr().String() }

func (p *pageProxy) close() {
	p.srv.Close()
	p.wg.Wait()
}

func (p *pageProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		http.Error(w, "not a proxy request", http.StatusBadRequest)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// tunnel serves CONNECT (https, wss, and ws through a proxy) to a checked
// address.
func (p *pageProxy) tunnel(w http.ResponseWriter, r *http.Request) {
	up, err := p.g.dial(r.Context(), "tcp", r.Host)
	if err != nil {
		http.Error(w, "refused by the gateway", http.StatusForbidden)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "no tunnel", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, buf); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(down, up); done <- struct{}{} }()
	<-done
	<-done
	up.Close()
	down.Close()
}
