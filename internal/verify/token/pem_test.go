package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	priv, pub, err := GenerateKey(0)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if !bytes.HasPrefix(priv, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("got private PEM starting %q, want PKCS#8 BEGIN PRIVATE KEY", firstLine(priv))
	}
	if !bytes.HasPrefix(pub, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Errorf("got public PEM starting %q, want PKIX BEGIN PUBLIC KEY", firstLine(pub))
	}
	k, err := ParsePrivate(priv)
	if err != nil {
		t.Fatalf("ParsePrivate: %v", err)
	}
	if got := k.N.BitLen(); got != DefaultBits {
		t.Errorf("got %d bits, want %d", got, DefaultBits)
	}
	p, err := ParsePublic(pub)
	if err != nil {
		t.Fatalf("ParsePublic: %v", err)
	}
	if !p.Equal(&k.PublicKey) {
		t.Error("got a public key that does not match the private key")
	}
	// The pair must actually sign and verify RS256.
	d := sha256.Sum256([]byte("header.payload"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(p, crypto.SHA256, d[:], sig); err != nil {
		t.Errorf("got %v verifying with the parsed public key, want nil", err)
	}
}

func TestGenerateSizes(t *testing.T) {
	tests := []struct {
		bits int
		ok   bool
	}{
		{512, false}, {1024, false}, {2047, false}, {8193, false}, {16384, false}, {-1, false}, {3072, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.bits), func(t *testing.T) {
			priv, _, err := GenerateKey(tt.bits)
			if !tt.ok {
				if !errors.Is(err, ErrKeySize) {
					t.Errorf("got %v, want %v", err, ErrKeySize)
				}
				return
			}
			if err != nil {
				t.Fatalf("GenerateKey(%d): %v", tt.bits, err)
			}
			k, err := ParsePrivate(priv)
			if err != nil {
				t.Fatal(err)
			}
			if got := k.N.BitLen(); got != tt.bits {
				t.Errorf("got %d bits, want %d", got, tt.bits)
			}
		})
	}
}

func TestParseAcceptsPKCS1AndPKCS8(t *testing.T) {
	k := rsaKey(t, 2048)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	pkix, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	privs := map[string][]byte{
		"PKCS#8":                     pemOf("PRIVATE KEY", pkcs8),
		"PKCS#1":                     pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)),
		"CRLF and surrounding space": append([]byte("\n  "), bytes.ReplaceAll(pemOf("PRIVATE KEY", pkcs8), []byte("\n"), []byte("\r\n"))...),
	}
	for name, data := range privs {
		t.Run("private "+name, func(t *testing.T) {
			got, err := ParsePrivate(data)
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if !got.Equal(k) {
				t.Error("got a different key, want the encoded one")
			}
		})
	}
	pubs := map[string][]byte{
		"PKIX":   pemOf("PUBLIC KEY", pkix),
		"PKCS#1": pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&k.PublicKey)),
	}
	for name, data := range pubs {
		t.Run("public "+name, func(t *testing.T) {
			got, err := ParsePublic(data)
			if err != nil {
				t.Fatalf("got %v, want nil", err)
			}
			if !got.Equal(&k.PublicKey) {
				t.Error("got a different key, want the encoded one")
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	k := rsaKey(t, 2048)
	small := rsaKey(t, 1024)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPub, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	smallPriv, _ := x509.MarshalPKCS8PrivateKey(small)
	smallPub, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(k)
	pkix, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{
		"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00000000000000000000000000000000",
	}, Bytes: x509.MarshalPKCS1PrivateKey(k)})
	twoKeys := append(pemOf("PUBLIC KEY", pkix), pemOf("PUBLIC KEY", smallPub)...)

	tests := []struct {
		name    string
		parse   func([]byte) error
		data    []byte
		keySize bool
	}{
		{"public: empty", parsePub, nil, false},
		{"public: not PEM", parsePub, []byte("ssh-rsa AAAA"), false},
		{"public: private key PEM", parsePub, pemOf("PRIVATE KEY", pkcs8), false},
		{"public: certificate type", parsePub, pemOf("CERTIFICATE", pkix), false},
		{"public: EC key", parsePub, pemOf("PUBLIC KEY", ecPub), false},
		{"public: 1024-bit key", parsePub, pemOf("PUBLIC KEY", smallPub), true},
		{"public: corrupt DER", parsePub, pemOf("PUBLIC KEY", pkix[:40]), false},
		{"public: two PEM blocks", parsePub, twoKeys, false},
		{"private: empty", parsePriv, nil, false},
		{"private: public key PEM", parsePriv, pemOf("PUBLIC KEY", pkix), false},
		{"private: EC key", parsePriv, pemOf("PRIVATE KEY", ecPriv), false},
		{"private: 1024-bit key", parsePriv, pemOf("PRIVATE KEY", smallPriv), true},
		{"private: encrypted PEM", parsePriv, encrypted, false},
		{"private: corrupt DER", parsePriv, pemOf("PRIVATE KEY", pkcs8[:100]), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.data)
			if err == nil {
				t.Fatal("got nil error, want a refusal")
			}
			if got := errors.Is(err, ErrKeySize); got != tt.keySize {
				t.Errorf("got errors.Is(err, ErrKeySize) %v, want %v (err %v)", got, tt.keySize, err)
			}
			// Errors must never echo key material.
			if len(tt.data) > 60 && strings.Contains(err.Error(), string(tt.data[30:60])) {
				t.Errorf("error %q echoes the input", err)
			}
		})
	}
}

func TestNewKeyID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewKeyID()
		if len(id) != 32 {
			t.Fatalf("got id %q of length %d, want 32", id, len(id))
		}
		if _, err := hex.DecodeString(id); err != nil || strings.ToLower(id) != id {
			t.Fatalf("got id %q, want lower-case hex", id)
		}
		if seen[id] {
			t.Fatalf("got id %q twice", id)
		}
		seen[id] = true
	}
}

func parsePub(b []byte) error  { _, err := ParsePublic(b); return err }
func parsePriv(b []byte) error { _, err := ParsePrivate(b); return err }

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	return string(line)
}
