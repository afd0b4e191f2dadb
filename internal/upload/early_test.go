package upload_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testBoundary = "----earlyboundary"

func fieldParts(v url.Values) []byte {
	var b bytes.Buffer
	for k, vs := range v {
		for _, val := range vs {
			fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", testBoundary, k, val)
		}
	}
	return b.Bytes()
}

func fileHeader(name string) []byte {
	return []byte(fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=%q\r\n"+
		"Content-Type: application/octet-stream\r\n\r\n", testBoundary, name))
}

// streamed is what became of a large multipart upload sent over a raw
// connection: the answer, how much of the body the gateway let the client
// write, and whether a staged file ever appeared while it was sent.
type streamed struct {
	resp    reply
	written int64
	staged  bool
}

// sendLarge posts before + size bytes of file + after, writing the body
// while the answer is read, and stops writing once the gateway stops
// reading (the connection is closed on the client's writes).
func (g *gateway) sendLarge(t *testing.T, before []byte, size int64, after []byte) streamed {
	t.Helper()
	staging := filepath.Join(g.DataDir, "uploads", "staging")
	total := int64(len(before)) + size + int64(len(after)) + int64(len("\r\n--"+testBoundary+"--"))
	conn, err := net.Dial("tcp", strings.TrimPrefix(g.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(conn, "POST /v1_1/%s/raw/upload HTTP/1.1\r\nHost: gateway\r\nContent-Type: multipart/form-data; boundary=%s\r\n"+
		"Content-Length: %d\r\n\r\n", testCloud, testBoundary, total)
	var written atomic.Int64
	var staged atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := conn.Write(before); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for n := int64(0); n < size; {
			m, err := conn.Write(chunk[:min(int64(len(chunk)), size-n)])
			n += int64(m)
			written.Store(n)
			if err != nil {
				return
			}
			if n%(1<<20) == 0 && len(files(t, staging)) > 0 {
				staged.Store(true)
			}
		}
		conn.Write(append(append([]byte{}, after...), "\r\n--"+testBoundary+"--"...))
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	conn.Close()
	<-done
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: data}
	json.Unmarshal(data, &r.JSON)
	return streamed{resp: r, written: written.Load(), staged: staged.Load()}
}

// The size of the large files below and the most of one the gateway may
// read before refusing it: the refusal comes within the first MiB, and
// the socket buffers between client and server hold a few more.
const (
	largeFile   = 64 << 20
	mostWritten = largeFile / 2
)

// Parameters first (as the SDKs send them) with a bad signature: the
// upload is refused without the file being read to the end, and nothing
// ever reaches the staging directory.
func TestBadSignatureRefusedBeforeTheFile(t *testing.T) {
	g := startGateway(t, nil)
	params := signed(map[string]string{"public_id": "big.bin"}, "not-the-secret")
	got := g.sendLarge(t, append(fieldParts(params), fileHeader("big.bin")...), largeFile, nil)
	if got.resp.Status != 401 || !strings.HasPrefix(got.resp.errorMessage(), "Invalid Signature ") {
		t.Errorf("got %d %s, want 401 Invalid Signature", got.resp.Status, got.resp.Raw)
	}
	if got.written >= mostWritten {
		t.Errorf("the gateway read %d bytes of a %d-byte file it was refusing", got.written, largeFile)
	}
	if got.staged {
		t.Error("the file of an unsigned request was written to the staging directory")
	}
	if left := files(t, filepath.Join(g.DataDir, "uploads")); len(left) != 0 {
		t.Errorf("work directory holds %v", left)
	}
}

// The file part first and its signature after: the file is held in memory
// up to a small cap, so a small one still uploads, and a large one is
// refused at the cap with a message saying what to do.
func TestFileBeforeSignatureIsCapped(t *testing.T) {
	g := startGateway(t, nil)
	params := signed(map[string]string{"public_id": "first.bin"}, testSecret)

	got := g.sendLarge(t, fileHeader("first.bin"), largeFile, append([]byte("\r\n"), fieldParts(params)...))
	want := "The file arrived before the parameters that sign the upload: send the parameters before the file part (a file ahead of them may have at most 1048576 bytes)"
	if got.resp.Status != 400 || got.resp.errorMessage() != want {
		t.Errorf("large file first: got %d %s, want 400 %q", got.resp.Status, got.resp.Raw, want)
	}
	if got.written >= mostWritten {
		t.Errorf("the gateway read %d bytes of a %d-byte file before its signature", got.written, largeFile)
	}
	if got.staged {
		t.Error("a file ahead of its signature was written to the staging directory")
	}

	small := bytes.Repeat([]byte("s"), 100<<10)
	var body bytes.Buffer
	body.Write(fileHeader("first.bin"))
	body.Write(small)
	body.WriteString("\r\n")
	body.Write(fieldParts(params))
	body.WriteString("--" + testBoundary + "--")
	req, _ := http.NewRequest("POST", g.URL+"/v1_1/"+testCloud+"/raw/upload", &body)
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+testBoundary)
	if res := do(t, req); res.Status != 200 || res.JSON["bytes"] != float64(len(small)) {
		t.Fatalf("small file first: got %d %s", res.Status, res.Raw)
	}
	if back := g.get("/" + testCloud + "/raw/upload/first.bin"); back.Status != 200 || !bytes.Equal(back.Raw, small) {
		t.Errorf("small file first: delivered %d and %d bytes", back.Status, len(back.Raw))
	}
	if left := files(t, filepath.Join(g.DataDir, "uploads")); len(left) != 0 {
		t.Errorf("work directory holds %v", left)
	}
}
