package upload_test

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
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
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/signedgate/gateway/internal/testutil/redistest"
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

// multiparts counts the multipart uploads in progress in the S3 bucket.
func (g *s3Gateway) multiparts(t *testing.T) int {
	t.Helper()
	out, err := g.srv.Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(s3Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Uploads)
}

// work lists the keys of the work area of chunked uploads.
func (g *s3Gateway) work(t *testing.T) []string {
	t.Helper()
	return slices.DeleteFunc(g.keys(t), func(k string) bool { return !strings.HasPrefix(k, s3Prefix+"/.uploads/") })
}

// Chunked uploads into an S3 bucket are assembled by S3: chunks of 5 MiB
// or more are parts of a multipart upload of the asset's file, smaller
// ones wait in the bucket until they make a part with the next; the order
// rules are those of directory buckets; the last chunk completes the file
// and leaves no work behind, in S3 or on the gateway's disk.
func TestS3ChunkedUpload(t *testing.T) {
	g := startS3Gateway(t, nil)
	const mib = 1 << 20
	whole := make([]byte, 12*mib+7)
	for i := range whole {
		whole[i] = byte(i*7 + i/mib)
	}
	// 3 MiB (a piece), 3 MiB (a part with the piece), 5 MiB (a part),
	// the rest (the last part).
	cuts := []int{0, 3 * mib, 6 * mib, 11 * mib, len(whole)}
	params := map[string]string{"public_id": "big/film.bin"}
	var last reply
	for i := 0; i+1 < len(cuts); i++ {
		total := "-1"
		if i+2 == len(cuts) {
			total = itoa(len(whole))
		}
		first, end := cuts[i], cuts[i+1]
		last = g.keep(g.sendChunk("film-1", params, whole[first:end], int64(first), total))
		if last.Status != 200 {
			t.Fatalf("chunk %d: %d %s", i, last.Status, last.Raw)
		}
		switch i {
		case 0:
			if g.multiparts(t) != 0 || len(g.work(t)) != 2 {
				t.Errorf("after a small first chunk: %d multipart uploads, work area %v; want none and a piece", g.multiparts(t), g.work(t))
			}
			// Out of order: refused, nothing changes.
			got := g.keep(g.sendChunk("film-1", params, whole[cuts[2]:cuts[3]], int64(cuts[2]), "-1"))
			if want := "Chunk bytes 6291456-11534335 leaves a gap: the upload holds 3145728 bytes, so the next chunk must start at 3145728"; got.errorMessage() != want {
				t.Errorf("gap: %d %s", got.Status, got.Raw)
			}
			got = g.keep(g.sendChunk("film-1", params, whole[:cuts[1]], 0, "-1"))
			if want := "Chunk bytes 0-3145727 overlaps bytes already received (0-3145727); send the next chunk from 3145728"; got.errorMessage() != want {
				t.Errorf("overlap: %d %s", got.Status, got.Raw)
			}
		case 1, 2:
			if g.multiparts(t) != 1 || len(g.work(t)) != 1 {
				t.Errorf("after chunk %d: %d multipart uploads, work area %v; want one and the state only", i, g.multiparts(t), g.work(t))
			}
		}
	}
	if last.JSON["public_id"] != "big/film.bin" || last.JSON["bytes"] != float64(len(whole)) || last.JSON["etag"] != md5Hex(whole) {
		t.Fatalf("result: %s", last.Raw)
	}
	if data, ok := g.object(t, "big/film.bin"); !ok || !bytes.Equal(data, whole) {
		t.Errorf("the assembled file in S3: %v, %d bytes", ok, len(data))
	}
	if n, work := g.multiparts(t), g.work(t); n != 0 || len(work) != 0 {
		t.Errorf("left behind: %d multipart uploads, work area %v", n, work)
	}
	if left := files(t, g.DataDir+"/uploads"); len(left) != 0 {
		t.Errorf("the gateway's disk kept %v", left)
	}
	u, _ := last.JSON["secure_url"].(string)
	req, _ := http.NewRequest("GET", g.URL+pathOf(t, u), nil)
	req.Header.Set("Range", "bytes=3145726-3145729")
	if r := g.keep(do(t, req)); r.Status != 206 || !bytes.Equal(r.Raw, whole[3145726:3145730]) {
		t.Errorf("a range across the first two chunks: %d", r.Status)
	}

	// Small chunks only: one Put at the end.
	small := bytes.Repeat([]byte("0123456789"), 30)
	for i, first := range []int{0, 100, 200} {
		total := "-1"
		if i == 2 {
			total = "300"
		}
		last = g.keep(g.sendChunk("small-1", map[string]string{"public_id": "small.txt"}, small[first:first+100], int64(first), total))
	}
	if data, _ := g.object(t, "small.txt"); last.Status != 200 || !bytes.Equal(data, small) || last.JSON["etag"] != md5Hex(small) {
		t.Errorf("small chunks: %d %s, %q in S3", last.Status, last.Raw, data)
	}

	// overwrite=false with the asset there: the upload is dropped.
	keep := map[string]string{"public_id": "big/film.bin", "overwrite": "false"}
	g.keep(g.sendChunk("film-2", keep, whole[:6*mib], 0, "-1"))
	last = g.keep(g.sendChunk("film-2", keep, []byte("tail"), 6*mib, itoa(6*mib+4)))
	if last.Status != 200 || last.JSON["existing"] != true || last.JSON["bytes"] != float64(len(whole)) {
		t.Errorf("overwrite=false: %d %s", last.Status, last.Raw)
	}
	if n, work := g.multiparts(t), g.work(t); n != 0 || len(work) != 0 {
		t.Errorf("the dropped upload left %d multipart uploads, work area %v", n, work)
	}
	g.noSecret(t)
}

