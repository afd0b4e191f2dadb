package uploadsig

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/verify"
)

func TestParseDeliveryPath(t *testing.T) {
	tests := []struct {
		name string
		path string
		want DeliveryPath
	}{
		{
			name: "signed, transformation, no version",
			path: "/demo/image/upload/s--m_vGKjpX--/c_fill,h_200,w_300/sample.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload", Signature: "m_vGKjpX",
				Transformation: []string{"c_fill,h_200,w_300"}, PublicID: "sample.jpg"},
		},
		{
			name: "chained transformation and version",
			path: "/demo/image/authenticated/s--14c7fXBP--/c_scale,w_100/e_sepia/v1315060510/sample.png",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "authenticated", Signature: "14c7fXBP",
				Transformation: []string{"c_scale,w_100", "e_sepia"}, Version: "1315060510", PublicID: "sample.png"},
		},
		{
			name: "unsigned, bare public id",
			path: "/demo/image/upload/sample.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload", PublicID: "sample.jpg"},
		},
		{
			name: "leading slash optional",
			path: "demo/raw/upload/v1/notes.txt",
			want: DeliveryPath{Cloud: "demo", ResourceType: "raw", Type: "upload", Version: "1", PublicID: "notes.txt"},
		},
		{
			name: "folders after the version",
			path: "/demo/image/upload/w_100/v1/dogs/2024/rex.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload",
				Transformation: []string{"w_100"}, Version: "1", PublicID: "dogs/2024/rex.jpg"},
		},
		{
			name: "folders without version",
			path: "/demo/image/upload/c_fill,w_100/dogs/rex.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload",
				Transformation: []string{"c_fill,w_100"}, PublicID: "dogs/rex.jpg"},
		},
		{
			name: "folder named like a version inside the public id",
			path: "/demo/image/upload/dogs/v2/rex.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload", PublicID: "dogs/v2/rex.jpg"},
		},
		{
			name: "only the first version segment is the version",
			path: "/demo/image/upload/v5/archive/v2/rex.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload", Version: "5", PublicID: "archive/v2/rex.jpg"},
		},
		{
			name: "folder with a long key is not a transformation",
			path: "/demo/image/upload/summer_2020/beach.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload", PublicID: "summer_2020/beach.jpg"},
		},
		{
			name: "variables and conditions are transformations",
			path: "/demo/image/upload/$w_100,if_w_gt_200/w_$w/cat.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload",
				Transformation: []string{"$w_100,if_w_gt_200", "w_$w"}, PublicID: "cat.jpg"},
		},
		{
			name: "a transformation-looking last segment is the public id",
			path: "/demo/image/upload/w_100/c_fill.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload",
				Transformation: []string{"w_100"}, PublicID: "c_fill.jpg"},
		},
		{
			name: "a version-looking last segment is the public id",
			path: "/demo/raw/upload/v123",
			want: DeliveryPath{Cloud: "demo", ResourceType: "raw", Type: "upload", PublicID: "v123"},
		},
		{
			name: "percent-encoding kept",
			path: "/demo/image/upload/v1/my%20dog%2Fsub.jpg",
			want: DeliveryPath{Cloud: "demo", ResourceType: "image", Type: "upload", Version: "1", PublicID: "my%20dog%2Fsub.jpg"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDeliveryPath(tc.path)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if s := got.String(); s != "/"+strings.TrimPrefix(tc.path, "/") {
				t.Errorf("String: got %q, want %q", s, tc.path)
			}
		})
	}
}

func TestParseDeliveryPathRejects(t *testing.T) {
	for _, path := range []string{
		"",
		"/",
		"/demo/image/upload",
		"/demo/image/upload/",
		"/demo/image/upload/s--abcdefgh--",
		"/demo/image/upload/s----/sample.jpg",
		"/demo//upload/sample.jpg",
		"/demo/image/upload/w_100//sample.jpg",
		"/demo/image/upload/../private/sample.jpg",
		"/demo/image/upload/./sample.jpg",
	} {
		t.Run(path, func(t *testing.T) {
			if d, err := ParseDeliveryPath(path); !errors.Is(err, ErrMalformedPath) {
				t.Errorf("got %+v, %v; want ErrMalformedPath", d, err)
			}
		})
	}
}

func TestVerifyDelivery(t *testing.T) {
	const signed = "c_scale,w_100/e_sepia/sample.png"
	short := SignDelivery(signed, testSecret, SHA1)
	long := SignDelivery(signed, testSecret, SHA256)
	if len(short) != 8 || len(long) != 32 {
		t.Fatalf("signature lengths: got %d and %d, want 8 and 32", len(short), len(long))
	}
	tests := []struct {
		name    string
		signed  string
		sig     string
		secret  string
		wantErr bool
	}{
		{"short", signed, short, testSecret, false},
		{"long", signed, long, testSecret, false},
		{"vector", signed, "14c7fXBP", testSecret, false},
		{"wrong secret", signed, short, "abce", true},
		{"tampered transformation", "c_scale,w_1000/e_sepia/sample.png", short, testSecret, true},
		{"version is not signed, so adding it breaks the signature", "c_scale,w_100/e_sepia/v1/sample.png", short, testSecret, true},
		{"case matters in base64", signed, strings.ToUpper(short), testSecret, true},
		{"truncated", signed, short[:7], testSecret, true},
		{"full base64 digest", signed, SignDelivery(signed, testSecret, SHA1) + "O6PCz3aA", testSecret, true},
		{"empty", signed, "", testSecret, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyDelivery(tc.signed, tc.sig, tc.secret)
			if !tc.wantErr {
				if err != nil {
					t.Errorf("got error %v, want nil", err)
				}
				return
			}
			var e *verify.Refusal
			if !errors.As(err, &e) || e.Status() != http.StatusUnauthorized {
				t.Errorf("got %v, want a 401 refusal", err)
			}
		})
	}
}

// The signature covers the public id as it appears in the URL, so a decoded
// spelling of the same id must not verify.
func TestVerifyDeliveryUsesEncodedPublicID(t *testing.T) {
	d, err := ParseDeliveryPath("/demo/image/upload/w_100/v1/my%20dog.jpg")
	if err != nil {
		t.Fatal(err)
	}
	sig := SignDelivery("w_100/my%20dog.jpg", testSecret, SHA1)
	if err := VerifyDelivery(d.SignedPart(), sig, testSecret); err != nil {
		t.Errorf("encoded form: got error %v, want nil", err)
	}
	if err := VerifyDelivery("w_100/my dog.jpg", sig, testSecret); err == nil {
		t.Error("decoded form: got nil, want error")
	}
}
