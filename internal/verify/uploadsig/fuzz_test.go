package uploadsig

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/verify"
)

var fuzzQueries = []string{
	"public_id=sample_image&timestamp=1315060510",
	"public_id=dogs/rex&timestamp=1700000000&tags[]=animal&tags[]=dog",
	"tags[1]=dog&tags[0]=animal&tags=x&timestamp=1",
	"notification_url=https%3A%2F%2Fexample.com%2Fcb%3Fa%3D1%26tags%3Dx&public_id=amp",
	"context=a%3D1%26b%3D2&api_key=1&file=x&signature=y&cloud_name=c&resource_type=image",
	"a%26b=1&t[01]=x&t[]=&=v",
}

func FuzzCollectSign(f *testing.F) {
	for _, q := range fuzzQueries {
		f.Add(q, "abcd")
	}
	f.Fuzz(func(t *testing.T, query, secret string) {
		form, _ := url.ParseQuery(query) // partial results are still input
		p := Collect(form)
		if again := Collect(form); !reflect.DeepEqual(p, again) {
			t.Fatalf("Collect is not deterministic: %v then %v", p, again)
		}
		v1, v2 := StringToSign(p, 1), StringToSign(p, 2)
		pairs := 0
		for k, v := range p {
			if v != "" && !excluded[k] {
				pairs++
			}
		}
		// Version 2 escaping means each "&" in the string separates pairs.
		if pairs > 0 && strings.Count(v2, "&") != pairs-1 {
			t.Fatalf("StringToSign v2 %q: got %d separators, want %d", v2, strings.Count(v2, "&"), pairs-1)
		}
		if pairs == 0 && v2 != "" {
			t.Fatalf("StringToSign v2: got %q, want empty", v2)
		}
		for _, algo := range []Algorithm{SHA1, SHA256} {
			sig := Sign(v2, secret, algo)
			for _, s := range []string{sig, strings.ToUpper(sig)} {
				signed, err := Verify(p, s, secret, false)
				if err != nil || signed != v2 {
					t.Fatalf("Verify(Sign(v2), %v): got %q, %v; want %q, nil", algo, signed, err, v2)
				}
			}
			if _, err := Verify(p, sig, secret+"x", true); err == nil {
				t.Fatalf("Verify with another secret (%v): got nil, want error", algo)
			}
			signed, err := Verify(p, Sign(v1, secret, algo), secret, true)
			if err != nil || signed != v1 {
				t.Fatalf("Verify(Sign(v1), %v, allowV1): got %q, %v; want %q, nil", algo, signed, err, v1)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	for _, q := range fuzzQueries {
		f.Add(q, Sign(StringToSign(Collect(mustQuery(q)), 2), "abcd", SHA1), "abcd", false)
	}
	f.Add("timestamp=1", strings.Repeat("G", 40), "", true)
	f.Add("timestamp=1", strings.Repeat("f", 64), "s", true)
	f.Fuzz(func(t *testing.T, query, signature, secret string, allowV1 bool) {
		form, _ := url.ParseQuery(query)
		p := Collect(form)
		v2 := StringToSign(p, 2)
		signed, err := Verify(p, signature, secret, allowV1)
		if err == nil {
			algo, ok := algorithmFor(signature)
			if !ok {
				t.Fatalf("accepted signature of length %d", len(signature))
			}
			if signed != v2 && (!allowV1 || signed != StringToSign(p, 1)) {
				t.Fatalf("signed string %q is neither allowed version", signed)
			}
			if !strings.EqualFold(signature, Sign(signed, secret, algo)) {
				t.Fatalf("accepted %q, which is not the signature of %q", signature, signed)
			}
			return
		}
		var e *verify.Refusal
		if !errors.As(err, &e) {
			t.Fatalf("got %T %v, want *verify.Refusal", err, err)
		}
		if e.Status() == http.StatusUnauthorized {
			want := "Invalid Signature " + signature + ". String to sign - '" + v2 + "'."
			if e.Error() != want {
				t.Fatalf("message: got %q, want %q", e.Error(), want)
			}
		}
	})
}

func FuzzParseDeliveryPath(f *testing.F) {
	for _, p := range []string{
		"/demo/image/upload/s--m_vGKjpX--/c_fill,h_200,w_300/sample.jpg",
		"/demo/image/authenticated/s--14c7fXBP--/c_scale,w_100/e_sepia/v1315060510/sample.png",
		"demo/image/upload/dogs/v2/rex.jpg",
		"/demo/image/upload/$w_100,if_w_gt_200/v1/a%20b/c.jpg",
		"/demo/raw/upload/v123",
		"/d/i/u/s----/x",
	} {
		f.Add(p, "abcd")
	}
	f.Fuzz(func(t *testing.T, path, secret string) {
		d, err := ParseDeliveryPath(path)
		if err != nil {
			if !errors.Is(err, ErrMalformedPath) {
				t.Fatalf("got error %v, want ErrMalformedPath", err)
			}
			return
		}
		if got, want := d.String(), "/"+strings.TrimPrefix(path, "/"); got != want {
			t.Fatalf("String: got %q, want %q", got, want)
		}
		again, err := ParseDeliveryPath(d.String())
		if err != nil || !reflect.DeepEqual(again, d) {
			t.Fatalf("reparse of %q: got %+v, %v; want %+v", d.String(), again, err, d)
		}
		if d.PublicID == "" {
			t.Fatal("empty public id accepted")
		}
		for _, seg := range d.Transformation {
			if isVersion(seg) || !looksLikeTransformation(seg) {
				t.Fatalf("transformation segment %q", seg)
			}
		}
		for _, algo := range []Algorithm{SHA1, SHA256} {
			sig := SignDelivery(d.SignedPart(), secret, algo)
			if err := VerifyDelivery(d.SignedPart(), sig, secret); err != nil {
				t.Fatalf("VerifyDelivery(SignDelivery(%v)): got %v, want nil", algo, err)
			}
		}
		if d.Signature != "" {
			// Must not panic whatever the signature looks like.
			_ = VerifyDelivery(d.SignedPart(), d.Signature, secret)
		}
	})
}

func mustQuery(q string) url.Values {
	v, err := url.ParseQuery(q)
	if err != nil {
		panic(err)
	}
	return v
}
