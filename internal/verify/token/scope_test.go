package token

import "testing"

func TestInScope(t *testing.T) {
	tests := []struct {
		name string
		uri  string
		path string
		want bool
	}{
		{"empty uri opens the whole bucket", "", "/any/file.mp4", true},
		{"slash uri opens the whole bucket", "/", "/any/file.mp4", true},
		{"whole bucket opens the root", "", "/", true},
		{"directory opens a child", "/a/b", "/a/b/x.mp4", true},
		{"directory with slash opens a child", "/a/b/", "/a/b/x.mp4", true},
		{"directory opens a grandchild", "/a/b", "/a/b/c/d.ts", true},
		{"uri opens itself as a file", "/a/b", "/a/b", true},
		{"uri with slash opens itself as a file", "/a/b/", "/a/b", true},
		{"uri without leading slash", "a/b", "/a/b/x", true},
		{"path without leading slash", "/a/b", "a/b/x", true},
		{"file scope opens the file", "/v/movie.mp4", "/v/movie.mp4", true},
		{"sibling with shared prefix", "/a/b", "/a/bc", false},
		{"sibling file with shared prefix", "/a/b", "/a/b.mp4", false},
		{"parent of scope", "/a/b", "/a", false},
		{"root under a scope", "/a/b", "/", false},
		{"other directory", "/a/b", "/c/x", false},
		{"case differs", "/a/b", "/A/b/x", false},
		{"file scope does not open a sibling", "/v/movie.mp4", "/v/other.mp4", false},
		{"dot-dot escape", "/a/b", "/a/b/../c", false},
		{"dot-dot escape under whole bucket", "", "/a/../../etc/passwd", false},
		{"dot segment", "/a/b", "/a/b/./x", false},
		{"double slash", "/a/b", "/a/b//x", false},
		{"leading double slash", "", "//a", false},
		{"trailing slash", "/a/b", "/a/b/x/", false},
		{"encoded slash left after decode", "/a/b", "/a/b%2F..%2Fc", false},
		{"double-encoded slash", "/a/b", "/a/b/x%252F..%252F..%252Fc", false},
		{"encoded dot left after decode", "/a/b", "/a/b/%2e%2e/c", false},
		{"encoded backslash", "/a/b", "/a/b/..%5Cc", false},
		{"backslash", "/a/b", "/a/b/..\\c", false},
		{"backslash only", "/a/b", "/a/b\\x", false},
		{"NUL", "/a/b", "/a/b/x\x00.mp4", false},
		{"newline", "/a/b", "/a/b/x\n", false},
		{"DEL", "/a/b", "/a/b/x\x7f", false},
		{"overlong slash", "/a/b", "/a/b/\xc0\xaf..\xc0\xafc", false},
		{"invalid UTF-8", "", "/\xff", false},
		{"triple dot", "/a/b", "/a/b/.../c", false},
		{"servlet path parameter", "/a/b", "/a/b/..;/c", false},
		{"percent that is not an escape", "/a", "/a/100% real.mp4", true},
		{"unicode name", "/vidéos", "/vidéos/été.mp4", true},
		{"dotfile is a name", "/a", "/a/.hidden", true},
		{"dots inside a name", "/a", "/a/x..y", true},
		{"uri with dot-dot opens nothing", "/a/../b", "/b/x", false},
		{"uri with double slash opens nothing", "/a//b", "/a//b/x", false},
		{"uri of only slashes opens nothing", "//", "/a", false},
		{"uri with backslash opens nothing", "/a\\b", "/a\\b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InScope(tt.uri, tt.path); got != tt.want {
				t.Errorf("InScope(%q, %q): got %v, want %v", tt.uri, tt.path, got, tt.want)
			}
		})
	}
}

func TestCanonicalPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"", true},
		{"/", true},
		{"/a", true},
		{"a/b.mp4", true},
		{"/a/", false},
		{"/a//b", false},
		{"/./a", false},
		{"/a/..", false},
		{"/a/%2e%2e", false},
		{"/a/%zz", true},
		{"/a/50%", true},
		{"/a/5%2", true},
		{"/a/%41", false},
		{"/a\\b", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := CanonicalPath(tt.path); got != tt.want {
				t.Errorf("CanonicalPath(%q): got %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}
