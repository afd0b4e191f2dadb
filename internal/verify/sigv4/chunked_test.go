package sigv4

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// The S3 API reference's chunked-upload examples ("Signature Calculations
// for the Authorization Header: Transferring Payload in Multiple Chunks"
// and "Signature calculations for trailing headers"): PUT
// /examplebucket/chunkObject.txt on s3.amazonaws.com, 66560 bytes of 'a'
// in a 65536-byte chunk, a 1024-byte chunk and the final empty one, with
// the published seed, chunk and trailer signatures.
type awsChunkedExample struct {
	mode, signedHeaders, seed string
	chunkSigs                 [3]string
	trailer, trailerSig       string
}

var (
	awsChunked = awsChunkedExample{
		mode:          StreamingSigned,
		signedHeaders: "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
		seed:          "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
		chunkSigs: [3]string{
			"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
			"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
			"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
		},
	}
	awsChunkedTrailer = awsChunkedExample{
		mode:          StreamingSignedTrailer,
		signedHeaders: "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
		seed:          "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
		chunkSigs: [3]string{
			"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
			"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
			"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
		},
		trailer:    "x-amz-checksum-crc32c:sOO8/Q==",
		trailerSig: "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435",
	}
	awsChunk1 = strings.Repeat("a", 65536)
	awsChunk2 = strings.Repeat("a", 1024)
)

const (
	awsExampleKeyID  = "AKIAIOSFODNN7EXAMPLE"
	awsExampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var awsExampleTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func (e awsChunkedExample) request() *Request {
	h := http.Header{
		"X-Amz-Date":                   {"20130524T000000Z"},
		"X-Amz-Storage-Class":          {"REDUCED_REDUNDANCY"},
		"X-Amz-Content-Sha256":         {e.mode},
		"Content-Encoding":             {"aws-chunked"},
		"X-Amz-Decoded-Content-Length": {"66560"},
		"Content-Length":               {"66824"},
		"Authorization": {Algorithm + " Credential=" + awsExampleKeyID + "/20130524/us-east-1/s3/aws4_request, " +
			"SignedHeaders=" + e.signedHeaders + ", Signature=" + e.seed},
	}
	if e.trailer != "" {
		h.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
	}
	return &Request{Method: "PUT", Host: "s3.amazonaws.com", EscapedPath: "/examplebucket/chunkObject.txt", Header: h}
}

func signedChunk(data, sig string) string {
	return strconv.FormatInt(int64(len(data)), 16) + ";chunk-signature=" + sig + "\r\n" + data + "\r\n"
}

func (e awsChunkedExample) body() string {
	b := signedChunk(awsChunk1, e.chunkSigs[0]) + signedChunk(awsChunk2, e.chunkSigs[1]) +
		"0;chunk-signature=" + e.chunkSigs[2] + "\r\n"
	if e.trailer != "" {
		b += e.trailer + "\r\n" + "x-amz-trailer-signature:" + e.trailerSig + "\r\n"
	}
	return b + "\r\n"
}

// verified parses and verifies the example's request: its seed signature.
func (e awsChunkedExample) verified(t *testing.T) *Auth {
	t.Helper()
	a, err := parseVerify(e.request(), awsExampleSecret, "us-east-1", awsExampleTime)
	if err != nil {
		t.Fatalf("seed signature: %v", err)
	}
	return a
}

func TestChunkedAWSExamples(t *testing.T) {
	for _, e := range []awsChunkedExample{awsChunked, awsChunkedTrailer} {
		t.Run(e.mode, func(t *testing.T) {
			a := e.verified(t)
			if len(e.body()) != 66824 && e.trailer == "" {
				t.Fatalf("framed body is %d bytes, the example says Content-Length 66824", len(e.body()))
			}
			readers := map[string]func(io.Reader) io.Reader{
				"whole":    func(r io.Reader) io.Reader { return r },
				"one byte": iotest.OneByteReader,
				"half":     iotest.HalfReader,
			}
			for name, wrap := range readers {
				cr := NewChunkedReader(wrap(strings.NewReader(e.body())), a, awsExampleSecret, "us-east-1", e.mode, 66560)
				got, err := io.ReadAll(cr)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if string(got) != awsChunk1+awsChunk2 {
					t.Errorf("%s: decoded %d bytes, want 66560 bytes of 'a'", name, len(got))
				}
				if e.trailer != "" {
					if v := cr.Trailer().Get("X-Amz-Checksum-Crc32c"); v != "sOO8/Q==" {
						t.Errorf("%s: trailer %v", name, cr.Trailer())
					}
				}
			}
		})
	}
	// The published trailer is the real CRC32C of the body.
	sum := crc32.Checksum([]byte(awsChunk1+awsChunk2), crc32.MakeTable(crc32.Castagnoli))
	if got := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)}); got != "sOO8/Q==" {
		t.Errorf("crc32c of the example body: %s", got)
	}
}

