package proxy

import (
	"bytes"
	"strings"
	"testing"
)

const playlistToken = "eyJhbGciOiJSUzI1NiJ9.eyJ1cmkiOiIifQ.c2ln"

func TestRewritePlaylist(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "master playlist",
			in: "#EXTM3U\n" +
				"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"en, main\",URI=\"audio/en.m3u8\"\n" +
				"#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.4d401e,mp4a.40.2\",AUDIO=\"aud\"\n" +
				"360p/index.m3u8\n" +
				"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI=\"360p/iframes.m3u8\"\n" +
				"https://cdn.example.com/720p/index.m3u8\n",
			want: "#EXTM3U\n" +
				"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"en, main\",URI=\"audio/en.m3u8?auth=" + playlistToken + "\"\n" +
				"#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS=\"avc1.4d401e,mp4a.40.2\",AUDIO=\"aud\"\n" +
				"360p/index.m3u8?auth=" + playlistToken + "\n" +
				"#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,URI=\"360p/iframes.m3u8?auth=" + playlistToken + "\"\n" +
				"https://cdn.example.com/720p/index.m3u8\n",
		},
		{
			name: "media playlist with key, map and byte ranges",
			in: "#EXTM3U\r\n" +
				"#EXT-X-VERSION:7\r\n" +
				"#EXT-X-TARGETDURATION:2\r\n" +
				"#EXT-X-KEY:METHOD=AES-128,URI=\"keys/k1.bin\",IV=0x00000000000000000000000000000001\r\n" +
				"#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\r\n" +
				"#EXTINF:2.000,\r\n" +
				"seg0.m4s\r\n" +
				"# a comment with seg.ts?x\r\n" +
				"#EXTINF:2.000,\r\n" +
				"  seg1.m4s?v=2  \r\n" +
				"#EXTINF:2.000,\r\n" +
				"/abs/seg2.m4s?auth=old&v=3#t=1\r\n" +
				"#EXT-X-ENDLIST\r\n",
			want: "#EXTM3U\r\n" +
				"#EXT-X-VERSION:7\r\n" +
				"#EXT-X-TARGETDURATION:2\r\n" +
				"#EXT-X-KEY:METHOD=AES-128,URI=\"keys/k1.bin?auth=" + playlistToken + "\",IV=0x00000000000000000000000000000001\r\n" +
				"#EXT-X-MAP:URI=\"init.mp4?auth=" + playlistToken + "\",BYTERANGE=\"720@0\"\r\n" +
				"#EXTINF:2.000,\r\n" +
				"seg0.m4s?auth=" + playlistToken + "\r\n" +
				"# a comment with seg.ts?x\r\n" +
				"#EXTINF:2.000,\r\n" +
				"  seg1.m4s?v=2&auth=" + playlistToken + "  \r\n" +
				"#EXTINF:2.000,\r\n" +
				"/abs/seg2.m4s?v=3&auth=" + playlistToken + "#t=1\r\n" +
				"#EXT-X-ENDLIST\r\n",
		},
		{
			name: "absolute and special URIs untouched",
			in: "#EXTM3U\n" +
				"#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://key-id\",KEYFORMAT=\"com.apple.streamingkeydelivery\"\n" +
				"#EXT-X-SESSION-KEY:METHOD=AES-128,URI=\"data:text/plain;base64,AAAA\"\n" +
				"#EXTINF:4,\n" +
				"//other.example.com/seg.ts\n" +
				"#EXTINF:4,\n" +
				"http://other.example.com/seg.ts?a=b\n" +
				"#EXTINF:4,",
			want: "#EXTM3U\n" +
				"#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://key-id\",KEYFORMAT=\"com.apple.streamingkeydelivery\"\n" +
				"#EXT-X-SESSION-KEY:METHOD=AES-128,URI=\"data:text/plain;base64,AAAA\"\n" +
				"#EXTINF:4,\n" +
				"//other.example.com/seg.ts\n" +
				"#EXTINF:4,\n" +
				"http://other.example.com/seg.ts?a=b\n" +
				"#EXTINF:4,",
		},
		{
			name: "tags without URI and METHOD=NONE keys",
			in:   "#EXTM3U\n#EXT-X-KEY:METHOD=NONE\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\n#EXTINF:2,title=\"a,b\"\nseg.ts\n",
			want: "#EXTM3U\n#EXT-X-KEY:METHOD=NONE\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\n#EXTINF:2,title=\"a,b\"\nseg.ts?auth=" + playlistToken + "\n",
		},
		{
			name: "byte order mark",
			in:   "\ufeff#EXTM3U\nseg.ts\n",
			want: "\ufeff#EXTM3U\nseg.ts?auth=" + playlistToken + "\n",
		},
		{
			name: "not a playlist",
			in:   "seg.ts\nother.ts\n",
			want: "seg.ts\nother.ts\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(RewritePlaylist([]byte(tt.in), playlistToken))
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if again := string(RewritePlaylist([]byte(got), playlistToken)); again != got {
				t.Errorf("rewriting twice changed the playlist:\n%q", again)
			}
		})
	}
}

func TestRewritePlaylistEscapesTokenAndIgnoresEmpty(t *testing.T) {
	in := []byte("#EXTM3U\nseg.ts\n")
	if got := RewritePlaylist(in, ""); !bytes.Equal(got, in) {
		t.Errorf("empty token changed the playlist: %q", got)
	}
	got := string(RewritePlaylist(in, "a b&c=d"))
	if want := "#EXTM3U\nseg.ts?auth=a+b%26c%3Dd\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRewritePlaylistReplacesOlderToken(t *testing.T) {
	in := []byte("#EXTM3U\nseg.ts?auth=old&auth=older&authx=1\n")
	got := string(RewritePlaylist(in, "new"))
	if want := "#EXTM3U\nseg.ts?authx=1&auth=new\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Contains(got, "old") {
		t.Errorf("old token kept: %q", got)
	}
}
