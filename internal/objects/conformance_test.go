package objects

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/internal/testutil/s3test"
)

// conformance is what every backend must do alike. metadata says whether
// the backend keeps content types and metadata as written.
func conformance(t *testing.T, s Store, metadata bool) {
	ctx := context.Background()
	body := []byte("0123456789abcdefghij")
	put := func(t *testing.T, key string, data []byte, size int64) Info {
		t.Helper()
		info, err := s.Put(ctx, key, bytes.NewReader(data), size, WriteOptions{
			ContentType: "video/mp4", Metadata: map[string]string{"name": "a film"}})
		if err != nil {
			t.Fatalf("put %q: %v", key, err)
		}
		return info
	}
	read := func(t *testing.T, r *Reader, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	t.Run("PutGetStat", func(t *testing.T) {
		put(t, "films/a film é.mp4", body, int64(len(body)))
		r, err := s.Get(ctx, "films/a film é.mp4", ReadOptions{})
		if got := read(t, r, err); got != string(body) {
			t.Fatalf("got %q", got)
		}
		if r.Info.Size != int64(len(body)) || r.Info.ETag == "" || r.Info.ModTime.IsZero() || r.Range != nil {
			t.Errorf("info %+v range %v", r.Info, r.Range)
		}
		st, err := s.Stat(ctx, "films/a film é.mp4")
		if err != nil || st.Size != int64(len(body)) || st.ETag != r.Info.ETag {
			t.Errorf("stat %+v %v; get's ETag %s", st, err, r.Info.ETag)
		}
		if metadata && (st.ContentType != "video/mp4" || st.Metadata["name"] != "a film") {
			t.Errorf("content type %q, metadata %v", st.ContentType, st.Metadata)
		}
	})

	t.Run("UnknownSize", func(t *testing.T) {
		big := bytes.Repeat([]byte("x"), partSize+10) // more than one part
		info := put(t, "big.bin", big, -1)
		if info.Size != int64(len(big)) {
			t.Errorf("size %d, want %d", info.Size, len(big))
		}
		st, err := s.Stat(ctx, "big.bin")
		if err != nil || st.Size != int64(len(big)) {
			t.Errorf("stat %+v %v", st, err)
		}
	})

	t.Run("Range", func(t *testing.T) {
		put(t, "r.bin", body, int64(len(body)))
		r, err := s.Get(ctx, "r.bin", ReadOptions{Range: &ByteRange{Start: 2, Length: 4}})
		if got := read(t, r, err); got != "2345" {
			t.Fatalf("bytes 2-5: %q", got)
		}
		if r.Range == nil || r.Range.Start != 2 || r.Range.Length != 4 || r.Info.Size != int64(len(body)) {
			t.Errorf("range %+v, size %d", r.Range, r.Info.Size)
		}
		r, err = s.Get(ctx, "r.bin", ReadOptions{Range: &ByteRange{Start: 15, Length: 100}})
		if got := read(t, r, err); got != "fghij" {
			t.Errorf("a range past the end is cut at the end: %q", got)
		}
		r, err = s.Get(ctx, "r.bin", ReadOptions{Range: &ByteRange{Start: 17, Length: -1}})
		if got := read(t, r, err); got != "hij" || r.Range.Start != 17 || r.Range.Length != 3 {
			t.Errorf("bytes=17-: %q %+v", got, r.Range)
		}
		r, err = s.Get(ctx, "r.bin", ReadOptions{Range: &ByteRange{Start: -4}})
		if got := read(t, r, err); got != "ghij" || r.Range.Start != 16 || r.Range.Length != 4 {
			t.Errorf("bytes=-4: %q %+v", got, r.Range)
		}
		_, err = s.Get(ctx, "r.bin", ReadOptions{Range: &ByteRange{Start: 20, Length: 1}})
		var re *RangeError
		if !errors.Is(err, ErrRangeNotSatisfiable) || !errors.As(err, &re) || re.Size != int64(len(body)) {
			t.Errorf("a range after the end: %v", err)
		}
	})

	t.Run("Conditions", func(t *testing.T) {
		info := put(t, "c.bin", body, int64(len(body)))
		st, _ := s.Stat(ctx, "c.bin")
		if info.ETag != "" && info.ETag != st.ETag {
			t.Errorf("put's ETag %s, stat's %s", info.ETag, st.ETag)
		}
		// What a client sends back: Last-Modified, to the second.
		lastModified := st.ModTime.Truncate(time.Second)
		earlier := st.ModTime.Add(-time.Hour)
		for _, tc := range []struct {
			name string
			opts ReadOptions
			want error
		}{
			{"if-none-match same", ReadOptions{IfNoneMatch: st.ETag}, ErrNotModified},
			{"if-none-match other", ReadOptions{IfNoneMatch: `"other"`}, nil},
			{"if-match same", ReadOptions{IfMatch: st.ETag}, nil},
			{"if-match other", ReadOptions{IfMatch: `"other"`}, ErrPreconditionFailed},
			{"if-modified-since last-modified", ReadOptions{IfModifiedSince: lastModified}, ErrNotModified},
			{"if-modified-since earlier", ReadOptions{IfModifiedSince: earlier}, nil},
			{"if-unmodified-since earlier", ReadOptions{IfUnmodifiedSince: earlier}, ErrPreconditionFailed},
			{"if-unmodified-since last-modified", ReadOptions{IfUnmodifiedSince: lastModified}, nil},
		} {
			r, err := s.Get(ctx, "c.bin", tc.opts)
			if err == nil {
				r.Close()
			}
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
		}
	})

	t.Run("ConditionalWrites", func(t *testing.T) {
		write := func(key, data string, cond Conditions) (Info, error) {
			return s.Put(ctx, key, strings.NewReader(data), int64(len(data)), WriteOptions{Conditions: cond})
		}
		content := func(key string) string {
			r, err := s.Get(ctx, key, ReadOptions{})
			return read(t, r, err)
		}
		first, err := write("cond/a", "one", Conditions{IfNoneMatch: "*"})
		if err != nil {
			t.Fatalf("create if absent: %v", err)
		}
		if _, err := write("cond/a", "two", Conditions{IfNoneMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
			t.Errorf("create over an object: %v, want ErrPreconditionFailed", err)
		}
		if _, err := write("cond/a", "two", Conditions{IfMatch: `"other"`}); !errors.Is(err, ErrPreconditionFailed) {
			t.Errorf("replace another version: %v, want ErrPreconditionFailed", err)
		}
		if got := content("cond/a"); got != "one" {
			t.Fatalf("failed writes changed the object: %q", got)
		}
		etag := first.ETag
		if etag == "" {
			st, _ := s.Stat(ctx, "cond/a")
			etag = st.ETag
		}
		if _, err := write("cond/a", "three", Conditions{IfMatch: etag}); err != nil {
			t.Errorf("replace the version named: %v", err)
		}
		if got := content("cond/a"); got != "three" {
			t.Errorf("after the conditional replace: %q", got)
		}
		if _, err := write("cond/none", "x", Conditions{IfMatch: etag}); !errors.Is(err, ErrPreconditionFailed) {
			t.Errorf("if-match on no object: %v, want ErrPreconditionFailed", err)
		}
		if _, err := write("cond/b", "x", Conditions{IfNoneMatch: `"abc"`}); err == nil || errors.Is(err, ErrPreconditionFailed) {
			t.Errorf("if-none-match with a tag: %v, want a refusal of the option", err)
		}
		if _, err := s.Stat(ctx, "cond/b"); !errors.Is(err, ErrNotFound) {
			t.Errorf("refused writes wrote: %v", err)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		if _, err := s.Get(ctx, "nothing/here", ReadOptions{}); !errors.Is(err, ErrNotFound) {
			t.Errorf("get: %v", err)
		}
		if _, err := s.Stat(ctx, "nothing/here"); !errors.Is(err, ErrNotFound) {
			t.Errorf("stat: %v", err)
		}
		if err := s.Delete(ctx, "nothing/here"); err != nil {
			t.Errorf("delete: %v", err)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		for _, key := range []string{"", "/abs", "a/../b", "..", "a//b", "a/./b", "nul\x00", strings.Repeat("k", MaxKeyLen+1), "\xff"} {
			if _, err := s.Get(ctx, key, ReadOptions{}); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("get %q: %v", key, err)
			}
			if _, err := s.Put(ctx, key, strings.NewReader("x"), 1, WriteOptions{}); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("put %q: %v", key, err)
			}
		}
	})

	t.Run("ReplaceDeleteList", func(t *testing.T) {
		put(t, "list/b", []byte("b"), 1)
		put(t, "list/a", []byte("a"), 1)
		put(t, "list/sub/c", []byte("c"), 1)
		put(t, "lister", []byte("x"), 1)
		put(t, "list/a", []byte("aa"), 2)
		var keys []string
		for info, err := range s.List(ctx, "list/") {
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, info.Key)
			if info.Key == "list/a" && info.Size != 2 {
				t.Errorf("replaced object has size %d", info.Size)
			}
		}
		if strings.Join(keys, ",") != "list/a,list/b,list/sub/c" {
			t.Errorf("list: %v", keys)
		}
		if err := s.Delete(ctx, "list/a"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "list/a"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
	})
}

func TestDirConformance(t *testing.T) {
	conformance(t, Dir{Root: t.TempDir()}, false)
}

func TestS3Conformance(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "objects")
	for _, prefix := range []string{"", "under/a prefix"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			s, err := NewS3(context.Background(), S3Config{
				Bucket: "objects", Prefix: prefix, Endpoint: srv.Endpoint(), Region: srv.Region,
				ForcePathStyle: true, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
			})
			if err != nil {
				t.Fatal(err)
			}
			conformance(t, s, true)
		})
	}
}

