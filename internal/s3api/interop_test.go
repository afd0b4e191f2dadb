package s3api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/testutil"
)

// The official AWS SDK for JavaScript v3: header-signed put, head, ranged
// get, list and delete through S3Client, and URLs presigned by
// @aws-sdk/s3-request-presigner for PUT and GET used with fetch(); its
// errors come out as the named exceptions.
func TestJavaScriptSDK(t *testing.T) {
	node := testutil.NeedProgram(t, "node")
	testutil.NeedFile(t, "interop/node_modules/@aws-sdk/client-s3", "the AWS SDK for JavaScript (interop/node_modules/@aws-sdk/client-s3)",
		"npm ci --prefix internal/s3api/interop")
	g := start(t, nil)
	dir := makeBucket(t, g, "films", "", nil)
	makeBucket(t, g, "other", "", map[string]string{"a.mp4": "x"})
	k := makeKey(t, g, "films", "read", "write")
	cmd := exec.Command(node, "sdk.mjs")
	cmd.Dir = "interop"
	cmd.Env = append(os.Environ(), "ENDPOINT="+g.URL+"/s3", "KEY_ID="+k.ID, "SECRET="+k.Secret, "BUCKET=films")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s\n%s", err, out, stderr.String())
	}
	var res struct {
		HeadLength   int64
		Range        string
		Listed       []string
		PutURL       string
		PresignedPut int
		GetURL       string
		PresignedGet struct {
			Status int
			Body   string
		}
		AfterDelete, OtherBucket string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	want := strings.Repeat("written by the JS SDK ", 1000)
	if res.HeadLength != int64(len(want)) || res.Range != want[:21] || !slices.Contains(res.Listed, "js/put.txt") {
		t.Errorf("header-signed calls: %+v", res)
	}
	if res.PresignedPut != 200 || res.PresignedGet.Status != 200 || res.PresignedGet.Body != "presigned upload from fetch()" {
		t.Errorf("presigned: PUT %d, GET %+v", res.PresignedPut, res.PresignedGet)
	}
	if !strings.Contains(res.PutURL, "x-amz-checksum-crc32=") {
		t.Logf("this SDK version puts no checksum into presigned PUTs: %s", res.PutURL)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "js", "presigned.bin")); string(b) != "presigned upload from fetch()" {
		t.Errorf("stored %q", b)
	}
	if res.AfterDelete != "NoSuchKey" || res.OtherBucket != "AccessDenied" {
		t.Errorf("errors: after delete %q, other bucket %q", res.AfterDelete, res.OtherBucket)
	}
}

// boto3 (Debian's python3-boto3): header-signed put, head, ranged get,
// list, upload_fileobj and delete, and presigned PUT and GET used with
// urllib.
func TestBoto3(t *testing.T) {
	py := testutil.NeedProgram(t, "python3")
	if err := exec.Command(py, "-c", "import boto3").Run(); err != nil {
		testutil.MissingTool(t, "boto3", testutil.AptInstall("python3-boto3"))
	}
	g := start(t, nil)
	dir := makeBucket(t, g, "films", "", nil)
	k := makeKey(t, g, "films", "read", "write")
	cmd := exec.Command(py, "boto3_interop.py")
	cmd.Dir = "interop"
	cmd.Env = append(os.Environ(), "ENDPOINT="+g.URL+"/s3", "KEY_ID="+k.ID, "SECRET="+k.Secret, "BUCKET=films",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v\n%s\n%s", err, out, stderr.String())
	}
	var res struct {
		HeadLength      int64    `json:"head_length"`
		Range           string   `json:"range"`
		Listed          []string `json:"listed"`
		Transfer        string   `json:"transfer"`
		PresignedPut    int      `json:"presigned_put"`
		PresignedGet    string   `json:"presigned_get"`
		AfterDelete     string   `json:"after_delete"`
		HeadAfterDelete string   `json:"head_after_delete"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	want := strings.Repeat("written by boto3 ", 1000)
	if res.HeadLength != int64(len(want)) || res.Range != want[:16] || !slices.Contains(res.Listed, "py/put.txt") || res.Transfer != "through upload_fileobj" {
		t.Errorf("header-signed calls: %+v", res)
	}
	if res.PresignedPut != 200 || res.PresignedGet != "presigned upload from urllib" {
		t.Errorf("presigned: %+v", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "py", "presigned.bin")); string(b) != "presigned upload from urllib" {
		t.Errorf("stored %q", b)
	}
	if res.AfterDelete != "NoSuchKey" || res.HeadAfterDelete != "404" {
		t.Errorf("errors: %q %q", res.AfterDelete, res.HeadAfterDelete)
	}
}
