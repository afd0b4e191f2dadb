package s3api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/signedgate/gateway/internal/verify/sigv4"
)

// Bodies a client signs in its headers: an aws-chunked body whose trailing
// CRC32 is wrong, or whose x-amz-content-sha256 is not the body's, stores
// nothing; the right ones store the decoded bytes.
func TestHeaderSignedBodiesChecked(t *testing.T) {
	g := start(t, nil)
	dir := makeBucket(t, g, "films", "", nil)
	k := makeKey(t, g, "films", "write")
	put := func(key, body, payloadHash string, extra map[string]string) answer {
		t.Helper()
		u := g.URL + "/s3/films/" + key
		req, _ := http.NewRequest(http.MethodPut, u, strings.NewReader(body))
		for name, v := range extra {
			req.Header.Set(name, v)
		}
		if err := sigv4.SignHeaders(req.Header, http.MethodPut, u, payloadHash, k.ID, k.Secret, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return do(t, http.MethodPut, u, strings.NewReader(body), flatten(req.Header))
	}
	chunked := map[string]string{
		"Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": "5", "X-Amz-Trailer": "x-amz-checksum-crc32",
	}
	// CRC32 of "hello" is 0x3610a686: NhCmhg==.
	if a := put("good.txt", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n", sigv4.StreamingUnsignedTrailer, chunked); a.status != 200 {
		t.Errorf("good chunked body: %d %s", a.status, a.body)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "good.txt")); string(b) != "hello" {
		t.Errorf("stored %q", b)
	}
	if a := put("bad.txt", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", sigv4.StreamingUnsignedTrailer, chunked); a.status != 400 || errorOf(t, a).Code != "BadDigest" {
		t.Errorf("wrong trailing CRC32: %d %s", a.status, a.body)
	}
	sum := sha256.Sum256([]byte("other"))
	if a := put("hash.txt", "hello", hex.EncodeToString(sum[:]), nil); a.status != 400 || errorOf(t, a).Code != "XAmzContentSHA256Mismatch" {
		t.Errorf("wrong x-amz-content-sha256: %d %s", a.status, a.body)
	}
	sum = sha256.Sum256([]byte("hello"))
	if a := put("hashed.txt", "hello", hex.EncodeToString(sum[:]), nil); a.status != 200 {
		t.Errorf("right x-amz-content-sha256: %d %s", a.status, a.body)
	}
	// A presigned PUT may sign the body's hash too (X-Amz-Content-Sha256 in
	// its query): the body must then be that one.
	other := sha256.Sum256([]byte("other"))
	u := g.URL + "/s3/films/presigned-hash.txt?X-Amz-Content-Sha256=" + hex.EncodeToString(other[:]) + "&X-Amz-Expires=600"
	req, _ := http.NewRequest(http.MethodPut, u, nil)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	signed, _, err := signer.PresignHTTP(ctx, aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}, req, hex.EncodeToString(other[:]), "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a := do(t, http.MethodPut, signed, strings.NewReader("hello"), nil); a.status != 400 || errorOf(t, a).Code != "XAmzContentSHA256Mismatch" {
		t.Errorf("presigned PUT with another body's hash: %d %s", a.status, a.body)
	}
	if a := do(t, http.MethodPut, signed, strings.NewReader("other"), nil); a.status != 200 {
		t.Errorf("presigned PUT with its body's hash: %d %s", a.status, a.body)
	}
	for _, name := range []string{"bad.txt", "hash.txt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was stored", name)
		}
	}
}

func flatten(h http.Header) map[string]string {
	m := map[string]string{}
	for k, v := range h {
		m[k] = v[0]
	}
	return m
}
