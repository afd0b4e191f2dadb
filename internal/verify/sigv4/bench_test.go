package sigv4

import (
	"net/http"
	"testing"
)

// The hot path of a presigned GET: Parse then Verify of the SDK's URL.
func BenchmarkVerifyPresigned(b *testing.B) {
	v := loadVectors(b)
	tc := v.Vectors[0]
	req := requestFor(b, tc.Method, tc.URL, nil)
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(req)
		if err != nil {
			b.Fatal(err)
		}
		if err := Verify(req, a, v.SecretAccessKey, v.Region, testTime); err != nil {
			b.Fatal(err)
		}
	}
}

// The hot path of an SDK client's GET with a Range.
func BenchmarkVerifyHeader(b *testing.B) {
	h := http.Header{"Range": {"bytes=0-1048575"}, "User-Agent": {"aws-sdk-go-v2/1.0"}}
	if err := SignHeaders(h, "GET", testURL, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		testKeyID, testSecret, testRegion, testTime); err != nil {
		b.Fatal(err)
	}
	req := requestFor(b, "GET", testURL, h)
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(req)
		if err != nil {
			b.Fatal(err)
		}
		if err := Verify(req, a, testSecret, testRegion, testTime); err != nil {
			b.Fatal(err)
		}
	}
}
