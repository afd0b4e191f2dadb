package token

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Sign makes an RS256 delivery token for the key kid. exp and nbf are
// written as whole Unix seconds and only when set; Extra is written as
// custom claims and may not use the names uri, exp or nbf.
func Sign(priv *rsa.PrivateKey, kid string, c Claims) (string, error) {
	if priv == nil {
		return "", errors.New("sign token: no private key")
	}
	if kid == "" {
		return "", errors.New("sign token: empty key id")
	}
	hdr, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{AlgRS256, kid, "JWT"})
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}

	claims := make(map[string]any, len(c.Extra)+3)
	for k, v := range c.Extra {
		switch k {
		case "uri", "exp", "nbf":
			return "", fmt.Errorf("sign token: custom claim %q is a standard claim", k)
		}
		claims[k] = v
	}
	if c.URI != "" {
		claims["uri"] = c.URI
	}
	if !c.ExpiresAt.IsZero() {
		claims["exp"] = c.ExpiresAt.Unix()
	}
	if !c.NotBefore.IsZero() {
		claims["nbf"] = c.NotBefore.Unix()
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}

	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(hdr) + "." + enc.EncodeToString(body)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}
