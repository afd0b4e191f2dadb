// Package tlsserve owns the certificates of the gateway's HTTPS listener
// and what the HTTP listener does for them:
//
//   - certificates from files (GATEWAY_TLS_CERT_FILE/KEY_FILE), read again
//     when their content changes (checked every ReloadInterval);
//   - certificates obtained on demand over ACME with CertMagic, only for
//     registered custom domains and the gateway's public host: the
//     decision is taken on the cached view of the domain records at every
//     handshake, before CertMagic is asked, so a name that is neither
//     gets no certificate and orders nothing; a name whose order failed
//     is not ordered again for a while (FirstBackoff);
//   - their storage (Storage): CertMagic's certificates, keys, ACME
//     accounts and challenge tokens as records of the record store, with
//     its locks (LocalLocker embedded, RedisLocker shared), so that every
//     instance serves what one obtained and a restart orders nothing;
//     certificates long expired are cleaned out daily;
//   - Front, the HTTP listener's router for HTTP-01 challenges and the
//     redirect to https.
//
// internal/server serves the handshake (ServeTLS); the Manager is its
// tls.Config.
package tlsserve

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signedgate/gateway/internal/server"
	"github.com/signedgate/gateway/internal/store"
)

// Defaults of Options.
const (
	// DefaultReloadInterval is how often the certificate files are read
	// for a change.
	DefaultReloadInterval = 10 * time.Second
	// DefaultObtainTimeout is how long a handshake may wait for an order
	// (CertMagic's own limit).
	DefaultObtainTimeout = 3 * time.Minute
)

// Options configure a Manager.
type Options struct {
	// CertFile and KeyFile are a certificate chain and its key (both or
	// neither), served for every name it covers and, when ACME does not
	// serve a name, for any other.
	CertFile, KeyFile string
	// ReloadInterval is how often the files are read for a change; 0:
	// DefaultReloadInterval.
	ReloadInterval time.Duration
	// ACME, when set, obtains certificates on demand.
	ACME *ACME
	// PublicHost is the gateway's own host name, which ACME serves as it
	// serves custom domains; empty, an IP address or a single label
	// (localhost): none.
	PublicHost string
	// Registered reports whether host (lower case) is a registered custom
	// domain; it must answer from a cached view (proxy.DomainRepo).
	Registered func(ctx context.Context, host string) (bool, error)
	// Store and Locker keep what ACME obtains; needed with ACME.
	Store  store.Store
	Locker Locker
	// HandshakeTimeout is the deadline ServeTLS gives a handshake, put
	// back once an order is done; ObtainTimeout, how long a handshake may
	// wait for an order (0: DefaultObtainTimeout).
	HandshakeTimeout time.Duration
	ObtainTimeout    time.Duration
	Registerer       prometheus.Registerer
	Log              *slog.Logger
}

// Manager chooses the certificate of each handshake. Close stops its
// background work.
type Manager struct {
	files      *fileSource // nil: no certificate files
	acme       *acmeSource // nil: no ACME
	publicHost string      // "" when not eligible
	registered func(context.Context, string) (bool, error)
	handshake  time.Duration
	obtain     time.Duration
	metrics    *metrics
	log        *slog.Logger
	tlsConfig  *tls.Config

	stop chan struct{}
	wg   sync.WaitGroup
}

// New builds a Manager; it reads the certificate files, which must be a
// valid pair. No CA is contacted before a handshake needs a certificate.
func New(o Options) (*Manager, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	m := &Manager{
		registered: o.Registered,
		handshake:  o.HandshakeTimeout,
		obtain:     o.ObtainTimeout,
		metrics:    newMetrics(o.Registerer),
		log:        o.Log,
		stop:       make(chan struct{}),
	}
	if host := strings.ToLower(strings.TrimSuffix(o.PublicHost, ".")); host != "" && net.ParseIP(host) == nil && strings.Contains(host, ".") {
		m.publicHost = host
	}
	if m.obtain <= 0 {
		m.obtain = DefaultObtainTimeout
	}
	if m.registered == nil {
		m.registered = func(context.Context, string) (bool, error) { return false, nil }
	}
	if o.CertFile != "" || o.KeyFile != "" {
		f, err := newFileSource(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, err
		}
		m.files = f
		interval := o.ReloadInterval
		if interval <= 0 {
			interval = DefaultReloadInterval
		}
		m.wg.Add(1)
		go m.watchFiles(interval)
	}
	protos := []string{"h2", "http/1.1"}
	if o.ACME != nil {
		if o.Store == nil || o.Locker == nil {
			m.Close()
			return nil, errors.New("tlsserve: ACME needs a store and a locker")
		}
		a, err := newACMESource(*o.ACME, NewStorage(o.Store, o.Locker), m.decide, zapLogger(o.Log), m.metrics)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.acme = a
		m.wg.Add(1)
		go m.cleanStorage(time.Minute)
		if o.ACME.TLSALPN01 {
			protos = append(protos, server.ACMETLS1)
		}
	}
	if m.files == nil && m.acme == nil {
		return nil, errors.New("tlsserve: no certificate source: set certificate files, ACME or both")
	}
	m.tlsConfig = &tls.Config{
		GetCertificate: m.getCertificate,
		NextProtos:     protos,
		MinVersion:     tls.VersionTLS12,
	}
	return m, nil
}

