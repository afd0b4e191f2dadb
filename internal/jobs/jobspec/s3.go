package jobspec

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// S3 is the bucket side of an import/s3 or export/s3 task, read from its
// fields as CloudConvert names them. The credentials are the job's own:
// String, GoString and LogValue leave them out, so that printing or
// logging an S3 cannot show them, and no error of ParseS3 quotes any
// field's value.
type S3 struct {
	Bucket string
	// Region is the bucket's region; it names AWS's endpoint when
	// Endpoint is nil, and signs every request.
	Region string
	// Endpoint is the base URL (scheme and host) of an S3-compatible
	// server; nil means AWS.
	Endpoint *url.URL
	// Key names one object. When it is empty, KeyPrefix applies: import
	// reads every object under it, export writes each file at KeyPrefix
	// followed by the file's name. KeyPrefix may be empty (the whole
	// bucket).
	Key, KeyPrefix string

	AccessKeyID, SecretAccessKey, SessionToken string

	// Filename (import/s3 with a key) names the imported file.
	Filename string

	// ACL, CacheControl, ContentType and Metadata (export/s3) go with each
	// object written.
	ACL, CacheControl, ContentType string
	Metadata                       map[string]string
}

// DefaultS3Region is the region of an S3 task that names none, as the AWS
// SDKs default to it.
const DefaultS3Region = "us-east-1"

// S3ACLs are the canned ACLs S3 knows, which export/s3's acl may name.
var S3ACLs = []string{
	"private", "public-read", "public-read-write", "authenticated-read",
	"aws-exec-read", "bucket-owner-read", "bucket-owner-full-control",
}

// maxS3Metadata is S3's limit on the user metadata of an object: the
// bytes of its names and values together.
const maxS3Metadata = 2048

// unsupportedS3Export are CloudConvert's export/s3 fields this gateway does
// not apply. They are refused rather than ignored: a job asking for
// encryption must not write the object unencrypted.
var unsupportedS3Export = []string{"content_disposition", "server_side_encryption", "tagging"}

// ParseS3 reads the fields of an import/s3 or export/s3 task. Its errors
// are *Error and name fields, never their values: those may be secrets.
func ParseS3(t *Task) (*S3, error) {
	fail := func(format string, args ...any) (*S3, error) {
		return nil, taskErrorf(t.Name, format, args...)
	}
	export := t.Operation == OpExportS3
	if !export && t.Operation != OpImportS3 {
		return fail("%s is not an S3 operation", t.Operation)
	}
	s := &S3{Region: DefaultS3Region}
	var err error
	str := func(field string, required bool, dst *string) {
		if err != nil {
			return
		}
		v, ok := t.String(field)
		switch {
		case !ok && t.Has(field):
			err = taskErrorf(t.Name, "field %q must be a string", field)
		case !ok && required:
			err = taskErrorf(t.Name, "%s needs field %q", t.Operation, field)
		case hasControl(v):
			err = taskErrorf(t.Name, "field %q must not contain control characters", field)
		case ok && required && v == "":
			err = taskErrorf(t.Name, "field %q must not be empty", field)
		case ok:
			*dst = v
		}
	}
	var endpoint string
	str("bucket", true, &s.Bucket)
	str("region", false, &s.Region)
	str("endpoint", false, &endpoint)
	str("key", false, &s.Key)
	str("key_prefix", false, &s.KeyPrefix)
	str("access_key_id", true, &s.AccessKeyID)
	str("secret_access_key", true, &s.SecretAccessKey)
	str("session_token", false, &s.SessionToken)
	if export {
		str("acl", false, &s.ACL)
		str("cache_control", false, &s.CacheControl)
		str("content_type", false, &s.ContentType)
	} else {
		str("filename", false, &s.Filename)
	}
	if err != nil {
		return nil, err
	}

	if s.Region == "" {
		s.Region = DefaultS3Region
	}
	if !validBucket(s.Bucket) {
		return fail(`field "bucket" must be a bucket name: 1 to 255 letters, digits, ".", "-" or "_"`)
	}
	if !validRegion(s.Region) {
		return fail(`field "region" must be a region name such as "eu-west-1": 1 to 64 letters, digits, "-" or "_"`)
	}
	if t.Has("endpoint") && endpoint != "" {
		if s.Endpoint, err = parseEndpoint(endpoint); err != nil {
			return fail(`field "endpoint" %s`, err.Error())
		}
	}
	switch {
	case t.Has("key") && t.Has("key_prefix"):
		return fail(`set either "key" or "key_prefix", not both`)
	case t.Has("key") && s.Key == "":
		return fail(`field "key" must not be empty`)
	case !t.Has("key") && !t.Has("key_prefix"):
		return fail(`%s needs field "key" or "key_prefix"`, t.Operation)
	case len(s.Key) > maxKeyLen || len(s.KeyPrefix) > maxKeyLen:
		return fail("an object key is at most %d bytes", maxKeyLen)
	}
	if !export {
		return s, nil
	}

	if len(t.Input) == 0 {
		return fail(`export/s3 needs field "input"`)
	}
	if err := oneOf(t, "acl", S3ACLs...); err != nil {
		return nil, err
	}
	for _, f := range unsupportedS3Export {
		if t.Has(f) {
			return fail("field %q of export/s3 is not supported by this gateway", f)
		}
	}
	if raw := t.Raw("metadata"); raw != nil {
		if s.Metadata, err = parseMetadata(raw); err != nil {
			return fail(`field "metadata" %s`, err.Error())
		}
	}
	return s, nil
}

