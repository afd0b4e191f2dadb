package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strings"
)

// LetsEncryptDirectory is the ACME directory used when GATEWAY_ACME_CA is
// empty: Let's Encrypt's production CA.
const LetsEncryptDirectory = "https://acme-v02.api.letsencrypt.org/directory"

// ACME challenge types GATEWAY_ACME_CHALLENGES may list.
const (
	ChallengeHTTP01    = "http-01"
	ChallengeTLSALPN01 = "tls-alpn-01"
)

// TLS configures the HTTPS listener (GATEWAY_TLS_*) and the certificates it
// serves: from files, and/or obtained on demand over ACME (GATEWAY_ACME*)
// for registered custom domains. Nothing here is on unless GATEWAY_TLS_ADDR
// is set; ACME is on only with GATEWAY_ACME=true as well, so certificates
// from files alone never contact a CA.
type TLS struct {
	// Addr is the listen address of the HTTPS listener; empty: none.
	Addr string `env:"TLS_ADDR"`
	// CertFile and KeyFile are a PEM certificate chain and its private
	// key, served for every name ACME does not serve. They are read again
	// when their content changes.
	CertFile string `env:"TLS_CERT_FILE"`
	KeyFile  string `env:"TLS_KEY_FILE"`
	// Redirect answers GET and HEAD on the HTTP listener with a 308 to
	// https for the names the HTTPS listener has a certificate for.
	Redirect bool `env:"TLS_REDIRECT" envDefault:"false"`

	// ACME turns on certificates obtained on demand, for registered custom
	// domains and the public URL's host.
	ACME bool `env:"ACME" envDefault:"false"`
	// ACMECA is the ACME directory URL; empty: LetsEncryptDirectory.
	ACMECA string `env:"ACME_CA"`
	// ACMECARoot is a PEM file of a root to trust, besides the system's,
	// on the way to the CA's directory (a private CA).
	ACMECARoot string `env:"ACME_CA_ROOT"`
	// ACMEEmail is the contact of the ACME account; empty: none.
	ACMEEmail string `env:"ACME_EMAIL"`
	// ACMEChallenges are the challenge types offered to the CA.
	ACMEChallenges []string `env:"ACME_CHALLENGES" envDefault:"http-01,tls-alpn-01"`
}

// Enabled reports whether the gateway serves HTTPS.
func (t TLS) Enabled() bool { return t.Addr != "" }

// ACMEEnabled reports whether certificates are obtained over ACME.
func (t TLS) ACMEEnabled() bool { return t.Addr != "" && t.ACME }

// Directory is the ACME directory URL in force.
func (t TLS) Directory() string {
	if t.ACMECA == "" {
		return LetsEncryptDirectory
	}
	return t.ACMECA
}

// Challenge reports whether the challenge type kind is offered.
func (t TLS) Challenge(kind string) bool {
	return slices.ContainsFunc(t.ACMEChallenges, func(c string) bool { return strings.TrimSpace(c) == kind })
}

// validate checks the settings; plainAddr is GATEWAY_ADDR.
func (t TLS) validate(plainAddr string, bad func(name, format string, args ...any)) {
	if t.Addr != "" {
		if _, _, err := net.SplitHostPort(t.Addr); err != nil {
			bad("TLS_ADDR", "want host:port such as :8443, got %q", t.Addr)
		} else if sameAddr(t.Addr, plainAddr) {
			bad("TLS_ADDR", "must differ from GATEWAY_ADDR (%s): each listener needs its own port", plainAddr)
		}
		if t.CertFile == "" && t.KeyFile == "" && !t.ACME {
			bad("TLS_ADDR", "needs certificates: GATEWAY_TLS_CERT_FILE and GATEWAY_TLS_KEY_FILE, or GATEWAY_ACME=true, or both")
		}
	} else {
		for _, v := range []struct{ name, value string }{
			{"TLS_CERT_FILE", t.CertFile}, {"TLS_KEY_FILE", t.KeyFile},
		} {
			if v.value != "" {
				bad(v.name, "is set but GATEWAY_TLS_ADDR is not: there is no HTTPS listener to serve it")
			}
		}
		if t.Redirect {
			bad("TLS_REDIRECT", "needs GATEWAY_TLS_ADDR: there is no HTTPS listener to redirect to")
		}
		if t.ACME {
			bad("ACME", "needs GATEWAY_TLS_ADDR: certificates are served by the HTTPS listener")
		}
	}
	t.validateFiles(bad)
	t.validateACME(bad)
}

