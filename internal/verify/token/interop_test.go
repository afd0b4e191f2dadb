package token

import (
	"encoding/json"
	"os"
	"testing"
)

// TestNodeSignedTokens checks tokens made the way customers' backends make
// them, with jose and jsonwebtoken, from a key in the format Generate writes.
func TestNodeSignedTokens(t *testing.T) {
	raw, err := os.ReadFile("testdata/node_tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		Kid       string `json:"kid"`
		PublicKey string `json:"public_key"`
		Tokens    []struct {
			Signer, Token, URI string
		} `json:"tokens"`
	}
	if err := json.Unmarshal(raw, &vec); err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublic([]byte(vec.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Lookup: func(kid string) (Key, bool) {
		return Key{ID: kid, Bucket: "media", Public: pub, Alg: AlgRS256}, kid == vec.Kid
	}}
	for _, tok := range vec.Tokens {
		t.Run(tok.Signer, func(t *testing.T) {
			c, err := v.Verify(tok.Token, "media", "/show/ep1/master.m3u8", t0)
			if err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			if c.URI != tok.URI {
				t.Errorf("got uri %q, want %q", c.URI, tok.URI)
			}
			if _, err := v.Verify(tok.Token, "media", "/show/ep2/master.m3u8", t0); err != ErrOutOfScope {
				t.Errorf("other directory: got %v, want %v", err, ErrOutOfScope)
			}
			if _, err := v.Verify(tok.Token, "media", "/show/ep1/master.m3u8", t0.Add(-DefaultLeeway-1)); err != ErrNotYetValid {
				t.Errorf("before nbf: got %v, want %v", err, ErrNotYetValid)
			}
		})
	}
}
