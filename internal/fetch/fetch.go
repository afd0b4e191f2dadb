// Package fetch owns fetching user-supplied URLs safely: the address policy
// that keeps such fetches away from this host and its private networks
// (checked on every address actually dialled, redirects included), the
// limits on redirects, time and size, and the file name and metadata that
// describe what was fetched. It is used by the import/url and
// capture-website jobs and by uploads given as file=<url>; its dialer and
// host check also guard the S3 endpoints of import/s3 and export/s3.
//
// URL rules, decided here once for every caller:
//   - only http and https, on any port; the address check applies whatever
//     the port, and restricting ports would add nothing to it;
//   - no userinfo (user:pass@host): credentials in URLs end up in logs and
//     job records, and "https://trusted@evil" misleads people reading them.
//     Callers pass credentials as headers (Authorization) instead.
package fetch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
)

// Meta describes a completed fetch.
type Meta struct {
	// FileName is derived from Content-Disposition or the final URL and is
	// always sanitised; see FileName.
	FileName string
	// ContentType is the response Content-Type as sent, or "" if absent.
	ContentType string
	// Size is the number of body bytes written to dst.
	Size int64
	// FinalURL is the URL of the last request, after redirects.
	FinalURL string
}

// Client fetches URLs under a Policy. It is safe for concurrent use.
type Client struct {
	p    Policy
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	hc   *http.Client
}

// NewClient returns a Client for p, with defaults for zero fields.
func NewClient(p Policy) *Client {
	p = p.withDefaults()
	c := &Client{p: p, dial: dialFunc(p)}
	c.hc = &http.Client{
		Transport:     newTransport(p, c.dial),
		CheckRedirect: c.checkRedirect,
		// No Jar: cookies from one user's fetch must not reach another's.
		// No Timeout: Fetch bounds the whole exchange with its context.
	}
	return c
}

// CloseIdleConnections closes pooled connections, for shutdown and tests.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// Fetch GETs rawURL with the given extra headers and streams the body into
// dst. On any error, dst may have received part of the body and the caller
// must discard it; a body over the size cap is an error, never a silently
// truncated file. Headers follow redirects, except the credentials that
// net/http drops when a redirect leaves the original domain (Authorization,
// Cookie). Every error is an *Error.
func (c *Client) Fetch(ctx context.Context, rawURL string, headers map[string]string, dst io.Writer) (Meta, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Meta{}, newError(CodeInvalidURL, err, "the URL is not valid")
	}
	if err := checkURL(u); err != nil {
		return Meta{}, err
	}

	ctx, cancel := context.WithTimeout(ctx, c.p.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Meta{}, newError(CodeInvalidURL, err, "the URL is not valid")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.p.UserAgent)
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return Meta{}, classify(err, failedHost(err, u))
	}
	defer resp.Body.Close()
	final := resp.Request.URL
	host := final.Hostname()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newError(CodeUpstreamStatus, nil, "server %q answered %s", host, resp.Status)
		e.status = resp.StatusCode
		return Meta{}, e
	}
	if c.p.MaxBytes > 0 && resp.ContentLength > c.p.MaxBytes {
		return Meta{}, tooLarge(host, c.p.MaxBytes)
	}

	n, err := c.copyBody(dst, resp.Body, host)
	if err != nil {
		return Meta{}, err
	}
	return Meta{
		FileName:    FileName(resp.Header.Get("Content-Disposition"), final),
		ContentType: resp.Header.Get("Content-Type"),
		Size:        n,
		FinalURL:    final.String(),
	}, nil
}

// copyBody copies at most MaxBytes and then probes for one byte more, so a
// body without Content-Length (or with a lying one) is refused rather than
// cut short, and dst never receives more than MaxBytes.
func (c *Client) copyBody(dst io.Writer, body io.Reader, host string) (int64, error) {
	w := &errWriter{w: dst}
	src := body
	if c.p.MaxBytes > 0 {
		src = io.LimitReader(body, c.p.MaxBytes)
	}
	n, err := io.Copy(w, src)
	if w.err != nil {
		return n, newError(CodeWriteFailed, w.err, "storing the file from %q failed", host)
	}
	if err != nil {
		return n, classify(err, host)
	}
	if c.p.MaxBytes > 0 && n == c.p.MaxBytes {
		var one [1]byte
		k, err := io.ReadFull(body, one[:])
		if k > 0 {
			return n, tooLarge(host, c.p.MaxBytes)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return n, classify(err, host)
		}
	}
	return n, nil
}

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.p.MaxRedirects {
		return newError(CodeTooManyRedirects, nil,
			"fetching from %q was redirected more than %d times", via[0].URL.Hostname(), c.p.MaxRedirects)
	}
	// The target's address is checked when it is dialled; its scheme and
	// form must be checked here, because a non-HTTP scheme is never dialled
	// by this transport and would fail with an unhelpful error.
	return checkURL(req.URL)
}

// checkURL applies the URL rules in the package comment.
func checkURL(u *url.URL) error {
	switch u.Scheme {
	case "http", "https":
	case "":
		return newError(CodeInvalidURL, nil, "the URL has no scheme; use http or https")
	default:
		return newError(CodeUnsupportedScheme, nil, "URL scheme %q is not supported; use http or https", u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return newError(CodeInvalidURL, nil, "the URL has no host")
	}
	if u.User != nil {
		return newError(CodeInvalidURL, nil, "URLs with credentials are not accepted; send them as a header")
	}
	return nil
}

func tooLarge(host string, max int64) *Error {
	return newError(CodeTooLarge, nil, "the file from %q is larger than the limit of %d bytes", host, max)
}

// failedHost names the host of the hop that failed: http.Client reports the
// URL it was requesting, which after a redirect is not the one asked for.
func failedHost(err error, orig *url.URL) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Hostname() != "" {
			return u.Hostname()
		}
	}
	return orig.Hostname()
}

// errWriter remembers a write error so copyBody can tell a failing
// destination from a failing download.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

var _ error = (*Error)(nil)