// A wrong secret is the storage refusing the gateway, not a missing object.
func TestS3WrongSecret(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "objects")
	s, err := NewS3(context.Background(), S3Config{
		Bucket: "objects", Endpoint: srv.Endpoint(), ForcePathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: "wrong-secret-0123456789",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "a", ReadOptions{}); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("get with a wrong secret: %v, want ErrAccessDenied", err)
	}
	if strings.Contains(fmt.Sprint(err), "wrong-secret") {
		t.Errorf("the error shows the secret: %v", err)
	}
}

// A session token the server does not know is refused credentials too.
func TestS3WrongSessionToken(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "objects")
	s, err := NewS3(context.Background(), S3Config{
		Bucket: "objects", Endpoint: srv.Endpoint(), ForcePathStyle: true,
		AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, SessionToken: "unknown-token-0123456789",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "a", ReadOptions{}); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("get with an unknown session token: %v, want ErrAccessDenied", err)
	}
}

// A multipart upload carries across requests: resumed from its id and
// parts, it takes more parts, replaces one sent again, completes only if
// its condition holds, and is aborted without a trace.
func TestS3MultipartResume(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "objects")
	ctx := context.Background()
	s, err := NewS3(ctx, S3Config{Bucket: "objects", Prefix: "p", Endpoint: srv.Endpoint(), Region: srv.Region,
		ForcePathStyle: true, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	a := bytes.Repeat([]byte("a"), MinPartSize)
	b := bytes.Repeat([]byte("b"), MinPartSize)
	mp, err := s.CreateMultipart(ctx, "big", WriteOptions{ContentType: "video/mp4"})
	if err != nil {
		t.Fatal(err)
	}
	if err := mp.Part(ctx, 1, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	// Another request: the first part again, now with the right bytes, then the last.
	again := s.ResumeMultipart("big", mp.ID(), mp.Parts())
	if err := again.Part(ctx, 1, bytes.NewReader(a), int64(len(a))); err != nil {
		t.Fatal(err)
	}
	if err := again.Part(ctx, 2, strings.NewReader("end"), 3); err != nil {
		t.Fatal(err)
	}
	if parts := again.Parts(); len(parts) != 2 || parts[0].Number != 1 || parts[1].Size != 3 {
		t.Fatalf("parts %+v", parts)
	}
	if _, err := s.Put(ctx, "big", strings.NewReader("taken"), 5, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Complete(ctx, Conditions{IfNoneMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("complete over an object with if-none-match: %v", err)
	}
	if err := s.Delete(ctx, "big"); err != nil {
		t.Fatal(err)
	}
	etag, err := again.Complete(ctx, Conditions{IfNoneMatch: "*"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Get(ctx, "big", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if want := append(append([]byte{}, a...), "end"...); !bytes.Equal(got, want) || r.Info.ETag != etag || r.Info.ContentType != "video/mp4" {
		t.Errorf("assembled %d bytes (want %d), etag %s (complete said %s), type %q", len(got), len(want), r.Info.ETag, etag, r.Info.ContentType)
	}

	doomed, err := s.CreateMultipart(ctx, "doomed", WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := doomed.Part(ctx, 1, strings.NewReader("x"), 1); err != nil {
		t.Fatal(err)
	}
	if err := s.ResumeMultipart("doomed", doomed.ID(), nil).Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if err := doomed.Abort(ctx); err != nil {
		t.Errorf("aborting again: %v", err)
	}
	if err := doomed.Part(ctx, 2, strings.NewReader("y"), 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("a part of an aborted upload: %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(ctx, "doomed"); !errors.Is(err, ErrNotFound) {
		t.Errorf("aborted upload left an object: %v", err)
	}
}
