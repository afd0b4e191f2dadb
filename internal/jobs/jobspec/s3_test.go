package jobspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// The secrets of the S3 tests: distinctive, so that finding them anywhere
// means they leaked.
const (
	testSecret = "SECRET-wJalrXUtnFEMI-K7MDENG"
	testToken  = "TOKEN-FwoGZXIvYXdzEBYaDH"
)

// s3Task is an S3 task's body (without braces) with the credentials, plus
// extra fields.
func s3Task(op string, extra string) string {
	body := `"operation":"` + op + `","bucket":"media","access_key_id":"AKIDEXAMPLE","secret_access_key":"` + testSecret +
		`","session_token":"` + testToken + `"`
	if op == OpExportS3 {
		body += `,"input":"in"`
	}
	if extra != "" {
		body += "," + extra
	}
	return body
}

// parseS3Task decodes a job with the S3 task "s" and an import "in" it may
// read, and parses "s".
func parseS3Task(t *testing.T, op, extra string) (*S3, error) {
	t.Helper()
	j := mustDecode(t, job(imp, "s:"+s3Task(op, extra)))
	return ParseS3(j.Task("s"))
}

func TestParseS3Accepts(t *testing.T) {
	tests := []struct {
		name, op, extra string
		want            S3
	}{
		{"import key, defaults", OpImportS3, `"key":"in/a b.png"`,
			S3{Region: DefaultS3Region, Key: "in/a b.png"}},
		{"import prefix and region", OpImportS3, `"key_prefix":"in/","region":"eu-west-1"`,
			S3{Region: "eu-west-1", KeyPrefix: "in/"}},
		{"import whole bucket", OpImportS3, `"key_prefix":""`, S3{Region: DefaultS3Region}},
		{"import filename", OpImportS3, `"key":"k","filename":"report.pdf"`,
			S3{Region: DefaultS3Region, Key: "k", Filename: "report.pdf"}},
		{"empty region and endpoint are defaults", OpImportS3, `"key":"k","region":"","endpoint":""`,
			S3{Region: DefaultS3Region, Key: "k"}},
		{"export with everything", OpExportS3,
			`"key_prefix":"out/","acl":"public-read","cache_control":"max-age=60","content_type":"image/jpeg","metadata":{"Owner":"me","x-id":"7"}`,
			S3{Region: DefaultS3Region, KeyPrefix: "out/", ACL: "public-read", CacheControl: "max-age=60",
				ContentType: "image/jpeg", Metadata: map[string]string{"Owner": "me", "x-id": "7"}}},
		{"export key with placeholder", OpExportS3, `"key":"out/file-%d.jpg","acl":"bucket-owner-full-control"`,
			S3{Region: DefaultS3Region, Key: "out/file-%d.jpg", ACL: "bucket-owner-full-control"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseS3Task(t, tt.op, tt.extra)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Bucket, want.AccessKeyID, want.SecretAccessKey, want.SessionToken = "media", "AKIDEXAMPLE", testSecret, testToken
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("got  %#v\nwant %#v\n(fields: %q)", *got, want, fieldsOf(*got))
			}
		})
	}
}

// fieldsOf shows an S3's fields for a failed comparison (GoString hides
// the credentials, which is the point, and no use here).
func fieldsOf(s S3) string {
	type plain S3
	return fmt.Sprintf("%+v", plain(s))
}

