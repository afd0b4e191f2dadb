package token

// This file owns the key material of bucket-delivery signing keys:
// making an RSA key pair, reading keys back from PEM, and making key ids.
// It stores nothing; where keys live is the business of the key store.
//
// Private keys are written as PKCS#8 ("BEGIN PRIVATE KEY") because that is
// what customers' signing code imports without conversion: jose's
// importPKCS8 accepts nothing else, and jsonwebtoken hands the PEM to Node's
// crypto, which reads it too. Public keys are PKIX ("BEGIN PUBLIC KEY").
// Both PKCS#1 and PKCS#8/PKIX are read, since older tools write PKCS#1.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// Key sizes. Below 2048 bits RSA is too weak for new keys; above 8192 bits
// every verification gets slow enough to be a denial-of-service lever.
const (
	DefaultBits = 2048
	MinBits     = 2048
	MaxBits     = 8192
)

// PEM block types.
const (
	typePKCS8     = "PRIVATE KEY"
	typePKCS1     = "RSA PRIVATE KEY"
	typePKIX      = "PUBLIC KEY"
	typePKCS1Publ = "RSA PUBLIC KEY"
)

// ErrKeySize is returned for keys outside MinBits..MaxBits.
var ErrKeySize = fmt.Errorf("rsa key size must be %d to %d bits", MinBits, MaxBits)

// GenerateKey makes an RSA key pair of the given size (0 means DefaultBits)
// and returns the private key as PKCS#8 PEM and the public key as PKIX PEM.
func GenerateKey(bits int) (privatePEM, publicPEM []byte, err error) {
	if bits == 0 {
		bits = DefaultBits
	}
	if bits < MinBits || bits > MaxBits {
		return nil, nil, fmt.Errorf("generate key: %w", ErrKeySize)
	}
	priv, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("encode private key: %w", err)
	}
	publicPEM, err = PublicPEM(&priv.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: typePKCS8, Bytes: der}), publicPEM, nil
}

// PublicPEM encodes a public key as PKIX PEM.
func PublicPEM(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: typePKIX, Bytes: der}), nil
}

// ParsePublic reads an RSA public key from PKIX ("PUBLIC KEY") or PKCS#1
// ("RSA PUBLIC KEY") PEM.
func ParsePublic(data []byte) (*rsa.PublicKey, error) {
	block, err := onePEM(data)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	var pub *rsa.PublicKey
	switch block.Type {
	case typePKIX:
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
		var ok bool
		if pub, ok = k.(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("parse public key: %T is not an RSA key", k)
		}
	case typePKCS1Publ:
		if pub, err = x509.ParsePKCS1PublicKey(block.Bytes); err != nil {
			return nil, fmt.Errorf("parse public key: %w", err)
		}
	default:
		return nil, fmt.Errorf("parse public key: PEM block %q is not a public key", block.Type)
	}
	if err := checkSize(pub); err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	return pub, nil
}

// ParsePrivate reads an RSA private key from PKCS#8 ("PRIVATE KEY") or
// PKCS#1 ("RSA PRIVATE KEY") PEM. Encrypted PEM is refused.
func ParsePrivate(data []byte) (*rsa.PrivateKey, error) {
	block, err := onePEM(data)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	// Legacy PEM encryption (RFC 1423) is broken; never try to decrypt it.
	if _, ok := block.Headers["Proc-Type"]; ok {
		return nil, errors.New("parse private key: encrypted PEM is not supported")
	}
	var priv *rsa.PrivateKey
	switch block.Type {
	case typePKCS8:
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse private key: %w", err)
		}
		var ok bool
		if priv, ok = k.(*rsa.PrivateKey); !ok {
			return nil, fmt.Errorf("parse private key: %T is not an RSA key", k)
		}
	case typePKCS1:
		if priv, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return nil, fmt.Errorf("parse private key: %w", err)
		}
	default:
		return nil, fmt.Errorf("parse private key: PEM block %q is not a private key", block.Type)
	}
	if err := checkSize(&priv.PublicKey); err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return priv, nil
}

// onePEM decodes exactly one PEM block: text around a second block would
// leave it unclear which key was meant. Whitespace around it is dropped, as
// keys pasted into forms and environment variables often carry some.
func onePEM(data []byte) (*pem.Block, error) {
	block, rest := pem.Decode(bytes.TrimSpace(data))
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("unexpected data after the PEM block")
	}
	return block, nil
}

func checkSize(pub *rsa.PublicKey) error {
	if bits := pub.N.BitLen(); bits < MinBits || bits > MaxBits {
		return fmt.Errorf("%d-bit key: %w", bits, ErrKeySize)
	}
	return nil
}

// NewKeyID returns a fresh key id: 32 hex characters from 128 random bits, so
// ids never collide and cannot be guessed from one another.
func NewKeyID() string {
	var b [16]byte
	// crypto/rand.Read never fails; it crashes the program if it cannot
	// read randomness.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
