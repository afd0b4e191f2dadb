package tlsserve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// ACME configures certificates obtained on demand.
type ACME struct {
	// Directory is the CA's ACME directory URL.
	Directory string
	// Root, when set, is a PEM root trusted besides the system's on the
	// way to the directory (a private CA).
	Root []byte
	// Email is the account's contact; empty: none.
	Email string
	// HTTP01 and TLSALPN01 say which challenges are offered: HTTP-01 is
	// answered by the HTTP listener (Front), TLS-ALPN-01 by the HTTPS
	// listener's handshake.
	HTTP01, TLSALPN01 bool
	// HTTPAddr and TLSAddr are the listen addresses of the two listeners.
	// CertMagic binds a challenge's port only when nothing listens on it;
	// here the gateway does, and answers.
	HTTPAddr, TLSAddr string
}

// acmeSource is CertMagic: an on-demand configuration whose decision is
// the Manager's, its certificate cache and the ACME issuer; and the
// back-off of names whose order failed.
type acmeSource struct {
	cfg     *certmagic.Config
	cache   *certmagic.Cache
	issuer  *certmagic.ACMEIssuer
	metrics *metrics

	mu     sync.Mutex
	failed map[string]failure // by name
}

// failure is the back-off of a name whose last orders failed.
type failure struct {
	count int
	until time.Time
}

// Back-off after a failed order (a registered domain whose DNS does not
// point here yet, say): FirstBackoff, doubling at each failure up to
// MaxBackoff. CertMagic's own retries run within one handshake's wait;
// this spaces the waves that handshakes would start one after the other,
// which keeps a CA's limit of failed validations (Let's Encrypt: 5 per
// name and hour) out of reach of anyone who can send a server name.
const (
	FirstBackoff = 5 * time.Minute
	MaxBackoff   = time.Hour
)

// newACMESource sets CertMagic up on storage. decide says whether a name
// may have a certificate; it is asked before any order or renewal.
func newACMESource(o ACME, storage certmagic.Storage, decide func(context.Context, string) error, zl *zap.Logger, m *metrics) (*acmeSource, error) {
	s := &acmeSource{metrics: m, failed: map[string]failure{}}
	s.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return s.cfg, nil },
		Logger:           zl,
	})
	s.cfg = certmagic.New(s.cache, certmagic.Config{
		Storage:  storage,
		OnDemand: &certmagic.OnDemandConfig{DecisionFunc: decide},
		OnEvent:  s.onEvent,
		// Only the events counted: CertMagic builds no data for the
		// others (one is emitted at every handshake).
		ShouldEmitFunc: func(event string) bool { return event == "cert_obtained" || event == "cert_failed" },
		Logger:         zl,
	})
	var roots *x509.CertPool
	if len(o.Root) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(o.Root) {
			s.cache.Stop()
			return nil, errors.New("the ACME CA root holds no PEM certificate")
		}
		roots = pool
	}
	httpHost, httpPort := splitPort(o.HTTPAddr)
	_, tlsPort := splitPort(o.TLSAddr)
	s.issuer = certmagic.NewACMEIssuer(s.cfg, certmagic.ACMEIssuer{
		CA:                      o.Directory,
		Email:                   o.Email,
		Agreed:                  true,
		TrustedRoots:            roots,
		DisableHTTPChallenge:    !o.HTTP01,
		DisableTLSALPNChallenge: !o.TLSALPN01,
		ListenHost:              httpHost,
		AltHTTPPort:             httpPort,
		AltTLSALPNPort:          tlsPort,
		Logger:                  zl,
	})
	s.cfg.Issuers = []certmagic.Issuer{s.issuer}
	return s, nil
}

func splitPort(addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	n, _ := strconv.Atoi(port)
	return host, n
}

// certificate answers a handshake for a name decide allows, within ctx:
// from memory, else from storage, else by an order, unless the name is
// backing off from a failed one.
func (s *acmeSource) certificate(ctx context.Context, name string, hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if s.backingOff(name) && len(s.cache.AllMatchingCertificates(name)) == 0 {
		// Another instance may have obtained it meanwhile.
		if _, err := s.cfg.CacheManagedCertificate(ctx, name); err != nil {
			return nil, errBackingOff
		}
	}
	return s.cfg.GetCertificateWithContext(ctx, hello)
}

// errBackingOff refuses a handshake whose name's last order failed.
var errBackingOff = errors.New("the last order for this server name failed; not ordering again yet")

func (s *acmeSource) backingOff(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Before(s.failed[name].until)
}

// onEvent counts CertMagic's outcomes of orders, and keeps the back-off of
// names whose first order failed.
func (s *acmeSource) onEvent(_ context.Context, event string, data map[string]any) error {
	renewal, _ := data["renewal"].(bool)
	name, _ := data["identifier"].(string)
	switch event {
	case "cert_obtained":
		s.metrics.certificates.WithLabelValues("obtained", strconv.FormatBool(renewal)).Inc()
		s.mu.Lock()
		delete(s.failed, name)
		s.mu.Unlock()
	case "cert_failed":
		s.metrics.certificates.WithLabelValues("failed", strconv.FormatBool(renewal)).Inc()
		if !renewal {
			s.mu.Lock()
			f := s.failed[name]
			f.count++
			f.until = time.Now().Add(min(FirstBackoff<<(min(f.count, 8)-1), MaxBackoff))
			s.failed[name] = f
			s.mu.Unlock()
		}
	}
	return nil
}

// answerHTTP01 answers r when it is an HTTP-01 challenge under way for
// its host, started by this instance or any other on the same storage.
func (s *acmeSource) answerHTTP01(w http.ResponseWriter, r *http.Request) bool {
	return s.issuer.HandleHTTPChallenge(w, r)
}

func (s *acmeSource) close() { s.cache.Stop() }

// Cleaning of the stored certificates: every CleanInterval, by one
// instance for all (under the lock, with the time of the last cleaning in
// the store), certificates expired for longer than ExpiredGrace (those of
// deleted domains, say) and old OCSP responses are deleted.
const (
	CleanInterval = 24 * time.Hour
	ExpiredGrace  = 7 * 24 * time.Hour
)

func (s *acmeSource) clean(ctx context.Context) error {
	return certmagic.CleanStorage(ctx, s.cfg.Storage, certmagic.CleanStorageOptions{
		Logger:                 s.cfg.Logger.Named("clean_storage"),
		Interval:               CleanInterval,
		OCSPStaples:            true,
		ExpiredCerts:           true,
		ExpiredCertGracePeriod: ExpiredGrace,
	})
}

// metrics are the Manager's collectors.
type metrics struct {
	certificates *prometheus.CounterVec // result, renewal
	refused      *prometheus.CounterVec // reason
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		certificates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_tls_acme_certificates_total",
			Help: "Certificates ordered over ACME, by result (obtained, failed) and renewal (true, false).",
		}, []string{"result", "renewal"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_tls_handshakes_refused_total",
			Help: "TLS handshakes refused for want of a certificate, by reason: unknown_name (not a registered custom domain nor the public host, and no certificate file), backoff (the name's last order failed).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.certificates, m.refused)
	}
	return m
}

// errNotAllowed is the decision for a name that may not have a
// certificate.
var errNotAllowed = errors.New("not a registered custom domain nor the gateway's public host")

func notAllowed(name string) error { return fmt.Errorf("%q: %w", name, errNotAllowed) }