// TLSConfig is the configuration of the HTTPS listener.
func (m *Manager) TLSConfig() *tls.Config { return m.tlsConfig }

// ACMEEnabled reports whether certificates are obtained over ACME.
func (m *Manager) ACMEEnabled() bool { return m.acme != nil }

// Close stops reloading files and CertMagic's maintenance.
func (m *Manager) Close() error {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	m.wg.Wait()
	if m.acme != nil {
		m.acme.close()
	}
	return nil
}

// decide says whether ACME may serve name: the public host, or a
// registered custom domain. CertMagic asks it again before it orders or
// renews.
func (m *Manager) decide(ctx context.Context, name string) error {
	if name == "" || net.ParseIP(name) != nil {
		return notAllowed(name)
	}
	if name == m.publicHost {
		return nil
	}
	ok, err := m.registered(ctx, name)
	if err != nil {
		return err
	}
	if !ok {
		return notAllowed(name)
	}
	return nil
}

// Serves reports whether the HTTPS listener has a certificate for host
// (lower case, without port) to show, without ordering anything.
func (m *Manager) Serves(ctx context.Context, host string) bool {
	if m.files != nil && m.files.covers(host) {
		return true
	}
	return m.acme != nil && m.decide(ctx, host) == nil
}

// getCertificate chooses a handshake's certificate: the file's for a name
// it covers; ACME's for a name decide allows; the file's for any other
// name; else none, and the handshake fails.
func (m *Manager) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	ctx := hello.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if m.acme != nil && isALPNChallenge(hello) {
		// A TLS-ALPN-01 validation: only for a name ACME may serve.
		if err := m.decide(ctx, name); err != nil {
			m.metrics.refused.WithLabelValues("unknown_name").Inc()
			return nil, err
		}
		return m.acme.cfg.GetCertificateWithContext(ctx, hello)
	}
	if m.files != nil && m.files.covers(name) {
		return m.files.certificate(), nil
	}
	if m.acme != nil && name != "" {
		err := m.decide(ctx, name)
		if err == nil {
			return m.acmeCertificate(ctx, name, hello)
		}
		if !errors.Is(err, errNotAllowed) {
			m.log.Warn("tls: custom domain lookup failed", "server_name", name, "err", err)
		}
	}
	if m.files != nil {
		return m.files.certificate(), nil
	}
	m.metrics.refused.WithLabelValues("unknown_name").Inc()
	return nil, errNoCertificate
}

// acmeCertificate asks CertMagic, giving the handshake time for an order.
func (m *Manager) acmeCertificate(ctx context.Context, name string, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello.Conn != nil {
		hello.Conn.SetDeadline(time.Now().Add(m.obtain))
		defer func() {
			if m.handshake > 0 {
				hello.Conn.SetDeadline(time.Now().Add(m.handshake))
			}
		}()
	}
	ctx, cancel := context.WithTimeout(ctx, m.obtain)
	defer cancel()
	c, err := m.acme.certificate(ctx, name, hello)
	if errors.Is(err, errBackingOff) {
		m.metrics.refused.WithLabelValues("backoff").Inc()
	}
	return c, err
}

func isALPNChallenge(hello *tls.ClientHelloInfo) bool {
	return len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == server.ACMETLS1
}

// cleanStorage cleans the stored certificates after first, then every
// CleanInterval, until Close.
func (m *Manager) cleanStorage(first time.Duration) {
	defer m.wg.Done()
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		go func() {
			// Close ends a cleaning under way.
			select {
			case <-m.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := m.acme.clean(ctx); err != nil {
			m.log.Warn("tls: clean the stored certificates", "err", err)
		}
		cancel()
		t.Reset(CleanInterval)
	}
}

// watchFiles reloads the certificate files every interval until Close. A
// failure is logged once until the next success or another failure.
func (m *Manager) watchFiles(interval time.Duration) {
	defer m.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	logged := ""
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		changed, err := m.files.reload()
		switch {
		case err != nil && err.Error() != logged:
			logged = err.Error()
			m.log.Error("certificate files not reloaded; the certificate in force stays", "err", err)
		case err == nil:
			logged = ""
		}
		if changed {
			leaf := m.files.certificate().Leaf
			m.log.Info("certificate files reloaded", "names", leaf.DNSNames, "not_after", leaf.NotAfter)
		}
	}
}
