package s3api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil"
)

// The access-key calls: made with a 20-character id and a 40-character
// secret shown once, listed and read without it, renamed, deleted; bad
// requests answered 400 or 404 with a code.
func TestAccessKeyAPI(t *testing.T) {
	g := start(t, nil)
	makeBucket(t, g, "films", "", nil)
	var made struct {
		AccessKey map[string]any `json:"access_key"`
	}
	st := g.Admin(t, http.MethodPost, "/v1/access-keys", map[string]any{"bucket": "films", "permissions": []string{"write", "read", "read"}, "name": "uploader"}, &made)
	if st != http.StatusCreated {
		t.Fatalf("create: %d", st)
	}
	k := made.AccessKey
	id, _ := k["access_key_id"].(string)
	secret, _ := k["secret_access_key"].(string)
	if !regexp.MustCompile(`^[A-Z0-9]{20}$`).MatchString(id) || !regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`).MatchString(secret) {
		t.Errorf("id %q, secret of %d characters", id, len(secret))
	}
	if k["bucket"] != "films" || k["name"] != "uploader" || k["created"] == "" {
		t.Errorf("created %v", k)
	}
	if p, _ := k["permissions"].([]any); len(p) != 2 || p[0] != "read" || p[1] != "write" {
		t.Errorf("permissions %v", k["permissions"])
	}

	var one struct {
		AccessKey map[string]any `json:"access_key"`
	}
	if st := g.Admin(t, http.MethodGet, "/v1/access-keys/"+id, nil, &one); st != 200 {
		t.Fatalf("get: %d", st)
	}
	if _, ok := one.AccessKey["secret_access_key"]; ok || one.AccessKey["access_key_id"] != id {
		t.Errorf("get shows %v", one.AccessKey)
	}
	var list struct {
		AccessKeys []map[string]any `json:"access_keys"`
	}
	if st := g.Admin(t, http.MethodGet, "/v1/access-keys", nil, &list); st != 200 || len(list.AccessKeys) != 1 {
		t.Fatalf("list: %d %v", st, list)
	}
	if _, ok := list.AccessKeys[0]["secret_access_key"]; ok {
		t.Error("the list shows the secret")
	}
	if st := g.Admin(t, http.MethodPut, "/v1/access-keys/"+id, map[string]any{"name": "renamed"}, &one); st != 200 || one.AccessKey["name"] != "renamed" {
		t.Errorf("rename: %d %v", st, one.AccessKey)
	}

	for _, c := range []struct {
		body   map[string]any
		status int
	}{
		{map[string]any{"permissions": []string{"read"}}, 400},
		{map[string]any{"bucket": "films"}, 400},
		{map[string]any{"bucket": "films", "permissions": []string{"admin"}}, 400},
		{map[string]any{"bucket": "Films!", "permissions": []string{"read"}}, 400},
		{map[string]any{"bucket": "nope", "permissions": []string{"read"}}, 404},
		{map[string]any{"bucket": "films", "permissions": []string{"read"}, "name": strings.Repeat("n", 201)}, 400},
		{map[string]any{"bucket": "films", "permissions": []string{"read"}, "secret_access_key": "mine"}, 400},
	} {
		var e struct{ Code, Message string }
		if st := g.Admin(t, http.MethodPost, "/v1/access-keys", c.body, &e); st != c.status || e.Code == "" {
			t.Errorf("create %v: %d %+v, want %d", c.body, st, e, c.status)
		}
	}
	if st := g.Admin(t, http.MethodGet, "/v1/access-keys/not-a-key", nil, nil); st != 404 {
		t.Errorf("get of a junk id: %d", st)
	}
	if st := g.Admin(t, http.MethodDelete, "/v1/access-keys/"+id, nil, nil); st != 200 {
		t.Errorf("delete: %d", st)
	}
	if st := g.Admin(t, http.MethodGet, "/v1/access-keys/"+id, nil, nil); st != 404 {
		t.Errorf("get after delete: %d", st)
	}
}

// Deleting a bucket deletes its access keys: they leave the listing, and
// a bucket made again under the name is not opened by them.
func TestBucketDeletionTakesItsKeys(t *testing.T) {
	g := start(t, nil)
	makeBucket(t, g, "films", "", map[string]string{"a.mp4": "x"})
	makeBucket(t, g, "other", "", nil)
	gone := makeKey(t, g, "films", "read")
	kept := makeKey(t, g, "other", "read")
	if st := g.Admin(t, http.MethodDelete, "/v1/buckets/films", nil, nil); st != http.StatusOK {
		t.Fatalf("delete bucket: %d", st)
	}
	testutil.Eventually(t, 5*time.Second, "the deleted bucket's access key leaves the listing", func() bool {
		var list struct {
			AccessKeys []map[string]any `json:"access_keys"`
		}
		g.Admin(t, http.MethodGet, "/v1/access-keys", nil, &list)
		return len(list.AccessKeys) == 1 && list.AccessKeys[0]["access_key_id"] == kept.ID
	})
	makeBucket(t, g, "films", "", map[string]string{"a.mp4": "x"})
	a := do(t, http.MethodGet, presign(t, g, gone, http.MethodGet, "films", "a.mp4", time.Now(), time.Hour), nil, nil)
	if e := errorOf(t, a); a.status != http.StatusForbidden || e.Code != "InvalidAccessKeyId" {
		t.Errorf("the old key on the new bucket: %d %s", a.status, e.Code)
	}
}