func TestParseS3Endpoint(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://s3.example.com", "https://s3.example.com"},
		{"http://127.0.0.1:7070/", "http://127.0.0.1:7070"},
		{"nyc3.digitaloceanspaces.com", "https://nyc3.digitaloceanspaces.com"},
		{"HTTPS://S3.Example.com:8443", "https://S3.Example.com:8443"},
		{"http://[::1]:9000", "http://[::1]:9000"},
	}
	for _, tt := range tests {
		s, err := parseS3Task(t, OpImportS3, `"key":"k","endpoint":`+quoteString(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got := s.Endpoint.String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseS3Refuses(t *testing.T) {
	tests := []struct{ name, op, extra, want string }{
		{"no key", OpImportS3, ``, `import/s3 needs field "key" or "key_prefix"`},
		{"key and prefix", OpImportS3, `"key":"a","key_prefix":"b"`, `either "key" or "key_prefix"`},
		{"empty key", OpExportS3, `"key":""`, `field "key" must not be empty`},
		{"key not a string", OpImportS3, `"key":1`, `field "key" must be a string`},
		{"long key", OpImportS3, `"key":"` + strings.Repeat("k", 1025) + `"`, "at most 1024 bytes"},
		{"bad region", OpImportS3, `"key":"k","region":"eu-west-1.evil.com#"`, `field "region"`},
		{"ftp endpoint", OpImportS3, `"key":"k","endpoint":"ftp://s3.example.com"`, `field "endpoint" must be an http or https URL`},
		{"endpoint with path", OpImportS3, `"key":"k","endpoint":"https://s3.example.com/bucket"`, `field "endpoint"`},
		{"endpoint with query", OpImportS3, `"key":"k","endpoint":"https://s3.example.com?x=1"`, `field "endpoint"`},
		{"endpoint without host", OpImportS3, `"key":"k","endpoint":"https://"`, `field "endpoint"`},
		{"endpoint with credentials", OpImportS3, `"key":"k","endpoint":"https://user:` + testSecret + `@s3.example.com"`, `must not hold credentials`},
		{"endpoint not ASCII", OpImportS3, `"key":"k","endpoint":"https://s3.exämple.com"`, `punycode`},
		{"control character in key", OpImportS3, `"key":"a\nb"`, `field "key" must not contain control characters`},
		{"unknown acl", OpExportS3, `"key":"k","acl":"everyone"`, `field "acl" must be one of`},
		{"metadata not strings", OpExportS3, `"key":"k","metadata":{"a":1}`, `field "metadata" must be an object of strings`},
		{"metadata name", OpExportS3, `"key":"k","metadata":{"a b":"c"}`, `field "metadata" names must be`},
		{"metadata value", OpExportS3, `"key":"k","metadata":{"a":"caf\u00e9"}`, `field "metadata" values must be printable ASCII`},
		{"metadata too large", OpExportS3, `"key":"k","metadata":{"a":"` + strings.Repeat("v", 2048) + `"}`, "limit of 2048 bytes"},
		{"encryption not applied", OpExportS3, `"key":"k","server_side_encryption":"AES256"`, `field "server_side_encryption" of export/s3 is not supported`},
		{"tagging not applied", OpExportS3, `"key":"k","tagging":{"a":"b"}`, `field "tagging"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseS3Task(t, tt.op, tt.extra)
			wantS3Error(t, err, tt.want)
		})
	}
}

// TestParseS3RefusesFields covers what a task with the usual credentials
// cannot spell: missing, empty or malformed credentials and buckets.
func TestParseS3RefusesFields(t *testing.T) {
	tests := []struct{ name, task, want string }{
		{"no secret", `"operation":"import/s3","bucket":"b","key":"k","access_key_id":"a"`, `import/s3 needs field "secret_access_key"`},
		{"empty secret", `"operation":"import/s3","bucket":"b","key":"k","access_key_id":"a","secret_access_key":""`, `field "secret_access_key" must not be empty`},
		{"no access key", `"operation":"import/s3","bucket":"b","key":"k","secret_access_key":"s"`, `needs field "access_key_id"`},
		{"no bucket", `"operation":"import/s3","key":"k","access_key_id":"a","secret_access_key":"s"`, `needs field "bucket"`},
		{"bucket with slash", `"operation":"import/s3","bucket":"a/b","key":"k","access_key_id":"a","secret_access_key":"s"`, `field "bucket" must be a bucket name`},
		{"secret with CRLF", `"operation":"import/s3","bucket":"b","key":"k","access_key_id":"a","secret_access_key":"` + testSecret + `\r\nX: 1"`, `field "secret_access_key" must not contain control characters`},
		{"token not a string", `"operation":"import/s3","bucket":"b","key":"k","access_key_id":"a","secret_access_key":"s","session_token":{}`, `field "session_token" must be a string`},
		{"export without input", `"operation":"export/s3","bucket":"b","key":"k","access_key_id":"a","secret_access_key":"s"`, `export/s3 needs field "input"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustDecode(t, job(imp, "s:"+tt.task, exp))
			_, err := ParseS3(j.Task("s"))
			wantS3Error(t, err, tt.want)
			// Validate refuses the job the same way.
			if verr := Validate(j); verr == nil || verr.Error() != err.Error() {
				t.Errorf("Validate: %v, want %v", verr, err)
			}
		})
	}
}

func wantS3Error(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil, want an error containing %q", want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("got %q, want it to contain %q", err, want)
	}
	if !errors.Is(err, ErrInvalidData) {
		t.Errorf("got %#v, want an *Error", err)
	}
	if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows a credential: %q", err)
	}
}

