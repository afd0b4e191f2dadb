package upload_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/verify/uploadsig"
)

// allowedStatus are the statuses the Cloudinary dialect may answer with;
// 500 is allowed by the dialect but never for bad input.
var allowedStatus = map[int]bool{200: true, 400: true, 401: true, 404: true}

// Arbitrary bodies, content types, query strings and chunk headers never
// cause a 5xx, a panic or an answer outside the dialect. With sign set, the
// fuzzed urlencoded parameters are signed properly, so the input reaches
// option parsing, file decoding and storage.
func FuzzUploadEndpoint(f *testing.F) {
	g := startGateway(f, map[string]string{"GATEWAY_UPLOAD_MAX_BYTES": "4096"})
	h := g.App.Handler()
	seeds := []struct {
		ct, query, rng string
		body           []byte
		sign           bool
	}{
		{"application/x-www-form-urlencoded", "", "", []byte("public_id=a&file=data:text/plain;base64,aGk="), true},
		{"", "", "", []byte("public_id=a/b&tags[]=x&tags[]=y&file=data:,hello&context=a=b|c=d"), true},
		{"application/x-www-form-urlencoded", "", "bytes 0-1/2", []byte("file=data:,hi"), true},
		{"multipart/form-data; boundary=x", "", "", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc\r\n--x--"), false},
		{"multipart/form-data; boundary=x", "api_key=1", "", []byte("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"), false},
		{"text/plain", "", "", []byte("x"), false},
		{"", "upload_preset=p", "", []byte("file=data:;base64,!!"), false},
		{"application/x-www-form-urlencoded", "", "", []byte("public_id=../x&file=data:image/png;base64,iVBORw0KGgo="), true},
		{"application/x-www-form-urlencoded", "", "", []byte("type=private&overwrite=false&use_filename=1&file=data:,x"), true},
		// A file part ahead of its parameters, and a file field ahead of them.
		{"multipart/form-data; boundary=x", "", "", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc\r\n" +
			"--x\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n" + testKey + "\r\n" +
			"--x\r\nContent-Disposition: form-data; name=\"signature\"\r\n\r\nabc\r\n--x--"), false},
		{"multipart/form-data; boundary=x", "upload_preset=p", "", []byte("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata:,a\r\n" +
			"--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ndata:,b\r\n--x--"), false},
	}
	for _, s := range seeds {
		f.Add(s.ct, s.query, s.rng, s.body, s.sign)
	}
	f.Fuzz(func(t *testing.T, ct, query, rng string, body []byte, sign bool) {
		if sign {
			v, _ := url.ParseQuery(string(body))
			v.Set("api_key", testKey)
			v.Set("timestamp", strconv.FormatInt(time.Now().Unix(), 10))
			v.Del("signature")
			v.Set("signature", uploadsig.Sign(uploadsig.StringToSign(uploadsig.Collect(v), 2), testSecret, uploadsig.SHA1))
			body = []byte(v.Encode())
		}
		for _, rtype := range []string{"auto", "raw"} {
			req := httptest.NewRequest("POST", "/v1_1/"+testCloud+"/"+rtype+"/upload", bytes.NewReader(body))
			req.URL.RawQuery = query
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			if rng != "" {
				req.Header.Set("Content-Range", rng)
				req.Header.Set("X-Unique-Upload-Id", "fuzz")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if !allowedStatus[rec.Code] {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
			}
			if rec.Code != http.StatusOK {
				var e struct {
					Error struct{ Message string } `json:"error"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Message == "" {
					t.Fatalf("status %d with a body outside the dialect: %s", rec.Code, rec.Body.Bytes())
				}
			}
		}
	})
}
