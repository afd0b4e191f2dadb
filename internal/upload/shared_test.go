package upload_test

import (
	"net/http"
	"testing"

	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// Two instances on one Redis behave as one: a key created on one signs
// uploads on the other, and a key deleted on one is refused by the other
// at once, without waiting for the change notification.
func TestSharedInstances(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"GATEWAY_REDIS_URL": redistest.URL(), "GATEWAY_REDIS_PREFIX": prefix}
	a := startGateway(t, env)
	b := startInstance(t, env, a.BucketDir)

	if got := b.upload(t, "raw", map[string]string{"public_id": "shared.txt"}, []byte("x"), "text/plain"); got.Status != 200 {
		t.Fatalf("upload on the other instance: got %d %s", got.Status, got.Raw)
	}
	if got := a.get("/" + testCloud + "/raw/upload/shared.txt"); got.Status != 200 || string(got.Raw) != "x" {
		t.Errorf("delivery on the first instance: got %d %q", got.Status, got.Raw)
	}
	a.admin("DELETE", "/v1/api-keys/"+testKey, nil, http.StatusOK)
	got := b.upload(t, "raw", map[string]string{"public_id": "late.txt"}, []byte("x"), "text/plain")
	if want := "Unknown API key " + testKey; got.Status != 401 || got.errorMessage() != want {
		t.Errorf("after deletion on the other instance: got %d %s, want 401 %q", got.Status, got.Raw, want)
	}
}