func TestChunkedRefusesTampering(t *testing.T) {
	e := awsChunked
	sigs := e.chunkSigs
	final := "0;chunk-signature=" + sigs[2] + "\r\n\r\n"
	good := e.body()
	tests := []struct {
		name, body string
		want       error
	}{
		{"a data byte changed", strings.Replace(good, "a\r\n400;", "b\r\n400;", 1), ErrSignatureDoesNotMatch},
		{"a chunk signature changed", strings.Replace(good, sigs[1], strings.Repeat("0", 64), 1), ErrSignatureDoesNotMatch},
		{"a chunk signature missing", strings.Replace(good, "400;chunk-signature="+sigs[1], "400", 1), ErrSignatureDoesNotMatch},
		{"the final signature changed", strings.Replace(good, sigs[2], sigs[1], 1), ErrSignatureDoesNotMatch},
		{"chunks swapped", signedChunk(awsChunk2, sigs[1]) + signedChunk(awsChunk1, sigs[0]) + final, ErrSignatureDoesNotMatch},
		{"a chunk dropped", signedChunk(awsChunk1, sigs[0]) + final, ErrSignatureDoesNotMatch},
		{"a chunk added", signedChunk(awsChunk1, sigs[0]) + signedChunk(awsChunk2, sigs[1]) + signedChunk("a", sigs[2]) + final, ErrSignatureDoesNotMatch},
		{"cut in a chunk", good[:1000], ErrIncompleteBody},
		{"cut after a chunk", signedChunk(awsChunk1, sigs[0]), ErrIncompleteBody},
		{"cut before the last CRLF", strings.TrimSuffix(good, "\r\n"), ErrIncompleteBody},
		{"no CRLF after the data", strings.Replace(good, "a\r\n400;", "aX\n400;", 1), ErrChunkMalformed},
		{"a trailer on a form without", strings.TrimSuffix(good, "\r\n") + "x-amz-checksum-crc32:AAAAAA==\r\n\r\n", ErrChunkMalformed},
		{"size not hex", strings.Replace(good, "400;", "4g0;", 1), ErrChunkMalformed},
		{"size overflows", strings.Replace(good, "400;", "1000000000000000;", 1), ErrChunkMalformed},
	}
	a := e.verified(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := io.ReadAll(NewChunkedReader(strings.NewReader(tc.body), a, awsExampleSecret, "us-east-1", e.mode, -1))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name   string
		length int64
		want   error
	}{{"shorter than declared", 66561, ErrIncompleteBody}, {"longer than declared", 66559, ErrDecodedLengthExceeded}} {
		_, err := io.ReadAll(NewChunkedReader(strings.NewReader(good), a, awsExampleSecret, "us-east-1", e.mode, tc.length))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// Another secret breaks the first chunk already.
	_, err := io.ReadAll(NewChunkedReader(strings.NewReader(good), a, awsExampleSecret+"x", "us-east-1", e.mode, -1))
	if !errors.Is(err, ErrSignatureDoesNotMatch) {
		t.Errorf("another secret: got %v", err)
	}
	// A mode other than the signed one is refused before any byte.
	for _, mode := range []string{StreamingUnsignedTrailer, UnsignedPayload, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"} {
		n, err := NewChunkedReader(strings.NewReader(good), a, awsExampleSecret, "us-east-1", mode, -1).Read(make([]byte, 10))
		if n != 0 || !errors.Is(err, ErrNotChunked) {
			t.Errorf("mode %s: got %d, %v; want ErrNotChunked", mode, n, err)
		}
	}
}

func TestChunkedRefusesTrailerTampering(t *testing.T) {
	e := awsChunkedTrailer
	good := e.body()
	sigLine := "x-amz-trailer-signature:" + e.trailerSig + "\r\n"
	tests := []struct {
		name, body string
		want       error
	}{
		{"the checksum changed", strings.Replace(good, "sOO8/Q==", "AAAAAA==", 1), ErrSignatureDoesNotMatch},
		{"a trailer added", strings.Replace(good, e.trailer+"\r\n", e.trailer+"\r\nx-amz-meta-x:1\r\n", 1), ErrSignatureDoesNotMatch},
		{"the trailer dropped", strings.Replace(good, e.trailer+"\r\n", "", 1), ErrSignatureDoesNotMatch},
		{"the signature changed", strings.Replace(good, e.trailerSig, e.seed, 1), ErrSignatureDoesNotMatch},
		{"the signature missing", strings.Replace(good, sigLine, "", 1), ErrSignatureDoesNotMatch},
		{"a trailer after the signature", strings.Replace(good, sigLine, sigLine+"x-amz-meta-x:1\r\n", 1), ErrChunkMalformed},
		{"a trailer without colon", strings.Replace(good, e.trailer, "x-amz-checksum-crc32c", 1), ErrChunkMalformed},
	}
	a := e.verified(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := io.ReadAll(NewChunkedReader(strings.NewReader(tc.body), a, awsExampleSecret, "us-east-1", e.mode, -1))
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// writeUnsignedTrailer frames data as STREAMING-UNSIGNED-PAYLOAD-TRAILER
// with a CRC32 trailer, as the SDKs' flexible-checksum uploads do.
func writeUnsignedTrailer(data []byte, chunk int) string {
	var b strings.Builder
	for len(data) > 0 {
		n := min(chunk, len(data))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, data[:n])
		data = data[n:]
	}
	return b.String() + "0\r\n"
}

func crc32Trailer(data []byte) string {
	sum := crc32.ChecksumIEEE(data)
	return "x-amz-checksum-crc32:" + base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)}) + "\r\n"
}

