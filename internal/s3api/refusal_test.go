package s3api_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/signedgate/gateway/internal/app/apptest"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

// s3Error is S3's error document.
type s3Error struct {
	Code         string
	Message      string
	Resource     string
	StringToSign string
}

func errorOf(t *testing.T, a answer) s3Error {
	t.Helper()
	var e s3Error
	if err := xml.Unmarshal([]byte(a.body), &e); err != nil {
		t.Fatalf("answer %d is not S3's XML: %v\n%s", a.status, err, a.body)
	}
	return e
}

// presign signs method on key of bucket with k, valid for expires from
// signedAt.
func presign(t *testing.T, g *apptest.Gateway, k accessKey, method, bucket, key string, signedAt time.Time, expires time.Duration) string {
	t.Helper()
	return presignURL(t, k, method, g.URL+"/s3/"+bucket+"/"+key, signedAt, expires)
}

// presignURL presigns rawURL (which may have a query) with the AWS SDK for
// Go's signer.
func presignURL(t *testing.T, k accessKey, method, rawURL string, signedAt time.Time, expires time.Duration) string {
	t.Helper()
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	req, err := http.NewRequest(method, rawURL+sep+"X-Amz-Expires="+itoa(int(expires/time.Second)), nil)
	if err != nil {
		t.Fatal(err)
	}
	// S3 signs the path as sent, not encoded again, as its SDK clients set.
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	signed, _, err := signer.PresignHTTP(ctx, aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret},
		req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func itoa(n int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// Every refusal a presigned URL can meet answers S3's status and code.
func TestRefusals(t *testing.T) {
	g := start(t, map[string]string{"GATEWAY_S3_API_DEBUG": "true"})
	makeBucket(t, g, "films", "", map[string]string{"a.mp4": "film a bytes"})
	makeBucket(t, g, "other", "", map[string]string{"b.mp4": "film b bytes"})
	rw := makeKey(t, g, "films", "read", "write")
	ro := makeKey(t, g, "films", "read")
	now := time.Now()
	good := presign(t, g, rw, http.MethodGet, "films", "a.mp4", now, time.Hour)
	if a := do(t, http.MethodGet, good, nil, nil); a.status != 200 || a.body != "film a bytes" {
		t.Fatalf("good URL: %d %s", a.status, a.body)
	}
	tampered := strings.Replace(good, "X-Amz-Signature=", "X-Amz-Signature=0", 1)
	tampered = tampered[:len(tampered)-1]
	stranger := rw
	stranger.Secret = strings.Repeat("x", 40)
	unknown := rw
	unknown.ID = "GKAAAAAAAAAAAAAAAAAA"
	cases := []struct {
		name, method, url string
		body              string
		status            int
		code              string
	}{
		{"tampered signature", "GET", tampered, "", 403, "SignatureDoesNotMatch"},
		{"other secret", "GET", presign(t, g, stranger, "GET", "films", "a.mp4", now, time.Hour), "", 403, "SignatureDoesNotMatch"},
		{"unknown key", "GET", presign(t, g, unknown, "GET", "films", "a.mp4", now, time.Hour), "", 403, "InvalidAccessKeyId"},
		{"other bucket", "GET", presign(t, g, rw, "GET", "other", "b.mp4", now, time.Hour), "", 403, "AccessDenied"},
		{"read key writing", "PUT", presign(t, g, ro, "PUT", "films", "x.txt", now, time.Hour), "x", 403, "AccessDenied"},
		{"read key deleting", "DELETE", presign(t, g, ro, "DELETE", "films", "a.mp4", now, time.Hour), "", 403, "AccessDenied"},
		{"expired", "GET", presign(t, g, rw, "GET", "films", "a.mp4", now.Add(-2*time.Hour), time.Hour), "", 403, "AccessDenied"},
		{"expiry over a week", "GET", presign(t, g, rw, "GET", "films", "a.mp4", now, 8*24*time.Hour), "", 400, "AuthorizationQueryParametersError"},
		{"wrong method", "PUT", good, "x", 403, "SignatureDoesNotMatch"},
		{"path changed", "GET", strings.Replace(good, "/a.mp4", "/b.mp4", 1), "", 403, "SignatureDoesNotMatch"},
		{"missing signature", "GET", dropParam(good, "X-Amz-Signature"), "", 400, "AuthorizationQueryParametersError"},
		{"missing credential", "GET", dropParam(good, "X-Amz-Credential"), "", 400, "AuthorizationQueryParametersError"},
		{"missing date", "GET", dropParam(good, "X-Amz-Date"), "", 400, "AuthorizationQueryParametersError"},
		{"missing expires", "GET", dropParam(good, "X-Amz-Expires"), "", 400, "AuthorizationQueryParametersError"},
		{"anonymous", "GET", g.URL + "/s3/films/a.mp4", "", 403, "AccessDenied"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			var a answer
			if body != nil {
				a = do(t, c.method, c.url, body, nil)
			} else {
				a = do(t, c.method, c.url, nil, nil)
			}
			e := errorOf(t, a)
			if u, _ := url.Parse(c.url); e.Resource != strings.TrimPrefix(u.Path, "/s3") {
				t.Errorf("Resource %q for %s", e.Resource, u.Path)
			}
			if a.status != c.status || e.Code != c.code {
				t.Errorf("%d %s (%s), want %d %s", a.status, e.Code, e.Message, c.status, c.code)
			}
			if strings.Contains(a.body, rw.Secret) || strings.Contains(a.body, ro.Secret) {
				t.Error("a secret is in the answer")
			}
			if c.code == "SignatureDoesNotMatch" && !strings.HasPrefix(e.StringToSign, "AWS4-HMAC-SHA256\n") {
				t.Errorf("debug answer without the string to sign: %q", e.StringToSign)
			}
		})
	}
	if a := do(t, http.MethodGet, g.URL+"/s3/films/x.txt", nil, nil); strings.Contains(a.body, "StringToSign") {
		t.Error("string to sign without a signature mismatch")
	}
}

func dropParam(raw, name string) string {
	u, _ := url.Parse(raw)
	q := u.Query()
	q.Del(name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Without the debug switch, a mismatch does not show the string to sign.
func TestNoStringToSignWithoutDebug(t *testing.T) {
	g := start(t, nil)
	makeBucket(t, g, "films", "", map[string]string{"a.mp4": "film a bytes"})
	k := makeKey(t, g, "films", "read")
	k.Secret = strings.Repeat("y", 40)
	a := do(t, http.MethodGet, presign(t, g, k, "GET", "films", "a.mp4", time.Now(), time.Hour), nil, nil)
	if e := errorOf(t, a); e.Code != "SignatureDoesNotMatch" || e.StringToSign != "" {
		t.Errorf("%d %+v", a.status, e)
	}
}

// A key made through one instance opens another at once; deleted through
// the first, it is refused by the other within a second, and so is a
// presigned URL made with it.
func TestDeletedKeyRefusedByOtherInstance(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"GATEWAY_REDIS_URL": redistest.URL(), "GATEWAY_REDIS_PREFIX": prefix}
	a, b := start(t, env), start(t, env)
	makeBucket(t, a, "films", "", map[string]string{"a.mp4": "film a bytes"})
	// b reads its view of the keys now, before the key exists: the key
	// made on a must still open b at once.
	b.Admin(t, http.MethodGet, "/v1/access-keys", nil, nil)
	k := makeKey(t, a, "films", "read")
	onB := presign(t, b, k, "GET", "films", "a.mp4", time.Now(), time.Hour)
	if r := do(t, http.MethodGet, onB, nil, nil); r.status != 200 {
		t.Fatalf("before delete: %d %s", r.status, r.body)
	}
	if st := a.Admin(t, http.MethodDelete, "/v1/access-keys/"+k.ID, nil, nil); st != 200 {
		t.Fatalf("delete: %d", st)
	}
	deleted := time.Now()
	for {
		r := do(t, http.MethodGet, onB, nil, nil)
		if r.status == 403 && errorOf(t, r).Code == "InvalidAccessKeyId" {
			t.Logf("refused by the other instance %v after the delete", time.Since(deleted).Round(time.Millisecond))
			break
		}
		if time.Since(deleted) > time.Second {
			t.Fatalf("still %d a second after the delete", r.status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// And the SDK's own client gets the same.
	_, err := client(b, k).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("films"), Key: aws.String("a.mp4")})
	if err == nil {
		t.Error("HeadObject with a deleted key succeeded")
	}
}
