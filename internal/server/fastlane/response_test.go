package fastlane

import (
	"strings"
	"testing"
	"time"
)

func TestResponseFields(t *testing.T) {
	var f Fields
	f.Add("Location", "https://example.com/a.pdf")
	f.Add("X-Cache", "hit")

	var r Response
	r.Status = 302
	r.SetFields(f)
	r.Set("X-Request-Id", "abc")
	if !r.valid() {
		t.Fatal("valid answer refused")
	}
	got := string(r.appendTo(nil, false, false, time.Unix(0, 0)))
	want := "HTTP/1.1 302 Found\r\nLocation: https://example.com/a.pdf\r\nX-Cache: hit\r\nX-Request-Id: abc\r\n" +
		"Date: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 0\r\n\r\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}

	// A field that does not belong in a header voids the answer, whether
	// set directly or through a block.
	var bad Fields
	bad.Add("Location", "https://example.com/\r\nSet-Cookie: x=1")
	bad.Add("X-Cache", "hit")
	r.Reset()
	r.Status = 302
	r.SetFields(bad)
	if r.valid() {
		t.Error("answer with a CRLF in a block accepted")
	}
	r.Reset()
	r.Status = 302
	r.Set("Bad Name", "x")
	if r.valid() || strings.Contains(string(r.fields), "Bad") {
		t.Error("answer with a bad field name accepted")
	}
}