// Printing or logging an S3, by value or pointer, never shows the
// credentials.
func TestS3HidesCredentials(t *testing.T) {
	s, err := parseS3Task(t, OpExportS3, `"key":"out/a.jpg","endpoint":"https://s3.example.com","metadata":{"a":"b"}`)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	log.Info("export", "s3", s, "s3v", *s)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("export", "s3", s)
	printed := fmt.Sprintf("%v %+v %#v %s %v %+v %#v", s, s, s, s, *s, *s, *s)
	for what, out := range map[string]string{"printed": printed, "logged": logged.String()} {
		if strings.Contains(out, testSecret) || strings.Contains(out, testToken) || strings.Contains(out, "AKIDEXAMPLE") {
			t.Errorf("%s: %s", what, out)
		}
		if !strings.Contains(out, "media") || !strings.Contains(out, "out/a.jpg") {
			t.Errorf("%s does not name the bucket and key: %s", what, out)
		}
	}
}

// FuzzParseS3: whatever the fields hold, ParseS3 does not panic, refuses
// with an *Error that quotes no value (the secret is a marker the messages
// cannot contain otherwise), and what it accepts is usable as is.
func FuzzParseS3(f *testing.F) {
	const marker = "SECRETMARKER"
	f.Add("import/s3", "media", "eu-west-1", "https://s3.example.com", "in/a.png", "", "", "")
	f.Add("export/s3", "media", "", "http://user:SECRETMARKER@h:1/", "", "out/", "public-read", `{"a":"b"}`)
	f.Add("export/s3", "a/b", "x#y", "SECRETMARKER", "SECRETMARKER", "SECRETMARKER", "SECRETMARKER", `{"SECRETMARKER":"\n"}`)
	f.Add("import/s3", "b", "r", "[::1]:80", "k", "p", "", `[]`)
	f.Fuzz(func(t *testing.T, op, bucket, region, endpoint, key, prefix, acl, metadata string) {
		fields := map[string]json.RawMessage{
			"access_key_id": raw(marker), "secret_access_key": raw(marker + "-secret"),
			"bucket": raw(bucket), "region": raw(region), "endpoint": raw(endpoint),
			"acl": raw(acl), "cache_control": raw(marker),
		}
		if key != "" {
			fields["key"] = raw(key)
		}
		if prefix != "" || key == "" {
			fields["key_prefix"] = raw(prefix)
		}
		if json.Valid([]byte(metadata)) {
			fields["metadata"] = json.RawMessage(metadata)
		}
		task := &Task{Name: "s", Operation: op, Input: []string{"in"}, Fields: fields}
		s, err := ParseS3(task)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if strings.Contains(err.Error(), marker) {
				t.Fatalf("error quotes a value: %q", err)
			}
			return
		}
		if !validBucket(s.Bucket) || !validRegion(s.Region) || (s.Key == "") != (key == "") {
			t.Fatalf("accepted %#v from bucket %q region %q key %q", fieldsOf(*s), bucket, region, key)
		}
		if e := s.Endpoint; e != nil {
			back, err := parseEndpoint(e.String())
			if err != nil || *back != *e || e.User != nil || e.Path != "" || (e.Scheme != "http" && e.Scheme != "https") {
				t.Fatalf("endpoint %q from %q: reparsed %v, %v", e, endpoint, back, err)
			}
		}
		for k, v := range s.Metadata {
			if !isToken(k) || hasControl(v) {
				t.Fatalf("metadata %q: %q accepted", k, v)
			}
		}
		if out := fmt.Sprintf("%v %+v %#v", s, *s, s); strings.Contains(out, marker) && !strings.Contains(bucket+key+prefix, marker) {
			t.Fatalf("printing shows a credential: %s", out)
		}
	})
}

func raw(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
