package hls

import (
	"bytes"
	"testing"
)

func FuzzRewritePlaylist(f *testing.F) {
	f.Add([]byte("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\nseg0.m4s\n"), "tok")
	f.Add([]byte("#EXTM3U\r\n#EXT-X-KEY:METHOD=AES-128,URI=\"k?x=1#f\",IV=0x1\r\nhttp://h/s.ts\r\n"), "a.b.c")
	f.Add([]byte("#EXTM3U\n#EXT-X-MEDIA:NAME=\"a,\\\"b\",URI=\"\n"), "t")
	f.Add([]byte("not a playlist"), "t")
	f.Fuzz(func(t *testing.T, body []byte, token string) {
		orig := bytes.Clone(body)
		out := RewritePlaylist(body, token)
		if !bytes.Equal(body, orig) {
			t.Fatal("the input was modified")
		}
		if got, want := bytes.Count(out, []byte{'\n'}), bytes.Count(body, []byte{'\n'}); got != want {
			t.Fatalf("line count changed from %d to %d", want, got)
		}
		if token == "" || !isPlaylist(body) {
			if !bytes.Equal(out, body) {
				t.Fatalf("changed a body it should leave alone: %q", out)
			}
			return
		}
		if again := RewritePlaylist(out, token); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
	})
}