func TestChunkedUnsignedTrailer(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 5000)
	for _, chunk := range []int{1, 7, 8192, 65536, len(data) + 1} {
		body := writeUnsignedTrailer(data, chunk) + crc32Trailer(data) + "\r\n"
		cr := NewChunkedReader(iotest.HalfReader(strings.NewReader(body)), nil, "", "us-east-1", StreamingUnsignedTrailer, int64(len(data)))
		got, err := io.ReadAll(cr)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("chunk %d: got %d bytes, %v", chunk, len(got), err)
		}
		want := crc32Trailer(data)
		want = strings.TrimSuffix(want[len("x-amz-checksum-crc32:"):], "\r\n")
		if v := cr.Trailer().Get("X-Amz-Checksum-Crc32"); v != want {
			t.Errorf("chunk %d: trailer %v, want crc32 %s", chunk, cr.Trailer(), want)
		}
	}
	// No trailer at all, and an empty body.
	for _, body := range []string{"0\r\n\r\n", "3\r\nabc\r\n0\r\n\r\n"} {
		cr := NewChunkedReader(strings.NewReader(body), nil, "", "", StreamingUnsignedTrailer, -1)
		if _, err := io.ReadAll(cr); err != nil || cr.Trailer() != nil {
			t.Errorf("%q: %v, trailer %v", body, err, cr.Trailer())
		}
	}
}

func TestChunkedBounds(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
	}{
		{"endless size line", strings.Repeat("0", 1<<20), ErrChunkMalformed},
		{"endless chunk extension", "3;" + strings.Repeat("x", 1<<20) + "\r\nabc\r\n0\r\n\r\n", ErrChunkMalformed},
		{"huge trailers", "0\r\n" + strings.Repeat("x-amz-meta-a:"+strings.Repeat("b", 1000)+"\r\n", 100) + "\r\n", ErrTrailerTooLarge},
		{"trailer line too long", "0\r\nx-amz-meta-a:" + strings.Repeat("b", 1<<20) + "\r\n\r\n", ErrChunkMalformed},
		{"empty", "", ErrIncompleteBody},
		{"no size", "\r\n", ErrChunkMalformed},
	}
	for _, tc := range tests {
		_, err := io.ReadAll(NewChunkedReader(strings.NewReader(tc.body), nil, "", "", StreamingUnsignedTrailer, -1))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestPayloadReader(t *testing.T) {
	body := "Welcome to Amazon S3."
	const sum = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
	for _, want := range []string{sum, strings.ToUpper(sum)} {
		got, err := io.ReadAll(NewPayloadReader(iotest.OneByteReader(strings.NewReader(body)), want))
		if err != nil || string(got) != body {
			t.Errorf("%s: got %q, %v", want, got, err)
		}
	}
	if _, err := io.ReadAll(NewPayloadReader(strings.NewReader(body+"!"), sum)); !errors.Is(err, ErrContentSHA256Mismatch) {
		t.Errorf("another body: got %v, want ErrContentSHA256Mismatch", err)
	}
	if _, err := io.ReadAll(NewPayloadReader(strings.NewReader(body), "nothex")); !errors.Is(err, ErrInvalidContentSHA256) {
		t.Errorf("invalid hash: got %v", err)
	}
	// An error of the body passes through, it is not a mismatch.
	if _, err := io.ReadAll(NewPayloadReader(iotest.ErrReader(io.ErrUnexpectedEOF), sum)); err != io.ErrUnexpectedEOF {
		t.Errorf("body error: got %v", err)
	}
}
