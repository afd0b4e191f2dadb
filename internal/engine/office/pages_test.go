package office

import (
	"reflect"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/engine"
)

func TestParsePages(t *testing.T) {
	tests := []struct {
		in      string
		want    [][2]int
		wantErr string
	}{
		{in: "1-2", want: [][2]int{{1, 2}}},
		{in: "3", want: [][2]int{{3, 3}}},
		{in: "1,3,5-7", want: [][2]int{{1, 1}, {3, 3}, {5, 7}}},
		{in: " 2 - 4 ", want: [][2]int{{2, 4}}},
		{in: "4-", want: [][2]int{{4, 0}}},
		{in: "", wantErr: "empty"},
		{in: "0", wantErr: "from 1"},
		{in: "3-1", wantErr: "ends before it starts"},
		{in: "-3", wantErr: "page numbers"},
		{in: "1-2-3", wantErr: "page numbers"},
		{in: "a-b", wantErr: "page numbers"},
		{in: "1,,2", wantErr: "page numbers"},
		{in: "+1", wantErr: "page numbers"},
		{in: "99999999", wantErr: "page numbers"},
		{in: "2000000", wantErr: "from 1"},
		{in: strings.Repeat("1,", 100) + "1", wantErr: "too many"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parsePages(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parsePages(%q) = %v, %v; want error with %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("parsePages(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func FuzzParsePages(f *testing.F) {
	for _, s := range []string{"1-2", "1,3,5-7", "4-", "", "0", "3-1", "1-2-3", " 9 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ranges, err := parsePages(s)
		if err != nil {
			return
		}
		if len(ranges) == 0 || len(ranges) > maxPageRanges {
			t.Fatalf("%q gave %d ranges", s, len(ranges))
		}
		for _, r := range ranges {
			if r[0] < 1 || r[0] > maxPage || r[1] < 0 || r[1] > maxPage || (r[1] != 0 && r[1] < r[0]) {
				t.Fatalf("%q gave bad range %v", s, r)
			}
		}
	})
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		in, out string
		opts    engine.Options
		check   func(t *testing.T, jo jobOptions)
		wantErr string
	}{
		{name: "pdf defaults", in: "docx", out: "pdf", check: func(t *testing.T, jo jobOptions) {
			if !jo.req.PDF || jo.req.FilterData != nil || jo.timeout != 0 {
				t.Errorf("got %+v", jo)
			}
		}},
		{name: "office output", in: "html", out: "docx", check: func(t *testing.T, jo jobOptions) {
			if jo.req.ExportFilter != "MS Word 2007 XML" || jo.req.ImportFilter != "HTML (StarWriter)" || jo.req.Families[0] != writer {
				t.Errorf("got %+v", jo.req)
			}
		}},
		{name: "pdf_a, quality, pages", in: "docx", out: "pdf", opts: engine.Options{"pdf_a": true, "quality": "80", "pages": "1-2"},
			check: func(t *testing.T, jo jobOptions) {
				fd := jo.req.FilterData
				if fd["SelectPdfVersion"] != 2 || fd["Quality"] != 80 || len(jo.req.Pages) != 1 {
					t.Errorf("got %+v", jo.req)
				}
			}},
		{name: "hidden slides", in: "pptx", out: "pdf", opts: engine.Options{"hidden_slides": true},
			check: func(t *testing.T, jo jobOptions) {
				if jo.req.FilterData["ExportHiddenSlides"] != true {
					t.Errorf("got %+v", jo.req)
				}
			}},
		{name: "timeout", in: "docx", out: "pdf", opts: engine.Options{"timeout": 2.5},
			check: func(t *testing.T, jo jobOptions) {
				if jo.timeout.Seconds() != 2.5 {
					t.Errorf("timeout %s", jo.timeout)
				}
			}},
		{name: "tab delimiter", in: "xlsx", out: "csv", opts: engine.Options{"delimiter": "tab"},
			check: func(t *testing.T, jo jobOptions) {
				if jo.req.ExportOptions != "9,34,76,1" {
					t.Errorf("export options %q", jo.req.ExportOptions)
				}
			}},
		{name: "password", in: "docx", out: "pdf", opts: engine.Options{"password": "s3cret"},
			check: func(t *testing.T, jo jobOptions) {
				if jo.req.Password != "s3cret" {
					t.Errorf("password %q", jo.req.Password)
				}
			}},
		{name: "hidden slides on text", in: "docx", out: "pdf", opts: engine.Options{"hidden_slides": true}, wantErr: "presentations"},
		{name: "quality out of range", in: "docx", out: "pdf", opts: engine.Options{"quality": 0}, wantErr: "1 to 100"},
		{name: "pdf_a for odt", in: "docx", out: "odt", opts: engine.Options{"pdf_a": true}, wantErr: "only to PDF"},
		{name: "negative timeout", in: "docx", out: "pdf", opts: engine.Options{"timeout": -1}, wantErr: "timeout"},
		{name: "two-char delimiter", in: "csv", out: "xlsx", opts: engine.Options{"delimiter": ";;"}, wantErr: "delimiter"},
		{name: "quote delimiter", in: "csv", out: "xlsx", opts: engine.Options{"delimiter": `"`}, wantErr: "delimiter"},
		{name: "delimiter for docx", in: "docx", out: "pdf", opts: engine.Options{"delimiter": ";"}, wantErr: "CSV"},
		{name: "pages as number", in: "docx", out: "pdf", opts: engine.Options{"pages": 2}, wantErr: "pages"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			jo, err := parseOptions(tc.in, tc.out, tc.opts)
			if tc.wantErr != "" {
				if engine.CodeOf(err) != engine.CodeInvalidInput || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want INVALID_INPUT with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, jo)
		})
	}
}

func TestConversionsList(t *testing.T) {
	set := map[[2]string]bool{}
	for _, c := range Conversions() {
		if c.Operation != "convert" || c.Input == c.Output {
			t.Errorf("bad conversion %+v", c)
		}
		set[[2]string{c.Input, c.Output}] = true
	}
	for _, in := range []string{"doc", "docx", "odt", "rtf", "txt", "html", "xls", "xlsx", "ods", "csv", "ppt", "pptx", "odp"} {
		if !set[[2]string{in, "pdf"}] {
			t.Errorf("%s to pdf missing", in)
		}
	}
	for _, c := range [][2]string{{"docx", "odt"}, {"odt", "docx"}, {"doc", "docx"}, {"xlsx", "ods"}, {"ods", "xlsx"}, {"csv", "xlsx"}, {"pptx", "odp"}, {"odp", "pptx"}} {
		if !set[c] {
			t.Errorf("%s to %s missing", c[0], c[1])
		}
	}
	if set[[2]string{"docx", "pptx"}] || set[[2]string{"csv", "docx"}] {
		t.Error("a conversion across applications is listed")
	}
}
