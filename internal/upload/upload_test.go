package upload_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

const uploadPath = "/v1_1/" + testCloud + "/image/upload"

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.RGBA{R: uint8(x), G: 100, B: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func dataURI(mime string, data []byte) string {
	return "data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(data)
}

type vectorFile struct {
	UploadSignatures []struct {
		Name         string            `json:"name"`
		WireParams   map[string]string `json:"wire_params"`
		Secret       string            `json:"secret"`
		StringToSign string            `json:"string_to_sign"`
		Signature    string            `json:"signature"`
	} `json:"upload_signatures"`
	DeliveryURLs []struct {
		URL          string `json:"url"`
		Secret       string `json:"secret"`
		SignedString string `json:"signed_string"`
		Signature    string `json:"signature"`
	} `json:"delivery_urls"`
	ResponseSignature struct {
		PublicID string `json:"public_id"`
		Version  int64  `json:"version"`
		Secret   string `json:"secret"`
		SHA1     string `json:"sha1"`
	} `json:"response_signature"`
}

// The vectors are the upload verifier's: one copy, read here through the
// whole endpoint.
const vectorsPath = "../verify/uploadsig/testdata/cloudinary.json"

func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	data, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Every upload vector is accepted by the real endpoint as signed, and any
// tampering is refused with the string the gateway signed.
func TestUploadVectorsThroughEndpoint(t *testing.T) {
	t.Parallel()
	vec := loadVectors(t)
	for _, v := range vec.UploadSignatures {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			ts, _ := strconv.ParseInt(v.WireParams["timestamp"], 10, 64)
			at := time.Unix(ts+60, 0)
			g := startGateway(t, nil, app.WithClock(func() time.Time { return at }))
			g.admin("POST", "/v1/api-keys", map[string]any{"cloud_name": "demo", "bucket": "uploads",
				"api_key": "vectorkey", "api_secret": v.Secret}, http.StatusCreated)
			form := url.Values{"api_key": {"vectorkey"}, "signature": {v.Signature},
				"file": {dataURI("text/plain", []byte("hello"))}}
			for k, val := range v.WireParams {
				form.Set(k, val)
			}
			got := g.postForm("/v1_1/demo/raw/upload", form)
			if got.Status != http.StatusOK {
				t.Fatalf("got %d %s, want 200", got.Status, got.Raw)
			}
			if pid := v.WireParams["public_id"]; got.JSON["public_id"] != pid {
				t.Errorf("public_id: got %v, want %s", got.JSON["public_id"], pid)
			}

			form.Set("public_id", form.Get("public_id")+"x")
			got = g.postForm("/v1_1/demo/raw/upload", form)
			want := fmt.Sprintf("Invalid Signature %s. String to sign - '%s'.", v.Signature,
				strings.Replace(v.StringToSign, "public_id="+v.WireParams["public_id"], "public_id="+v.WireParams["public_id"]+"x", 1))
			if got.Status != http.StatusUnauthorized || got.errorMessage() != want {
				t.Errorf("tampered: got %d %q, want 401 %q", got.Status, got.errorMessage(), want)
			}
		})
	}
}

func TestResponseSignatureVector(t *testing.T) {
	v := loadVectors(t).ResponseSignature
	if got := uploadsig.ResponseSignature(v.PublicID, v.Version, v.Secret); got != v.SHA1 {
		t.Errorf("got %s, want %s", got, v.SHA1)
	}
}

