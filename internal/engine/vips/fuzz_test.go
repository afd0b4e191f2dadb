package vips

import "testing"

func FuzzParseHeader(f *testing.F) {
	f.Add("/t.png: 8x8 uchar, 1 band, b-w, pngload\nwidth: 8\nheight: 8\nvips-loader: pngload\n")
	f.Add("width: -1\nheight: 99999999999999999999\nvips-loader: \n")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHeader(s)
		if err == nil && (h.width <= 0 || h.height <= 0 || h.loader == "") {
			t.Fatalf("accepted %+v", h)
		}
	})
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		w, h int
	}{
		{"width: 8\nheight: 9\nvips-loader: pngload\n", true, 8, 9},
		{"width: 8\nheight: 9\n", false, 0, 0},
		{"width: 0\nheight: 9\nvips-loader: pngload\n", false, 0, 0},
		{"", false, 0, 0},
	}
	for _, tc := range tests {
		h, err := parseHeader(tc.in)
		if (err == nil) != tc.ok || h.width != tc.w || h.height != tc.h {
			t.Errorf("%q: %+v %v", tc.in, h, err)
		}
	}
}