// maxKeyLen is S3's limit on a key, in bytes.
const maxKeyLen = 1024

// validBucket allows the names S3 and its look-alikes use (AWS's older
// buckets have capitals and underscores); none can leave the host label or
// the path segment it goes into.
func validBucket(b string) bool {
	if b == "" || len(b) > 255 {
		return false
	}
	for i := 0; i < len(b); i++ {
		if c := b[i]; !(isAlnum(c) || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return b != "." && b != ".."
}

// validRegion: a region goes into AWS's host names and into every
// signature, so it is a plain label.
func validRegion(r string) bool {
	if r == "" || len(r) > 64 {
		return false
	}
	for i := 0; i < len(r); i++ {
		if c := r[i]; !(isAlnum(c) || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// hasControl reports a control character, which could split the header a
// value is sent in.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

// parseEndpoint reads an S3-compatible server's base URL: http or https
// and a host, with an optional port and nothing else. A bare host means
// https. International names must be given in punycode: the address
// policy checks the host exactly as it is dialled. Its errors complete
// `field "endpoint" ...` and never quote the value, which could hold
// credentials (user:password@host).
func parseEndpoint(raw string) (*url.URL, error) {
	const shape = "must be an http or https URL of a host, such as https://s3.example.com"
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s", shape)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%s", shape)
	case u.User != nil:
		return nil, fmt.Errorf("must not hold credentials; use access_key_id and secret_access_key")
	case u.Opaque != "" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("%s", shape)
	}
	host := u.Hostname()
	for i := 0; i < len(host); i++ {
		if c := host[i]; !(isAlnum(c) || c == '.' || c == '-' || c == ':' || c == '_') {
			return nil, fmt.Errorf("must name its host in ASCII (punycode for international names)")
		}
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

// parseMetadata reads an object of strings. S3 sends metadata as HTTP
// headers (x-amz-meta-<name>), so names are header tokens and values
// printable ASCII. Its errors complete `field "metadata" ...`.
func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	var m map[string]string
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, fmt.Errorf("must be an object of strings")
	}
	size := 0
	for k, v := range m {
		if !isToken(k) {
			return nil, fmt.Errorf("names must be letters, digits and -_.!#$%%&'*+^`|~")
		}
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] > 0x7e {
				return nil, fmt.Errorf("values must be printable ASCII")
			}
		}
		size += len(k) + len(v)
	}
	if size > maxS3Metadata {
		return nil, fmt.Errorf("is larger than S3's limit of %d bytes", maxS3Metadata)
	}
	return m, nil
}

// isToken reports an HTTP token (RFC 9110 section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// String names the bucket and key, never the credentials.
func (s S3) String() string {
	where := "key " + quoteString(s.Key)
	if s.Key == "" {
		where = "key_prefix " + quoteString(s.KeyPrefix)
	}
	return "s3 bucket " + quoteString(s.Bucket) + " " + where
}

// GoString is String, so %#v cannot print the credentials either.
func (s S3) GoString() string { return s.String() }

// LogValue logs the location, never the credentials.
func (s S3) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("bucket", s.Bucket), slog.String("region", s.Region)}
	if s.Endpoint != nil {
		attrs = append(attrs, slog.String("endpoint", s.Endpoint.String()))
	}
	if s.Key != "" {
		attrs = append(attrs, slog.String("key", s.Key))
	} else {
		attrs = append(attrs, slog.String("key_prefix", s.KeyPrefix))
	}
	return slog.GroupValue(attrs...)
}

func quoteString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
