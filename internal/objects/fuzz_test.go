package objects

import (
	"strings"
	"testing"
)

// A key ValidKey accepts never leaves the store's root, on a disk or in S3.
func FuzzValidKey(f *testing.F) {
	for _, s := range []string{"a/b.mp4", "../x", "a/./b", "", "/a", "a//b", "é/ü ß.txt", "a\x00b", ".hidden/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if !ValidKey(key) {
			return
		}
		if strings.HasPrefix(key, "/") || len(key) > MaxKeyLen {
			t.Fatalf("accepted %q", key)
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("accepted %q with segment %q", key, seg)
			}
		}
		if Join("prefix", key) != "prefix/"+key {
			t.Fatalf("Join(prefix, %q) = %q", key, Join("prefix", key))
		}
	})
}

func FuzzResolve(f *testing.F) {
	f.Add(int64(0), int64(10), int64(100))
	f.Add(int64(-5), int64(0), int64(3))
	f.Add(int64(7), int64(-1), int64(8))
	f.Fuzz(func(t *testing.T, start, length, size int64) {
		if size < 0 {
			return
		}
		r, ok := ByteRange{Start: start, Length: length}.Resolve(size)
		if !ok {
			return
		}
		if r.Start < 0 || r.Length <= 0 || r.Start+r.Length > size {
			t.Fatalf("Resolve(%d, %d) in %d = %+v", start, length, size, r)
		}
	})
}