// An upload over the size limit is dropped whole, in S3 too.
func TestS3ChunkedUploadTooLarge(t *testing.T) {
	g := startS3Gateway(t, map[string]string{"GATEWAY_UPLOAD_MAX_BYTES": itoa(8 << 20)})
	chunk := make([]byte, 6<<20)
	if got := g.sendChunk("big", map[string]string{"public_id": "x"}, chunk, 0, "-1"); got.Status != 200 {
		t.Fatalf("first chunk: %d %s", got.Status, got.Raw)
	}
	got := g.sendChunk("big", map[string]string{"public_id": "x"}, chunk, 6<<20, "-1")
	if got.Status != 400 || !strings.HasPrefix(got.errorMessage(), "File size too large") {
		t.Errorf("second chunk: %d %s", got.Status, got.Raw)
	}
	if n, work := g.multiparts(t), g.work(t); n != 0 || len(work) != 0 {
		t.Errorf("left behind: %d multipart uploads, work area %v", n, work)
	}
}

// The chunks of one upload may reach different instances: its state is in
// the bucket, not on an instance.
func TestS3ChunkedUploadAcrossInstances(t *testing.T) {
	_, prefix := redistest.Client(t)
	env := map[string]string{"GATEWAY_REDIS_URL": redistest.URL(), "GATEWAY_REDIS_PREFIX": prefix}
	a := startS3Gateway(t, env)
	b := startInstance(t, env, a.BucketDir)
	whole := make([]byte, 11<<20)
	rand.Read(whole)
	cuts := []int{0, 5 << 20, 10 << 20, 10<<20 + 100, len(whole)}
	var last reply
	for i := 0; i+1 < len(cuts); i++ {
		g := a.gateway
		if i%2 == 1 {
			g = b
		}
		total := "-1"
		if i+2 == len(cuts) {
			total = itoa(len(whole))
		}
		last = g.sendChunk("shared-1", map[string]string{"public_id": "shared.bin"}, whole[cuts[i]:cuts[i+1]], int64(cuts[i]), total)
		if last.Status != 200 {
			t.Fatalf("chunk %d on instance %d: %d %s", i, i%2, last.Status, last.Raw)
		}
	}
	if data, _ := a.object(t, "shared.bin"); !bytes.Equal(data, whole) || last.JSON["etag"] != md5Hex(whole) {
		t.Errorf("assembled across instances: %d bytes, %s", len(data), last.Raw)
	}
	if back := b.get("/" + testCloud + "/raw/upload/shared.bin"); back.Status != 200 || !bytes.Equal(back.Raw, whole) {
		t.Errorf("delivery on the other instance: %d", back.Status)
	}
}

// An upload that receives nothing for GATEWAY_UPLOAD_CHUNK_TIMEOUT is
// removed from S3: its multipart upload aborted, its work area emptied.
func TestS3ChunkedUploadAbandoned(t *testing.T) {
	g := startS3Gateway(t, map[string]string{"GATEWAY_UPLOAD_CHUNK_TIMEOUT": "1s"})
	params := map[string]string{"public_id": "gone"}
	if got := g.sendChunk("gone-1", params, make([]byte, 5<<20), 0, "-1"); got.Status != 200 {
		t.Fatalf("first chunk: %d %s", got.Status, got.Raw)
	}
	if got := g.sendChunk("gone-2", params, []byte("small"), 0, "-1"); got.Status != 200 {
		t.Fatalf("first chunk: %d %s", got.Status, got.Raw)
	}
	if g.multiparts(t) != 1 || len(g.work(t)) != 3 {
		t.Fatalf("in progress: %d multipart uploads, work area %v", g.multiparts(t), g.work(t))
	}
	deadline := time.Now().Add(15 * time.Second)
	for g.multiparts(t) != 0 || len(g.work(t)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not swept: %d multipart uploads, work area %v", g.multiparts(t), g.work(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
	got := g.sendChunk("gone-1", params, []byte("more"), 5<<20, "-1")
	if want := "Chunk bytes 5242880-5242883 leaves a gap: the upload holds 0 bytes, so the next chunk must start at 0"; got.errorMessage() != want {
		t.Errorf("a chunk of the swept upload: %d %s", got.Status, got.Raw)
	}
}

// A file that is not the one its record describes (replaced behind the
// gateway's back, or gone) is answered with an error before any byte: 503
// to retry while a replacement completes, 404 when the file is missing.
func TestS3DeliveryOfAChangedFile(t *testing.T) {
	g := startS3Gateway(t, nil)
	for _, id := range []string{"changed.txt", "missing.txt"} {
		if got := g.upload(t, "raw", map[string]string{"public_id": id}, []byte("original"), "text/plain"); got.Status != 200 {
			t.Fatalf("upload: %d %s", got.Status, got.Raw)
		}
	}
	if _, err := g.srv.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(s3Bucket),
		Key: aws.String(s3Prefix + "/changed.txt"), Body: strings.NewReader("NEWBYTES")}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.srv.Client().DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(s3Bucket),
		Key: aws.String(s3Prefix + "/missing.txt")}); err != nil {
		t.Fatal(err)
	}
	base := "/" + testCloud + "/raw/upload/"
	if r := g.get(base + "changed.txt"); r.Status != 503 || r.Header.Get("Retry-After") != "1" || r.Header.Get("ETag") != "" || strings.Contains(string(r.Raw), "NEWBYTES") {
		t.Errorf("changed file: %d %v %s", r.Status, r.Header, r.Raw)
	}
	if r := g.get(base + "missing.txt"); r.Status != 404 || r.Header.Get("Content-Range") != "" {
		t.Errorf("missing file: %d %v %s", r.Status, r.Header, r.Raw)
	}
}
