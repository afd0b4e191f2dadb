package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// twoInstances starts two gateways sharing one real Redis under a prefix
// of their own.
func twoInstances(t *testing.T) (*apptest.Gateway, *apptest.Gateway) {
	t.Helper()
	_, prefix := redistest.Client(t)
	env := map[string]string{
		"GATEWAY_REDIS_URL":    redistest.URL(),
		"GATEWAY_REDIS_PREFIX": prefix,
	}
	return startApp(t, env), startApp(t, env)
}

// TestNodeTokensAcrossInstances: tokens minted by jose and jsonwebtoken
// from the private key the API returned open the file on both instances;
// the key deleted on the first is refused by the second within a second.
func TestNodeTokensAcrossInstances(t *testing.T) {
	a, b := twoInstances(t)
	k := makeBucket(t, a, "media", "file://"+mediaDir(t))
	exp := time.Now().Add(time.Hour).Unix()
	var tokens []string
	for _, lib := range []string{"jose", "jsonwebtoken"} {
		tok := nodeSign(t, map[string]any{
			"lib": lib, "private_key": k.SigningKey.PrivateKey, "kid": k.SigningKey.ID,
			"uri": "/films/", "exp": exp, "claims": map[string]any{"viewer": "v-42"},
		})
		tokens = append(tokens, tok)
		for _, in := range []*apptest.Gateway{a, b} {
			if st, body, _ := fetch(t, in.URL+"/media/media/films/a.mp4?auth="+tok, "", nil); st != 200 || body != "film a bytes" {
				t.Fatalf("%s token: got %d %q", lib, st, body)
			}
			if st, body, _ := fetch(t, in.URL+"/media/media/show/ep1/seg0.ts?auth="+tok, "", nil); st != 403 || !strings.Contains(body, "out_of_scope") {
				t.Errorf("%s token out of scope: got %d %s", lib, st, body)
			}
		}
	}

	if st := a.Admin(t, "DELETE", "/v1/signing-keys/"+k.SigningKey.ID, nil, nil); st != 200 {
		t.Fatalf("delete key: %d", st)
	}
	took := testutil.Within(t, time.Second, "the second instance refuses tokens of the deleted key", func() bool {
		for _, tok := range tokens {
			st, body, _ := fetch(t, b.URL+"/media/media/films/a.mp4?auth="+tok, "", nil)
			if st != 403 || !strings.Contains(body, "unknown_key") {
				return false
			}
		}
		return true
	})
	t.Logf("deleted key refused by the second instance after %v", took)
}

// TestPolicySwitchAcrossInstances: a bucket switched to authenticated on
// one instance asks for a token on the other within a second, and back.
func TestPolicySwitchAcrossInstances(t *testing.T) {
	a, b := twoInstances(t)
	if st := a.Admin(t, "PUT", "/v1/buckets/media", map[string]any{"origin": "file://" + mediaDir(t)}, nil); st != 201 {
		t.Fatalf("create bucket: %d", st)
	}
	if st, _, _ := fetch(t, b.URL+"/media/media/films/a.mp4", "", nil); st != 200 {
		t.Fatalf("public bucket on b: %d", st)
	}
	for _, step := range []struct {
		policy string
		want   int
	}{{"authenticated", 401}, {"public", 200}} {
		if st := a.Admin(t, "PUT", "/v1/buckets/media/policy/"+step.policy, nil, nil); st != 200 {
			t.Fatalf("set policy: %d", st)
		}
		took := testutil.Within(t, time.Second, "policy "+step.policy+" seen by the second instance", func() bool {
			st, _, _ := fetch(t, b.URL+"/media/media/films/a.mp4", "", nil)
			return st == step.want
		})
		t.Logf("policy %s seen by the second instance after %v", step.policy, took)
	}
}

// TestCustomDomainAcrossInstances: a domain added on one instance routes
// on the other.
func TestCustomDomainAcrossInstances(t *testing.T) {
	a, b := twoInstances(t)
	k := makeBucket(t, a, "media", "file://"+mediaDir(t))
	if st := a.Admin(t, "POST", "/v1/domains", map[string]string{"domain": "cdn.example.org", "bucket": "media"}, nil); st != 201 {
		t.Fatalf("create domain: %d", st)
	}
	tok := signWith(t, k, tokenClaimsAll())
	testutil.Eventually(t, time.Second, "the second instance routes the new domain", func() bool {
		st, _, _ := fetch(t, b.URL+"/films/a.mp4?auth="+tok, "cdn.example.org", nil)
		return st == 200
	})
}