// Refusals carry the spec's status and exact message.
func TestUploadRefusals(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	g.admin("PUT", "/v1/buckets/other", map[string]any{"origin": "file://" + t.TempDir()}, http.StatusCreated)
	g.admin("POST", "/v1/api-keys", map[string]any{"cloud_name": "othercloud", "bucket": "other",
		"api_key": "otherkey1", "api_secret": "othersecretothersecret"}, http.StatusCreated)
	file := dataURI("text/plain", []byte("hello"))
	now := time.Now()
	stale := now.Add(-2 * time.Hour).Unix()

	tamper := signed(map[string]string{"public_id": "a"}, testSecret)
	tamper.Set("public_id", "b")
	tamper.Set("file", file)

	wrongSecret := signed(map[string]string{"public_id": "a"}, "not-the-secret")
	wrongSecret.Set("file", file)

	staleReq := signed(map[string]string{"public_id": "a", "timestamp": strconv.FormatInt(stale, 10)}, testSecret)
	staleReq.Set("file", file)

	unknown := signed(map[string]string{"api_key": "999999"}, testSecret)
	unknown.Set("file", file)

	otherCloud := signed(map[string]string{"api_key": "otherkey1"}, "othersecretothersecret")
	otherCloud.Set("file", file)

	noFile := signed(map[string]string{"public_id": "a"}, testSecret)
	noSig := signed(map[string]string{"public_id": "a"}, testSecret)
	noSig.Del("signature")
	noTS := url.Values{"api_key": {testKey}, "signature": {strings.Repeat("a", 40)}, "file": {file}}

	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantMsg    string
	}{
		{"tampered parameter", tamper, 401, fmt.Sprintf("Invalid Signature %s. String to sign - 'public_id=b&timestamp=%s'.",
			tamper.Get("signature"), tamper.Get("timestamp"))},
		{"wrong secret", wrongSecret, 401, fmt.Sprintf("Invalid Signature %s. String to sign - 'public_id=a&timestamp=%s'.",
			wrongSecret.Get("signature"), wrongSecret.Get("timestamp"))},
		{"stale timestamp", staleReq, 400, "Stale request - reported time is " +
			time.Unix(stale, 0).UTC().Format("2006-01-02 15:04:05 -0700") + " which is more than 1 hour ago"},
		{"unknown key", unknown, 401, "Unknown API key 999999"},
		{"key of another cloud", otherCloud, 401, "Invalid cloud_name " + testCloud},
		{"missing file", noFile, 400, "Missing required parameter - file"},
		{"missing signature", noSig, 400, "Missing required parameter - signature"},
		{"missing timestamp", noTS, 400, "Missing required parameter - timestamp"},
		{"missing api_key", url.Values{"file": {file}}, 400, "Missing required parameter - api_key"},
		{"unsigned preset that does not exist", url.Values{"file": {file}, "upload_preset": {"nope"}}, 400, "Upload preset not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := g.postForm("/v1_1/"+testCloud+"/raw/upload", tc.form)
			if got.Status != tc.wantStatus || got.errorMessage() != tc.wantMsg {
				t.Errorf("got %d %s, want %d %q", got.Status, got.Raw, tc.wantStatus, tc.wantMsg)
			}
			if got.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Error("no Access-Control-Allow-Origin on the refusal")
			}
		})
	}
	if leftover := files(t, g.BucketDir); len(leftover) != 0 {
		t.Errorf("refused uploads left files: %v", leftover)
	}
	metrics := string(g.get("/metrics").Raw)
	for _, want := range []string{
		`gateway_verification_refusals_total{flow="upload",reason="bad_signature"} 2`,
		`gateway_verification_refusals_total{flow="upload",reason="timestamp"} 2`,
		`gateway_verification_refusals_total{flow="upload",reason="unknown_key"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// The result has the field names and JSON types SDKs decode strictly.
func TestUploadResultTypes(t *testing.T) {
	t.Parallel()
	g := startGateway(t, nil)
	img := pngBytes(t, 40, 30)
	form := signed(map[string]string{"public_id": "dogs/rex", "tags": "a,b"}, testSecret)
	form.Set("file", dataURI("image/png", img))
	got := g.postForm("/v1_1/"+testCloud+"/auto/upload", form)
	if got.Status != 200 {
		t.Fatalf("got %d %s", got.Status, got.Raw)
	}
	j := got.JSON
	version, ok := j["version"].(float64)
	if !ok || version != float64(int64(version)) {
		t.Fatalf("version: got %#v, want an integer", j["version"])
	}
	sum := md5.Sum(img)
	wantURL := fmt.Sprintf("%s/%s/image/upload/v%d/dogs/rex.png", g.URL, testCloud, int64(version))
	checks := []struct {
		field string
		want  any
	}{
		{"public_id", "dogs/rex"},
		{"width", float64(40)},
		{"height", float64(30)},
		{"format", "png"},
		{"resource_type", "image"},
		{"bytes", float64(len(img))},
		{"type", "upload"},
		{"etag", hex.EncodeToString(sum[:])},
		{"placeholder", false},
		{"url", wantURL},
		{"secure_url", wantURL},
		{"api_key", testKey},
		{"signature", uploadsig.ResponseSignature("dogs/rex", int64(version), testSecret)},
	}
	for _, c := range checks {
		if j[c.field] != c.want {
			t.Errorf("%s: got %#v, want %#v", c.field, j[c.field], c.want)
		}
	}
	if s, _ := j["asset_id"].(string); !hex32.MatchString(s) {
		t.Errorf("asset_id: got %#v, want 32 hex", j["asset_id"])
	}
	if s, _ := j["version_id"].(string); s == "" {
		t.Errorf("version_id: got %#v", j["version_id"])
	}
	if s, _ := j["created_at"].(string); s == "" || !strings.HasSuffix(s, "Z") {
		t.Errorf("created_at: got %#v, want RFC 3339 UTC", j["created_at"])
	} else if _, err := time.Parse(time.RFC3339, s); err != nil {
		t.Errorf("created_at: %v", err)
	}
	if tags, ok := j["tags"].([]any); !ok || len(tags) != 2 || tags[0] != "a" || tags[1] != "b" {
		t.Errorf("tags: got %#v", j["tags"])
	}
	back := g.get(strings.TrimPrefix(wantURL, g.URL))
	if back.Status != 200 || !bytes.Equal(back.Raw, img) {
		t.Errorf("delivery: got %d and %d bytes, want 200 and the upload", back.Status, len(back.Raw))
	}
	if ct := back.Header.Get("Content-Type"); ct != "image/png" {
		t.Errorf("delivery Content-Type: got %q", ct)
	}
}

// The delivery vectors carry transformations, which the gateway does not
// apply yet: with their signature they get that 400, and tampered they get
// the 401 of a bad signature.
func TestDeliveryVectorsThroughEndpoint(t *testing.T) {
	t.Parallel()
	vec := loadVectors(t)
	g := startGateway(t, nil)
	g.admin("POST", "/v1/api-keys", map[string]any{"cloud_name": "demo", "bucket": "uploads",
		"api_key": "vectorkey", "api_secret": "abcd"}, http.StatusCreated)
	for _, v := range vec.DeliveryURLs {
		t.Run(v.URL, func(t *testing.T) {
			u, _ := url.Parse(v.URL)
			d, err := uploadsig.ParseDeliveryPath(u.EscapedPath())
			if err != nil {
				t.Fatal(err)
			}
			if d.SignedPart() != v.SignedString || d.Signature != v.Signature {
				t.Fatalf("parsed %+v, want signed part %q and signature %q", d, v.SignedString, v.Signature)
			}
			got := g.get(u.EscapedPath())
			if got.Status != 400 || !strings.Contains(string(got.Raw), "transformations are not supported yet") {
				t.Errorf("signed: got %d %s, want 400 about transformations", got.Status, got.Raw)
			}
			tampered := strings.Replace(u.EscapedPath(), "w_", "w_9", 1)
			if got := g.get(tampered); got.Status != 401 {
				t.Errorf("tampered %s: got %d %s, want 401", tampered, got.Status, got.Raw)
			}
		})
	}
}

// Version 1 signatures (no escaping of "&") are refused by default and
// accepted only when GATEWAY_UPLOAD_ALLOW_SIGNATURE_V1 is true; refused, the
// message shows the version 2 string.
func TestSignatureVersion1Setting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		setting    string
		wantStatus int
	}{{"", 401}, {"true", 200}, {"false", 401}} {
		t.Run("allow="+tc.setting, func(t *testing.T) {
			env := map[string]string{}
			if tc.setting != "" {
				env["GATEWAY_UPLOAD_ALLOW_SIGNATURE_V1"] = tc.setting
			}
			g := startGateway(t, env)
			v := url.Values{"public_id": {"v1"}, "notification_url": {"https://example.com/cb?a=1&b=2"},
				"timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}, "api_key": {testKey}}
			v1 := uploadsig.StringToSign(uploadsig.Collect(v), 1)
			v.Set("signature", uploadsig.Sign(v1, testSecret, uploadsig.SHA256))
			v.Set("file", dataURI("text/plain", []byte("x")))
			got := g.postForm("/v1_1/"+testCloud+"/raw/upload", v)
			if got.Status != tc.wantStatus {
				t.Fatalf("got %d %s, want %d", got.Status, got.Raw, tc.wantStatus)
			}
			if tc.wantStatus == 401 {
				want := fmt.Sprintf("Invalid Signature %s. String to sign - '%s'.", v.Get("signature"),
					strings.ReplaceAll(v1, "a=1&b=2", "a=1%26b=2"))
				if got.errorMessage() != want {
					t.Errorf("got %q, want %q", got.errorMessage(), want)
				}
			}
		})
	}
}
