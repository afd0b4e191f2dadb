package proxy

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

func FuzzRewritePlaylist(f *testing.F) {
	f.Add([]byte("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\nseg0.m4s\n"), "tok")
	f.Add([]byte("#EXTM3U\r\n#EXT-X-KEY:METHOD=AES-128,URI=\"k?x=1#f\",IV=0x1\r\nhttp://h/s.ts\r\n"), "a.b.c")
	f.Add([]byte("#EXTM3U\n#EXT-X-MEDIA:NAME=\"a,\\\"b\",URI=\"\n"), "t")
	f.Add([]byte("#EXTM3U\n#EXT-X-KEY:URI=\"/\\evil/k\"\n\\\\evil/s.ts\n\t//evil\n"), "t")
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
		if token == "" || !isPlaylistBody(body) {
			if !bytes.Equal(out, body) {
				t.Fatalf("changed a body it should leave alone: %q", out)
			}
			return
		}
		if again := RewritePlaylist(out, token); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
		// Every URI that was given the token resolves to the playlist's
		// host. The token is query-escaped and so holds no quote: a
		// changed tag line splits into the same quoted values, one of
		// them the URI.
		inLines, outLines := strings.Split(string(body), "\n"), strings.Split(string(out), "\n")
		for i := range inLines {
			if inLines[i] == outLines[i] {
				continue
			}
			uri := strings.TrimSpace(strings.TrimSuffix(inLines[i], "\r"))
			if strings.HasPrefix(uri, "#") {
				in, o := strings.Split(inLines[i], `"`), strings.Split(outLines[i], `"`)
				if len(in) != len(o) {
					t.Fatalf("quotes changed in %q -> %q", inLines[i], outLines[i])
				}
				for j := range in {
					if in[j] != o[j] {
						uri = in[j]
					}
				}
			}
			if !resolvesHome(uri) {
				t.Fatalf("token given to %q, which leaves the playlist's host (line %q)", uri, outLines[i])
			}
		}
	})
}

// FuzzWithToken checks the property the rewriting rests on: a URI that
// gets the token resolves to the playlist's host, before and after the
// token is added.
func FuzzWithToken(f *testing.F) {
	for _, c := range curated {
		f.Add(c.uri)
	}
	param := TokenParam + "=" + url.QueryEscape("a.b.c")
	f.Fuzz(func(t *testing.T, uri string) {
		out := withToken(uri, param)
		if out == uri {
			return
		}
		if !resolvesHome(uri) {
			t.Fatalf("token given to %q, which leaves the playlist's host", uri)
		}
		if !resolvesHome(out) {
			t.Fatalf("%q became %q, which leaves the playlist's host", uri, out)
		}
		if !strings.Contains(out, param) {
			t.Fatalf("%q became %q without the token", uri, out)
		}
	})
}