// validateFiles checks that the certificate and key are given together,
// readable, and a pair.
func (t TLS) validateFiles(bad func(name, format string, args ...any)) {
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		bad("TLS_KEY_FILE", "is required with GATEWAY_TLS_CERT_FILE")
	case t.KeyFile != "" && t.CertFile == "":
		bad("TLS_CERT_FILE", "is required with GATEWAY_TLS_KEY_FILE")
	}
	certPEM, certOK := readable(t.CertFile, "TLS_CERT_FILE", bad)
	keyPEM, keyOK := readable(t.KeyFile, "TLS_KEY_FILE", bad)
	if certOK && keyOK {
		// The error names no part of the key.
		if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
			bad("TLS_CERT_FILE", "and GATEWAY_TLS_KEY_FILE are not a PEM certificate chain and its private key")
		}
	}
}

func (t TLS) validateACME(bad func(name, format string, args ...any)) {
	if !t.ACME {
		for _, v := range []struct{ name, value string }{
			{"ACME_CA", t.ACMECA}, {"ACME_CA_ROOT", t.ACMECARoot}, {"ACME_EMAIL", t.ACMEEmail},
		} {
			if v.value != "" {
				bad(v.name, "is set but GATEWAY_ACME is not true: set GATEWAY_ACME=true to obtain certificates over ACME")
			}
		}
	}
	if t.ACMECA != "" {
		u, err := url.Parse(t.ACMECA)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil || u.Fragment != "" {
			bad("ACME_CA", "want the https URL of an ACME directory, such as %s", LetsEncryptDirectory)
		}
	}
	if data, ok := readable(t.ACMECARoot, "ACME_CA_ROOT", bad); ok && !hasCertificate(data) {
		bad("ACME_CA_ROOT", "%s holds no PEM certificate", t.ACMECARoot)
	}
	if t.ACMEEmail != "" {
		if a, err := mail.ParseAddress(t.ACMEEmail); err != nil || a.Address != t.ACMEEmail {
			bad("ACME_EMAIL", "want an address such as ops@example.com, got %q", t.ACMEEmail)
		}
	}
	if len(t.ACMEChallenges) == 0 {
		bad("ACME_CHALLENGES", "name at least one of %s, %s", ChallengeHTTP01, ChallengeTLSALPN01)
	}
	for _, c := range t.ACMEChallenges {
		if c := strings.TrimSpace(c); c != ChallengeHTTP01 && c != ChallengeTLSALPN01 {
			bad("ACME_CHALLENGES", "want %s and/or %s, got %q", ChallengeHTTP01, ChallengeTLSALPN01, c)
		}
	}
}

// readable reads path when it is set, reporting name when it cannot.
func readable(path, name string, bad func(name, format string, args ...any)) ([]byte, bool) {
	if path == "" {
		return nil, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		bad(name, "cannot read %s: %v", path, unwrapPath(err))
		return nil, false
	}
	return data, true
}

// unwrapPath drops the path os.ReadFile repeats in its error.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func hasCertificate(data []byte) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" {
			if _, err := x509.ParseCertificate(b.Bytes); err == nil {
				return true
			}
		}
	}
}

// sameAddr reports whether two listen addresses would bind the same port
// on a shared interface.
func sameAddr(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb || pa == "0" {
		return false
	}
	return ha == hb || ha == "" || hb == "" || ha == "0.0.0.0" || hb == "0.0.0.0" || ha == "::" || hb == "::"
}
