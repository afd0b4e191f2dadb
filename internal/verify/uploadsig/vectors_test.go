package uploadsig

import (
	"encoding/json"
	"net/url"
	"os"
	"strconv"
	"testing"
)

// vectors mirrors testdata/cloudinary.json, produced by the official SDKs.
type vectors struct {
	UploadSignatures []struct {
		Name             string            `json:"name"`
		WireParams       map[string]string `json:"wire_params"`
		Secret           string            `json:"secret"`
		SignatureVersion int               `json:"signature_version"`
		StringToSign     string            `json:"string_to_sign"`
		Signature        string            `json:"signature"`
	} `json:"upload_signatures"`
	DeliveryURLs []struct {
		PublicID     string `json:"public_id"`
		Secret       string `json:"secret"`
		CloudName    string `json:"cloud_name"`
		URL          string `json:"url"`
		SignedString string `json:"signed_string"`
		Algorithm    string `json:"algorithm"`
		Signature    string `json:"signature"`
	} `json:"delivery_urls"`
	ResponseSignature struct {
		PublicID     string `json:"public_id"`
		Version      int64  `json:"version"`
		Secret       string `json:"secret"`
		StringToSign string `json:"string_to_sign"`
		SHA1         string `json:"sha1"`
		VerifyOK     bool   `json:"verify_api_response_signature_ok"`
	} `json:"response_signature"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/cloudinary.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode vectors: %v", err)
	}
	if len(v.UploadSignatures) == 0 || len(v.DeliveryURLs) == 0 || v.ResponseSignature.SHA1 == "" {
		t.Fatal("vectors file is missing a section")
	}
	return v
}

func TestVectorsUploadSignatures(t *testing.T) {
	for _, tc := range loadVectors(t).UploadSignatures {
		t.Run(tc.Name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range tc.WireParams {
				form.Set(k, v)
			}
			p := Collect(form)
			if got := StringToSign(p, tc.SignatureVersion); got != tc.StringToSign {
				t.Errorf("StringToSign: got %q, want %q", got, tc.StringToSign)
			}
			algo, ok := algorithmFor(tc.Signature)
			if !ok {
				t.Fatalf("vector signature %q has no known length", tc.Signature)
			}
			if got := Sign(tc.StringToSign, tc.Secret, algo); got != tc.Signature {
				t.Errorf("Sign(%v): got %s, want %s", algo, got, tc.Signature)
			}
			for _, allowV1 := range []bool{false, true} {
				signed, err := Verify(p, tc.Signature, tc.Secret, allowV1)
				if err != nil {
					t.Errorf("Verify(allowV1=%v): got error %v, want nil", allowV1, err)
				}
				if signed != tc.StringToSign {
					t.Errorf("Verify(allowV1=%v) signed string: got %q, want %q", allowV1, signed, tc.StringToSign)
				}
			}
		})
	}
}

func TestVectorsDeliveryURLs(t *testing.T) {
	for _, tc := range loadVectors(t).DeliveryURLs {
		t.Run(tc.URL, func(t *testing.T) {
			u, err := url.Parse(tc.URL)
			if err != nil {
				t.Fatal(err)
			}
			d, err := ParseDeliveryPath(u.EscapedPath())
			if err != nil {
				t.Fatalf("ParseDeliveryPath: got error %v, want nil", err)
			}
			if d.Cloud != tc.CloudName {
				t.Errorf("Cloud: got %q, want %q", d.Cloud, tc.CloudName)
			}
			if d.Signature != tc.Signature {
				t.Errorf("Signature: got %q, want %q", d.Signature, tc.Signature)
			}
			if got := d.SignedPart(); got != tc.SignedString {
				t.Errorf("SignedPart: got %q, want %q", got, tc.SignedString)
			}
			if got := d.String(); got != u.EscapedPath() {
				t.Errorf("String: got %q, want %q", got, u.EscapedPath())
			}
			algo := SHA1
			if tc.Algorithm == "sha256" {
				algo = SHA256
			}
			if got := SignDelivery(tc.SignedString, tc.Secret, algo); got != tc.Signature {
				t.Errorf("SignDelivery: got %q, want %q", got, tc.Signature)
			}
			if err := VerifyDelivery(d.SignedPart(), d.Signature, tc.Secret); err != nil {
				t.Errorf("VerifyDelivery: got error %v, want nil", err)
			}
		})
	}
}

func TestVectorsResponseSignature(t *testing.T) {
	rs := loadVectors(t).ResponseSignature
	p := Params{"public_id": rs.PublicID, "version": strconv.FormatInt(rs.Version, 10)}
	if got := StringToSign(p, 1); got != rs.StringToSign {
		t.Errorf("StringToSign: got %q, want %q", got, rs.StringToSign)
	}
	got := ResponseSignature(rs.PublicID, rs.Version, rs.Secret)
	if (got == rs.SHA1) != rs.VerifyOK {
		t.Errorf("ResponseSignature: got %s, want %s (SDK verify ok=%v)", got, rs.SHA1, rs.VerifyOK)
	}
}
