package upload_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/signedgate/gateway/internal/testutil/s3test"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// s3Gateway is a gateway whose key stores into an s3:// bucket of a real
// S3 server (versitygw): bucket "assets", under the prefix "site".
type s3Gateway struct {
	*gateway
	srv *s3test.Server
	// replies collects every answer of the gateway, for the secret check.
	replies []reply
}

const (
	s3Bucket = "assets"
	s3Prefix = "site"
)

func startS3Gateway(t *testing.T, env map[string]string) *s3Gateway {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, s3Bucket)
	if env == nil {
		env = map[string]string{}
	}
	env["GATEWAY_LOG_LEVEL"] = "debug" // every line that could show a secret
	g := &s3Gateway{gateway: startGateway(t, env), srv: srv}
	g.admin("PUT", "/v1/buckets/uploads", map[string]any{"origin": "s3://" + s3Bucket + "/" + s3Prefix + "/", "s3": g.settings(srv.SecretKey)}, http.StatusOK)
	return g
}

func (g *s3Gateway) settings(secret string) map[string]any {
	return map[string]any{"endpoint": g.srv.Endpoint(), "region": g.srv.Region, "force_path_style": true,
		"access_key_id": g.srv.AccessKey, "secret_access_key": secret}
}

func (g *s3Gateway) keep(r reply) reply {
	g.replies = append(g.replies, r)
	return r
}

// object reads key (under the prefix) straight from S3; ok is false when
// there is no such object.
func (g *s3Gateway) object(t *testing.T, key string) ([]byte, bool) {
	t.Helper()
	out, err := g.srv.Client().GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(s3Bucket), Key: aws.String(s3Prefix + "/" + key)})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "NoSuchKey" {
		return nil, false
	}
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data, true
}

