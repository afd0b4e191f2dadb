package uploadsig

import (
	"net/url"
	"testing"
)

func TestCollectFoldsArrays(t *testing.T) {
	tests := []struct {
		name  string
		query string
		key   string
		want  string
	}{
		{"pre-joined", "tags=animal,dog,pet", "tags", "animal,dog,pet"},
		{"brackets (Node, Java)", "tags[]=animal&tags[]=dog&tags[]=pet", "tags", "animal,dog,pet"},
		{"indexed (Go)", "tags[0]=animal&tags[1]=dog&tags[2]=pet", "tags", "animal,dog,pet"},
		{"indexed out of order", "tags[2]=pet&tags[0]=animal&tags[1]=dog", "tags", "animal,dog,pet"},
		{"indexed numerically, not lexically", "t[10]=k&t[2]=c&t[9]=j&t[0]=a", "t", "a,c,j,k"},
		{"indexed with gaps", "tags[5]=b&tags[1]=a", "tags", "a,b"},
		{"repeated plain", "tags=a&tags=b", "tags", "a,b"},
		{"mixed spellings fold plain, brackets, indexed", "tags[0]=c&tags[]=b&tags=a", "tags", "a,b,c"},
		{"single element", "tags[]=only", "tags", "only"},
		{"leading zero is not an index", "tags[01]=x", "tags[01]", "x"},
		{"named key is not an array", "context[alt]=x", "context[alt]", "x"},
		{"empty base is not an array", "[]=x", "[]", "x"},
		{"unclosed bracket", "tags[=x", "tags[", "x"},
		{"value with comma kept", "context=alt=a,b", "context", "alt=a,b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			p := Collect(form)
			got, ok := p[tc.key]
			if !ok || got != tc.want {
				t.Errorf("Collect(%q)[%q]: got %q (present=%v), want %q", tc.query, tc.key, got, ok, tc.want)
			}
		})
	}
}

// The three array spellings of the same request must sign identically, or an
// SDK's signature would depend on its transport encoding.
func TestCollectSpellingsSignAlike(t *testing.T) {
	const want = "public_id=dogs/rex&tags=animal,dog,pet&timestamp=1700000000"
	for _, q := range []string{
		"public_id=dogs/rex&timestamp=1700000000&tags=animal,dog,pet",
		"public_id=dogs/rex&timestamp=1700000000&tags[]=animal&tags[]=dog&tags[]=pet",
		"public_id=dogs/rex&timestamp=1700000000&tags[1]=dog&tags[0]=animal&tags[2]=pet",
	} {
		t.Run(q, func(t *testing.T) {
			form, _ := url.ParseQuery(q)
			if got := StringToSign(Collect(form), 2); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestStringToSign(t *testing.T) {
	tests := []struct {
		name    string
		params  Params
		version int
		want    string
	}{
		{
			name: "excluded parameters left out",
			params: Params{
				"public_id": "x", "timestamp": "1", "file": "https://e.com/a.jpg",
				"cloud_name": "demo", "resource_type": "image", "api_key": "123", "signature": "abc",
			},
			version: 2,
			want:    "public_id=x&timestamp=1",
		},
		{
			name:    "empty values dropped",
			params:  Params{"public_id": "x", "folder": "", "timestamp": "1"},
			version: 2,
			want:    "public_id=x&timestamp=1",
		},
		{
			name:    "byte order puts uppercase and underscore keys correctly",
			params:  Params{"b": "1", "a_b": "2", "aB": "3", "a": "4"},
			version: 2,
			want:    "a=4&aB=3&a_b=2&b=1",
		},
		{
			name:    "version 2 escapes & in values",
			params:  Params{"context": "a=1&b=2", "timestamp": "1"},
			version: 2,
			want:    "context=a=1%26b=2&timestamp=1",
		},
		{
			name:    "version 1 does not escape",
			params:  Params{"context": "a=1&b=2", "timestamp": "1"},
			version: 1,
			want:    "context=a=1&b=2&timestamp=1",
		},
		{
			name:    "version 2 escapes & in keys",
			params:  Params{"a&b": "1"},
			version: 2,
			want:    "a%26b=1",
		},
		{
			name:    "no parameters",
			params:  Params{"api_key": "k"},
			version: 2,
			want:    "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StringToSign(tc.params, tc.version); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
