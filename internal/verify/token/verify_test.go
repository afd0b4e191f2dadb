package token

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify"

	"github.com/golang-jwt/jwt/v5"
)

func TestVerifyRefusals(t *testing.T) {
	store := newKeyStore(t)
	v := &Verifier{Lookup: store.lookup}
	good := mustSign(t, privA, "kid-a", Claims{URI: "/a", ExpiresAt: t0.Add(time.Hour)})
	hdr, body, _ := strings.Cut(good, ".")
	body, sig, _ := strings.Cut(body, ".")
	enc := base64.RawURLEncoding
	rs256 := map[string]any{"alg": "RS256", "kid": "kid-a", "typ": "JWT"}
	sigA := func(header, payload any) string { return signRaw(t, privA, header, payload) }

	tests := []struct {
		name   string
		token  string
		bucket string
		path   string
		now    time.Time
		want   *verify.Refusal
		status int
	}{
		{"no token", "", "bucket-a", "/a/x", t0, ErrTokenMissing, http.StatusUnauthorized},
		{"one part", "abc", "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"two parts", hdr + "." + body, "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"four parts", good + ".x", "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"header not base64url", "!!." + body + "." + sig, "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"padded header", hdr + "==." + body + "." + sig, "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"header not JSON", enc.EncodeToString([]byte("nope")) + "." + body + "." + sig, "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"header is null", enc.EncodeToString([]byte("null")) + "." + body + "." + sig, "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"kid not a string", rawToken(map[string]any{"alg": "RS256", "kid": 7}, map[string]any{}, nil), "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"crit header", sigA(map[string]any{"alg": "RS256", "kid": "kid-a", "crit": []string{"b64"}}, map[string]any{}), "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"oversized", strings.Repeat("a", MaxTokenLen+1), "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"no kid", sigA(map[string]any{"alg": "RS256"}, map[string]any{}), "bucket-a", "/a/x", t0, ErrUnknownKey, http.StatusForbidden},
		{"unknown kid", sigA(map[string]any{"alg": "RS256", "kid": "nope"}, map[string]any{}), "bucket-a", "/a/x", t0, ErrUnknownKey, http.StatusForbidden},
		{"token of bucket A on bucket B", good, "bucket-b", "/a/x", t0, ErrWrongBucket, http.StatusForbidden},
		{"alg none", rawToken(map[string]any{"alg": "none", "kid": "kid-a"}, map[string]any{"uri": "/a"}, nil), "bucket-a", "/a/x", t0, ErrBadAlgorithm, http.StatusForbidden},
		{"alg missing", sigA(map[string]any{"kid": "kid-a"}, map[string]any{}), "bucket-a", "/a/x", t0, ErrBadAlgorithm, http.StatusForbidden},
		{"alg lower case", sigA(map[string]any{"alg": "rs256", "kid": "kid-a"}, map[string]any{}), "bucket-a", "/a/x", t0, ErrBadAlgorithm, http.StatusForbidden},
		{"payload not base64url", hdr + ".%%%." + sig, "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"payload is an array", sigA(rs256, []int{1}), "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"exp is a string", sigA(rs256, map[string]any{"exp": "soon"}), "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"uri is a number", sigA(rs256, map[string]any{"uri": 3}), "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"signature not base64url", hdr + "." + body + ".***", "bucket-a", "/a/x", t0, ErrMalformed, http.StatusForbidden},
		{"outside the directory", good, "bucket-a", "/b/x", t0, ErrOutOfScope, http.StatusForbidden},
		{"sibling with shared prefix", good, "bucket-a", "/ab", t0, ErrOutOfScope, http.StatusForbidden},
		{"dot-dot out of the directory", good, "bucket-a", "/a/../b", t0, ErrOutOfScope, http.StatusForbidden},
		{"expired past leeway", good, "bucket-a", "/a/x", t0.Add(time.Hour + DefaultLeeway), ErrExpired, http.StatusForbidden},
		{"not yet valid", sigA(rs256, map[string]any{"nbf": t0.Add(time.Hour).Unix()}), "bucket-a", "/a/x", t0, ErrNotYetValid, http.StatusForbidden},
		{"signature of another key", resign(t, good, privB), "bucket-a", "/a/x", t0, ErrBadSignature, http.StatusForbidden},
		{"tampered payload", hdr + "." + enc.EncodeToString([]byte(`{"uri":""}`)) + "." + sig, "bucket-a", "/b/x", t0, ErrBadSignature, http.StatusForbidden},
		{"signature three bytes short", good[:len(good)-6], "bucket-a", "/a/x", t0, ErrBadSignature, http.StatusForbidden},
		{"empty signature", hdr + "." + body + ".", "bucket-a", "/a/x", t0, ErrBadSignature, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := v.Verify(tt.token, tt.bucket, tt.path, tt.now)
			var e *verify.Refusal
			if !errors.As(err, &e) {
				t.Fatalf("got error %v (claims %+v), want %s", err, c, tt.want.Code())
			}
			if e != tt.want {
				t.Errorf("got code %s, want %s", e.Code(), tt.want.Code())
			}
			if e.Status() != tt.status {
				t.Errorf("got status %d, want %d", e.Status(), tt.status)
			}
			if c != nil {
				t.Errorf("got claims %+v with an error, want nil", c)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error %q echoes the token", err)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	store := newKeyStore(t)
	exp := t0.Add(time.Hour)
	nbf := t0.Add(-time.Minute)
	tests := []struct {
		name   string
		leeway time.Duration
		claims Claims
		path   string
		now    time.Time
	}{
		{"directory scope", 0, Claims{URI: "/videos/", ExpiresAt: exp}, "/videos/a/seg1.ts", t0},
		{"directory scope opens the directory path", 0, Claims{URI: "/videos/", ExpiresAt: exp}, "/videos", t0},
		{"file scope", 0, Claims{URI: "/videos/a.mp4", ExpiresAt: exp}, "/videos/a.mp4", t0},
		{"empty scope", 0, Claims{ExpiresAt: exp}, "/anything/at/all.mp3", t0},
		{"no expiry", 0, Claims{URI: "/v"}, "/v/x", t0.AddDate(50, 0, 0)},
		{"custom claims ignored", 0, Claims{URI: "/v", ExpiresAt: exp, Extra: map[string]any{"user": "u1", "n": 3, "obj": map[string]any{"uri": "/"}}}, "/v/x", t0},
		{"nbf in the past", 0, Claims{NotBefore: nbf, ExpiresAt: exp}, "/x", t0},
		{"just inside leeway after exp", 0, Claims{ExpiresAt: t0}, "/x", t0.Add(DefaultLeeway - time.Nanosecond)},
		{"exactly leeway before nbf", 0, Claims{NotBefore: t0}, "/x", t0.Add(-DefaultLeeway)},
		{"custom leeway after exp", 5 * time.Minute, Claims{ExpiresAt: t0}, "/x", t0.Add(5*time.Minute - time.Nanosecond)},
		{"no leeway just before exp", -1, Claims{ExpiresAt: t0}, "/x", t0.Add(-time.Nanosecond)},
		{"no leeway exactly at nbf", -1, Claims{NotBefore: t0}, "/x", t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &Verifier{Lookup: store.lookup, Leeway: tt.leeway}
			tok := mustSign(t, privA, "kid-a", tt.claims)
			c, err := v.Verify(tok, "bucket-a", tt.path, tt.now)
			if err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			if c.KeyID != "kid-a" || c.URI != tt.claims.URI {
				t.Errorf("got kid %q uri %q, want kid-a %q", c.KeyID, c.URI, tt.claims.URI)
			}
			if !c.ExpiresAt.Equal(tt.claims.ExpiresAt) || !c.NotBefore.Equal(tt.claims.NotBefore) {
				t.Errorf("got exp %v nbf %v, want %v %v", c.ExpiresAt, c.NotBefore, tt.claims.ExpiresAt, tt.claims.NotBefore)
			}
		})
	}
}

func TestVerifyLeewayEdges(t *testing.T) {
	store := newKeyStore(t)
	v := &Verifier{Lookup: store.lookup}
	expTok := mustSign(t, privA, "kid-a", Claims{ExpiresAt: t0})
	nbfTok := mustSign(t, privA, "kid-a", Claims{NotBefore: t0})
	tests := []struct {
		name  string
		token string
		now   time.Time
		want  error
	}{
		{"exp: leeway minus 1ns after", expTok, t0.Add(DefaultLeeway - time.Nanosecond), nil},
		{"exp: exactly leeway after", expTok, t0.Add(DefaultLeeway), ErrExpired},
		{"exp: exactly leeway before", expTok, t0.Add(-DefaultLeeway), nil},
		{"nbf: exactly leeway before", nbfTok, t0.Add(-DefaultLeeway), nil},
		{"nbf: leeway plus 1ns before", nbfTok, t0.Add(-DefaultLeeway - time.Nanosecond), ErrNotYetValid},
		{"nbf: exactly leeway after", nbfTok, t0.Add(DefaultLeeway), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(tt.token, "bucket-a", "/x", tt.now)
			if err != tt.want {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestAlgorithmConfusion signs tokens the way attackers and confused
// clients do; only the key's own algorithm may pass.
func TestAlgorithmConfusion(t *testing.T) {
	store := newKeyStore(t)
	v := &Verifier{Lookup: store.lookup}
	claims := jwt.MapClaims{"uri": "", "exp": t0.Add(time.Hour).Unix()}
	der, err := x509.MarshalPKIXPublicKey(&privA.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pkcs1 := x509.MarshalPKCS1PublicKey(&privA.PublicKey)

	jwtSign := func(m jwt.SigningMethod, key any) string {
		tok := jwt.NewWithClaims(m, claims)
		tok.Header["kid"] = "kid-a"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatalf("sign %s: %v", m.Alg(), err)
		}
		return s
	}
	noneTok := jwtSign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType)

	tests := []struct {
		name  string
		token string
	}{
		{"alg none with empty signature", noneTok},
		{"alg None", rawToken(map[string]any{"alg": "None", "kid": "kid-a"}, claims, nil)},
		{"HS256 keyed with the public key PEM", jwtSign(jwt.SigningMethodHS256, pemKey)},
		{"HS256 keyed with the public key PKIX DER", jwtSign(jwt.SigningMethodHS256, der)},
		{"HS256 keyed with the public key PKCS#1 DER", jwtSign(jwt.SigningMethodHS256, pkcs1)},
		{"RS512 with a valid signature", jwtSign(jwt.SigningMethodRS512, privA)},
		{"RS384 with a valid signature", jwtSign(jwt.SigningMethodRS384, privA)},
		{"PS256 with a valid signature", jwtSign(jwt.SigningMethodPS256, privA)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := v.Verify(tt.token, "bucket-a", "/x", t0); err != ErrBadAlgorithm {
				t.Errorf("got %v, want %v", err, ErrBadAlgorithm)
			}
		})
	}

	t.Run("key pinned to another algorithm", func(t *testing.T) {
		store.set(Key{ID: "kid-ps", Bucket: "bucket-a", Public: &privA.PublicKey, Alg: "PS256"})
		tok := mustSign(t, privA, "kid-ps", Claims{})
		if _, err := v.Verify(tok, "bucket-a", "/x", t0); err != ErrBadAlgorithm {
			t.Errorf("got %v, want %v", err, ErrBadAlgorithm)
		}
	})
	t.Run("RS256 header over an RS512 signature", func(t *testing.T) {
		tok := jwtSign(jwt.SigningMethodRS512, privA)
		_, rest, _ := strings.Cut(tok, ".")
		hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"kid-a"}`))
		if _, err := v.Verify(hdr+"."+rest, "bucket-a", "/x", t0); err != ErrBadSignature {
			t.Errorf("got %v, want %v", err, ErrBadSignature)
		}
	})
}

// TestInteropGolangJWT checks the hand-written parser against the
// project's reference JWT library in both directions.
func TestInteropGolangJWT(t *testing.T) {
	store := newKeyStore(t)
	v := &Verifier{Lookup: store.lookup}
	now := time.Now()

	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"uri": "/show/", "exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Hour).Unix(), "sub": "viewer",
	})
	tok.Header["kid"] = "kid-a"
	s, err := tok.SignedString(privA)
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(s, "bucket-a", "/show/ep1/master.m3u8", now)
	if err != nil {
		t.Fatalf("golang-jwt token: got %v, want accepted", err)
	}
	if c.URI != "/show/" {
		t.Errorf("got uri %q, want /show/", c.URI)
	}

	ours := mustSign(t, privA, "kid-a", Claims{URI: "/show/", ExpiresAt: now.Add(time.Hour), Extra: map[string]any{"sub": "viewer"}})
	parsed, err := jwt.Parse(ours, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != "kid-a" {
			t.Errorf("got kid %v, want kid-a", tk.Header["kid"])
		}
		return &privA.PublicKey, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("golang-jwt on our token: %v", err)
	}
	if got := parsed.Claims.(jwt.MapClaims)["uri"]; got != "/show/" {
		t.Errorf("got uri %v, want /show/", got)
	}
}

func TestSignRefusesStandardClaimsInExtra(t *testing.T) {
	testKeys(t)
	for _, name := range []string{"uri", "exp", "nbf"} {
		t.Run(name, func(t *testing.T) {
			if _, err := Sign(privA, "kid-a", Claims{Extra: map[string]any{name: 1}}); err == nil {
				t.Errorf("got nil error, want a refusal of custom claim %q", name)
			}
		})
	}
}

// signRaw signs arbitrary JSON parts with RS256, for tokens whose header or
// payload Sign would never write.
func signRaw(t *testing.T, priv *rsa.PrivateKey, header, payload any) string {
	t.Helper()
	unsigned := strings.TrimSuffix(rawToken(header, payload, nil), ".")
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(rsaSign(t, priv, unsigned))
}

// resign replaces a token's signature with one by another key.
func resign(t *testing.T, tok string, priv *rsa.PrivateKey) string {
	t.Helper()
	i := strings.LastIndexByte(tok, '.')
	return tok[:i+1] + base64.RawURLEncoding.EncodeToString(rsaSign(t, priv, tok[:i]))
}

func rsaSign(t *testing.T, priv *rsa.PrivateKey, signed string) []byte {
	t.Helper()
	d := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return sig
}