// keys lists every key in the S3 bucket, prefix included.
func (g *s3Gateway) keys(t *testing.T) []string {
	t.Helper()
	out, err := g.srv.Client().ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(s3Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// noSecret fails when the S3 secret (or another, named) shows in an answer
// or the log.
func (g *s3Gateway) noSecret(t *testing.T, others ...string) {
	t.Helper()
	secrets := append([]string{g.srv.SecretKey}, others...)
	for _, r := range g.replies {
		for _, s := range secrets {
			if bytes.Contains(r.Raw, []byte(s)) || strings.Contains(strings.Join(slices.Concat(mapValues(r.Header)...), "\n"), s) {
				t.Errorf("an answer shows the S3 secret: %d %s", r.Status, r.Raw)
			}
		}
	}
	logs := g.Logged()
	if !strings.Contains(logs, "/v1_1/"+testCloud) {
		t.Errorf("the log was not captured (no line of the upload endpoint)")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log shows the S3 secret")
		}
	}
}

func mapValues(h http.Header) [][]string {
	var out [][]string
	for _, v := range h {
		out = append(out, v)
	}
	return out
}

func jpegBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// Uploads into an s3:// bucket land in S3 under the origin's prefix, in the
// layout of a directory bucket, with their records beside them; they are
// delivered from S3 (whole, by range, conditionally), replaced, kept with
// overwrite=false, and destroyed without a trace. Nothing goes to a local
// directory, and the bucket's secret shows in no answer and no log line.
func TestS3BucketUploads(t *testing.T) {
	g := startS3Gateway(t, nil)
	img := pngBytes(t, 32, 16)
	got := g.keep(g.upload(t, "image", map[string]string{"public_id": "dogs/rex", "tags": "a,b"}, img, "image/png"))
	if got.Status != 200 || got.JSON["width"] != float64(32) || got.JSON["etag"] != md5Hex(img) || got.JSON["bytes"] != float64(len(img)) {
		t.Fatalf("upload: %d %s", got.Status, got.Raw)
	}
	if data, ok := g.object(t, "dogs/rex.png"); !ok || !bytes.Equal(data, img) {
		t.Fatalf("the file in S3: %v, %d bytes", ok, len(data))
	}
	if rec, ok := g.object(t, ".meta/upload/dogs/rex.json"); !ok || !strings.Contains(string(rec), `"public_id": "dogs/rex"`) {
		t.Fatalf("the record in S3: %v %s", ok, rec)
	}
	if left := files(t, g.BucketDir); len(left) != 0 {
		t.Errorf("the old directory of the bucket got %v", left)
	}
	if left := files(t, g.DataDir+"/uploads"); len(left) != 0 {
		t.Errorf("staging left %v", left)
	}

	// Delivery, from S3.
	base := "/" + testCloud + "/image/upload/"
	back := g.keep(g.get(base + "v1/dogs/rex.png"))
	if back.Status != 200 || !bytes.Equal(back.Raw, img) || back.Header.Get("ETag") != `"`+md5Hex(img)+`"` ||
		back.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("delivery: %d %d bytes %v", back.Status, len(back.Raw), back.Header)
	}
	ranged := func(rng string, extra ...string) reply {
		req, _ := http.NewRequest("GET", g.URL+base+"dogs/rex.png", nil)
		req.Header.Set("Range", rng)
		for i := 0; i+1 < len(extra); i += 2 {
			req.Header.Set(extra[i], extra[i+1])
		}
		return g.keep(do(t, req))
	}
	n := len(img)
	for _, tc := range []struct {
		rng        string
		want       []byte
		contentRng string
	}{
		{"bytes=2-5", img[2:6], "bytes 2-5/" + itoa(n)},
		{"bytes=-4", img[n-4:], "bytes " + itoa(n-4) + "-" + itoa(n-1) + "/" + itoa(n)},
		{"bytes=10-", img[10:], "bytes 10-" + itoa(n-1) + "/" + itoa(n)},
	} {
		if r := ranged(tc.rng); r.Status != 206 || !bytes.Equal(r.Raw, tc.want) || r.Header.Get("Content-Range") != tc.contentRng {
			t.Errorf("Range %s: %d %q %q", tc.rng, r.Status, r.Raw, r.Header.Get("Content-Range"))
		}
	}
	if r := ranged("bytes=0-0,4-5"); r.Status != 206 || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/byteranges") ||
		!bytes.Contains(r.Raw, img[4:6]) {
		t.Errorf("two ranges: %d %v", r.Status, r.Header)
	}
	if r := ranged("bytes=" + itoa(n) + "-"); r.Status != 416 {
		t.Errorf("a range past the end: %d, want 416", r.Status)
	}
	if r := ranged("", "If-None-Match", back.Header.Get("ETag")); r.Status != 304 {
		t.Errorf("If-None-Match: %d, want 304", r.Status)
	}
	req, _ := http.NewRequest("HEAD", g.URL+base+"dogs/rex.png", nil)
	if r := g.keep(do(t, req)); r.Status != 200 || r.Header.Get("Content-Length") != itoa(n) || len(r.Raw) != 0 {
		t.Errorf("HEAD: %d %v", r.Status, r.Header)
	}

	// Authenticated assets: stored apart, delivered signed only.
	if got := g.keep(g.upload(t, "image", map[string]string{"public_id": "vault/pic", "type": "authenticated"}, img, "image/png")); got.Status != 200 {
		t.Fatalf("authenticated upload: %d %s", got.Status, got.Raw)
	}
	if _, ok := g.object(t, ".authenticated/vault/pic.png"); !ok {
		t.Errorf("the authenticated file is not in S3")
	}
	sig := uploadsig.SignDelivery("vault/pic.png", testSecret, uploadsig.SHA1)
	if r := g.keep(g.get("/" + testCloud + "/image/authenticated/s--" + sig + "--/vault/pic.png")); r.Status != 200 || !bytes.Equal(r.Raw, img) {
		t.Errorf("signed delivery: %d", r.Status)
	}
	if r := g.keep(g.get("/" + testCloud + "/image/authenticated/vault/pic.png")); r.Status != 401 {
		t.Errorf("unsigned delivery of an authenticated asset: %d", r.Status)
	}

	// Replaced in another format: the new file, and only it.
	jpg := jpegBytes(t, 8, 8)
	got = g.keep(g.upload(t, "image", map[string]string{"public_id": "dogs/rex"}, jpg, "image/jpeg"))
	if got.Status != 200 || got.JSON["overwritten"] != true || got.JSON["format"] != "jpg" {
		t.Fatalf("replace: %d %s", got.Status, got.Raw)
	}
	if _, ok := g.object(t, "dogs/rex.png"); ok {
		t.Errorf("the replaced file is still in S3")
	}
	if r := g.keep(g.get(base + "dogs/rex.jpg")); r.Status != 200 || !bytes.Equal(r.Raw, jpg) {
		t.Errorf("delivery of the replacement: %d", r.Status)
	}
	if r := g.keep(g.get(base + "dogs/rex.png")); r.Status != 404 {
		t.Errorf("delivery of the replaced format: %d, want 404", r.Status)
	}
	// overwrite=false keeps what is there.
	got = g.keep(g.upload(t, "image", map[string]string{"public_id": "dogs/rex", "overwrite": "false"}, img, "image/png"))
	if got.Status != 200 || got.JSON["existing"] != true || got.JSON["format"] != "jpg" {
		t.Errorf("overwrite=false: %d %s", got.Status, got.Raw)
	}
	// A new asset never takes another's file name.
	got = g.keep(g.upload(t, "raw", map[string]string{"public_id": "dogs/rex.jpg"}, []byte("raw"), "text/plain"))
	if want := "Public ID dogs/rex.jpg conflicts with an existing folder or asset of that name"; got.Status != 400 || got.errorMessage() != want {
		t.Errorf("conflict: %d %s", got.Status, got.Raw)
	}
	if data, _ := g.object(t, "dogs/rex.jpg"); !bytes.Equal(data, jpg) {
		t.Errorf("the conflicting upload changed the file")
	}

	// Destroy removes the file and the record.
	destroy := func(id string) reply {
		return g.keep(g.postForm("/v1_1/"+testCloud+"/image/destroy", signed(map[string]string{"public_id": id}, testSecret)))
	}
	if r := destroy("dogs/rex"); r.Status != 200 || r.JSON["result"] != "ok" {
		t.Fatalf("destroy: %d %s", r.Status, r.Raw)
	}
	if r := destroy("dogs/rex"); r.JSON["result"] != "not found" {
		t.Errorf("destroy again: %s", r.Raw)
	}
	if r := g.keep(g.get(base + "dogs/rex.jpg")); r.Status != 404 {
		t.Errorf("delivery after destroy: %d", r.Status)
	}
	want := []string{s3Prefix + "/.authenticated/vault/pic.png", s3Prefix + "/.meta/authenticated/vault/pic.json"}
	if got := g.keys(t); !slices.Equal(got, want) {
		t.Errorf("keys after destroy: %v, want %v", got, want)
	}
	g.noSecret(t)
}

// Storage that refuses the gateway's credentials fails the upload with the
// generic internal error; neither the answer nor the log shows the secret.
func TestS3BucketWrongSecret(t *testing.T) {
	g := startS3Gateway(t, nil)
	const wrong = "wrong-secret-that-must-not-show-0123"
	g.admin("PUT", "/v1/buckets/uploads", map[string]any{"origin": "s3://" + s3Bucket + "/" + s3Prefix, "s3": g.settings(wrong)}, http.StatusOK)
	got := g.keep(g.upload(t, "raw", map[string]string{"public_id": "a.txt"}, []byte("x"), "text/plain"))
	if got.Status != 500 || !strings.Contains(got.errorMessage(), "Internal error") {
		t.Errorf("upload: %d %s, want 500", got.Status, got.Raw)
	}
	if r := g.keep(g.get("/" + testCloud + "/raw/upload/a.txt")); r.Status != 502 {
		t.Errorf("delivery: %d %s, want 502", r.Status, r.Raw)
	}
	if !strings.Contains(g.Logged(), "access to the object storage denied") {
		t.Errorf("the log does not say what failed")
	}
	g.noSecret(t, wrong)
}

func itoa(n int) string { return strconv.Itoa(n) }
