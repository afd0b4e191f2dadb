package upload_test

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func (g *gateway) sendChunk(id string, params map[string]string, data []byte, first int64, total string) reply {
	g.t.Helper()
	ct, body := multipartBody(signed(params, testSecret), "big.bin", data)
	req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-Unique-Upload-Id", id)
	req.Header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%s", first, first+int64(len(data))-1, total))
	return do(g.t, req)
}

func TestChunkedUpload(t *testing.T) {
	g := startGateway(t, nil)
	params := map[string]string{"public_id": "chunked.bin"}
	whole := bytes.Repeat([]byte("0123456789"), 30)
	a, b, c := whole[:100], whole[100:200], whole[200:]

	steps := []struct {
		name       string
		data       []byte
		first      int64
		total      string
		wantStatus int
		wantMsg    string
	}{
		{"first chunk", a, 0, "-1", 200, ""},
		{"gap", c, 200, "300", 400, "Chunk bytes 200-299 leaves a gap: the upload holds 100 bytes, so the next chunk must start at 100"},
		{"overlap", a, 0, "-1", 400, "Chunk bytes 0-99 overlaps bytes already received (0-99); send the next chunk from 100"},
		{"second chunk", b, 100, "-1", 200, ""},
		{"last chunk", c, 200, "300", 200, ""},
	}
	var last reply
	for _, s := range steps {
		got := g.sendChunk("upload-1", params, s.data, s.first, s.total)
		if got.Status != s.wantStatus || got.errorMessage() != s.wantMsg {
			t.Fatalf("%s: got %d %s, want %d %q", s.name, got.Status, got.Raw, s.wantStatus, s.wantMsg)
		}
		last = got
	}
	if last.JSON["public_id"] != "chunked.bin" || last.JSON["bytes"] != float64(len(whole)) {
		t.Fatalf("final result: %s", last.Raw)
	}
	u, _ := last.JSON["url"].(string)
	if back := g.get(strings.TrimPrefix(u, g.URL)); back.Status != 200 || !bytes.Equal(back.Raw, whole) {
		t.Errorf("assembled file: got %d %q", back.Status, back.Raw)
	}
	if left := files(t, filepath.Join(g.DataDir, "uploads")); len(left) != 0 {
		t.Errorf("finished upload left %v", left)
	}
}

func TestChunkedUploadRefusals(t *testing.T) {
	g := startGateway(t, map[string]string{"GATEWAY_UPLOAD_MAX_BYTES": "150"})
	params := map[string]string{"public_id": "c"}
	data := bytes.Repeat([]byte("z"), 100)
	tests := []struct {
		name    string
		req     func() reply
		wantMsg string
	}{
		{"bad range", func() reply {
			ct, body := multipartBody(signed(params, testSecret), "x", data)
			req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("X-Unique-Upload-Id", "u")
			req.Header.Set("Content-Range", "bytes 9-3/10")
			return do(t, req)
		}, `Invalid Content-Range "bytes 9-3/10": want bytes <first>-<last>/<total>`},
		{"no upload id", func() reply {
			ct, body := multipartBody(signed(params, testSecret), "x", data)
			req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Content-Range", "bytes 0-99/-1")
			return do(t, req)
		}, "Chunked uploads need an X-Unique-Upload-Id header of 1 to 128 letters, digits, '-' and '_'"},
		{"range and chunk differ", func() reply { return g.sendChunk("u2", params, data, 0, "-1") }, ""},
		{"over the limit", func() reply { return g.sendChunk("u3", params, data, 100, "200") }, "File size too large. Got 200. Maximum is 150."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.req()
			if tc.wantMsg == "" {
				if got.Status != 200 {
					t.Errorf("got %d %s, want 200", got.Status, got.Raw)
				}
				return
			}
			if got.Status != 400 || got.errorMessage() != tc.wantMsg {
				t.Errorf("got %d %s, want 400 %q", got.Status, got.Raw, tc.wantMsg)
			}
		})
	}
}
