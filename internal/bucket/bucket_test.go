package bucket

import (
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/objects"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"films", true}, {"a", true}, {"a-1", true}, {strings.Repeat("a", 63), true},
		{"", false}, {"-a", false}, {"a-", false}, {"A", false}, {"a_b", false}, {"a.b", false},
		{strings.Repeat("a", 64), false}, {"a/b", false}, {"..", false},
	} {
		if got := ValidateName(tc.name) == nil; got != tc.ok {
			t.Errorf("ValidateName(%q): got ok=%v, want %v", tc.name, got, tc.ok)
		}
	}
}

func TestNormalizeOrigin(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		in, want string
	}{
		{"file://" + dir, "file://" + dir},
		{"file://" + dir + "/", "file://" + dir},
		{"file://localhost" + dir, "file://" + dir},
		{"http://host:8080/prefix/", "http://host:8080/prefix"},
		{"https://cdn.example.com", "https://cdn.example.com"},
		{"https://cdn.example.com/a%20b", "https://cdn.example.com/a%20b"},
	} {
		got, err := NormalizeOrigin(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeOrigin(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "file://relative", "file:///no/such/dir/anywhere", "file://other-host/srv",
		"ftp://h/x", "http://", "https://u:p@h/x", "http://h/x?q=1", "http://h/x#f", "javascript:alert(1)", "/srv/media"} {
		if got, err := NormalizeOrigin(bad); err == nil {
			t.Errorf("NormalizeOrigin(%q): got %q, want an error", bad, got)
		}
	}
}

func FuzzNormalizeOrigin(f *testing.F) {
	for _, s := range []string{"file:///tmp", "http://h/p", "https://h:1/a%2Fb/", "file://h/x", "http://[::1]/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeOrigin(in)
		if err != nil {
			return
		}
		// Accepted origins are canonical: normalising again changes nothing.
		again, err := NormalizeOrigin(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeOrigin(%q) = %q, then %q, %v", in, got, again, err)
		}
	})
}

// A bucket's "s3" settings override the gateway's defaults one by one; its
// access key brings its own secret.
func TestS3Config(t *testing.T) {
	defaults := objects.S3Config{Endpoint: "http://default:9000", Region: "eu-west-1", ForcePathStyle: true,
		AccessKeyID: "DEFAULTKEY", SecretAccessKey: "default-secret"}
	no := false
	for _, tc := range []struct {
		name string
		b    Bucket
		want objects.S3Config
	}{
		{"defaults", Bucket{Origin: "s3://media/films"},
			objects.S3Config{Bucket: "media", Prefix: "films", Endpoint: "http://default:9000", Region: "eu-west-1",
				ForcePathStyle: true, AccessKeyID: "DEFAULTKEY", SecretAccessKey: "default-secret"}},
		{"own settings", Bucket{Origin: "s3://media", S3: &S3{Endpoint: "https://s3.example.com", Region: "us-east-2",
			ForcePathStyle: &no, AccessKeyID: "OWNKEY", SecretAccessKey: "own-secret"}},
			objects.S3Config{Bucket: "media", Endpoint: "https://s3.example.com", Region: "us-east-2",
				AccessKeyID: "OWNKEY", SecretAccessKey: "own-secret"}},
		{"region only", Bucket{Origin: "s3://media/a/b", S3: &S3{Region: "ap-south-1"}},
			objects.S3Config{Bucket: "media", Prefix: "a/b", Endpoint: "http://default:9000", Region: "ap-south-1",
				ForcePathStyle: true, AccessKeyID: "DEFAULTKEY", SecretAccessKey: "default-secret"}},
	} {
		got := tc.b.S3Config(defaults)
		if got.HTTPClient != nil || got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestNormalizeCacheControl(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "",
		"  public, max-age=3600  ":              "public, max-age=3600",
		`public, max-age=60, no-transform`:      `public, max-age=60, no-transform`,
		strings.Repeat("x", MaxCacheControlLen): strings.Repeat("x", MaxCacheControlLen),
	} {
		if got, err := NormalizeCacheControl(in); err != nil || got != want {
			t.Errorf("NormalizeCacheControl(%q): got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"public\r\nSet-Cookie: a=b", "public\x00", "max-âge=1", "public,\tprivate", "a\x7f",
		strings.Repeat("x", MaxCacheControlLen+1)} {
		if got, err := NormalizeCacheControl(bad); err == nil {
			t.Errorf("NormalizeCacheControl(%q): got %q, want an error", bad, got)
		}
	}
}
