package fastlane

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Response is the lane's answer: a status and header fields, no body.
type Response struct {
	Status int
	fields []byte // "Name: value\r\n" lines
	bad    bool
}

// Set adds a header field. A name or value that does not belong in a
// header makes the whole answer void: the request then goes to net/http.
func (r *Response) Set(name, value string) {
	r.fields, r.bad = appendField(r.fields, r.bad, name, value)
}

// SetFields adds a block of fields built and checked before: an answer
// given again and again need not check its fields every time.
func (r *Response) SetFields(f Fields) {
	r.fields = append(r.fields, f.b...)
	r.bad = r.bad || f.bad
}

// Fields is a block of header fields for Response.SetFields. The zero
// value is empty.
type Fields struct {
	b   []byte
	bad bool
}

// Add appends a field, checked as Response.Set checks it.
func (f *Fields) Add(name, value string) {
	f.b, f.bad = appendField(f.b, f.bad, name, value)
}

func appendField(b []byte, bad bool, name, value string) ([]byte, bool) {
	if bad || !token(name) || !fieldValue(value) {
		return b, true
	}
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...), false
}

// Reset empties r for the next answer, keeping its buffer.
func (r *Response) Reset() {
	r.Status, r.fields, r.bad = 0, r.fields[:0], false
}

// valid reports whether r can be written as it is.
func (r *Response) valid() bool {
	return !r.bad && r.Status >= 200 && r.Status <= 599 && http.StatusText(r.Status) != ""
}

// appendTo writes r as net/http would for a handler that set these fields
// and the status and wrote no body: with a Content-Length of 0, except in
// the answer to a HEAD.
func (r *Response) appendTo(b []byte, head, closeConn bool, now time.Time) []byte {
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(r.Status)...)
	b = append(b, "\r\n"...)
	b = append(b, r.fields...)
	if closeConn {
		b = append(b, "Connection: close\r\n"...)
	}
	b = append(b, "Date: "...)
	b = append(b, httpDate(now)...)
	if head {
		return append(b, "\r\n\r\n"...)
	}
	return append(b, "\r\nContent-Length: 0\r\n\r\n"...)
}

// The Date header changes once a second; format it once a second.
type dateCache struct {
	unix int64
	text string
}

var lastDate atomic.Pointer[dateCache]

func httpDate(now time.Time) string {
	sec := now.Unix()
	if d := lastDate.Load(); d != nil && d.unix == sec {
		return d.text
	}
	d := &dateCache{unix: sec, text: now.UTC().Format(http.TimeFormat)}
	lastDate.Store(d)
	return d.text
}
