package jobs

// import/s3 and export/s3 against a real S3 server (versitygw, on
// loopback: the fetch policy must allow 127.0.0.1 for any of it to work,
// which is itself under test).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/signedgate/gateway/internal/fetch"
	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/testutil/s3test"
)

// allowS3 lets the fetch policy reach versitygw on loopback, as an
// operator would with GATEWAY_FETCH_ALLOW_CIDRS=127.0.0.1/32.
var allowS3 = fetch.Policy{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}

// s3Env is an S3 server with a bucket "media", and a job service whose
// log lines are kept.
type s3Env struct {
	srv  *s3test.Server
	h    *harness
	logs *testutil.LogBuffer
}

func newS3Env(t *testing.T, policy fetch.Policy) *s3Env {
	t.Helper()
	srv := s3test.Start(t)
	srv.CreateBucket(t, "media")
	logs := &testutil.LogBuffer{}
	return &s3Env{srv: srv, logs: logs, h: newHarness(t, harnessOpts{policy: policy, log: logs})}
}

// task is an S3 task's JSON on the server's bucket with its root
// credentials, and extra fields.
func (e *s3Env) task(op string, extra map[string]any) string {
	m := map[string]any{
		"operation": op, "bucket": "media", "region": e.srv.Region, "endpoint": e.srv.Endpoint(),
		"access_key_id": e.srv.AccessKey, "secret_access_key": e.srv.SecretKey,
	}
	maps.Copy(m, extra)
	return js(m)
}

func (e *s3Env) put(t *testing.T, key string, data []byte) {
	t.Helper()
	_, err := e.srv.Client().PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("media"), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func (e *s3Env) get(t *testing.T, key string) (*s3.GetObjectOutput, []byte) {
	t.Helper()
	out, err := e.srv.Client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("media"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return out, b
}

// keys lists the bucket's keys under prefix.
func (e *s3Env) keys(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := e.srv.Client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("media"), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// settled is the number of requests versitygw has logged once every
// request made before the call is in its log. The log reaches the test
// through a pipe, late: settled makes one more request, a sentinel, and
// waits until it shows. Two calls differ by 1 when nothing else reached
// the server between them.
func settled(t *testing.T, srv *s3test.Server) int {
	t.Helper()
	sentinel := fmt.Sprintf("sentinel-%d", sentinels.Add(1))
	_, _ = srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("media"), Key: aws.String(sentinel)})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(srv.Log(), "/media/"+sentinel+" ") {
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not log the request for %s:\n%s", sentinel, srv.Log())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return strings.Count(srv.Log(), " | vgw | ")
}

var sentinels atomic.Int64

// noSecrets fails when a credential appears in the job's status JSON or
// in the service's log.
func (e *s3Env) noSecrets(t *testing.T, s Status, secrets ...string) {
	t.Helper()
	status, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	logs := e.logs.String()
	for _, secret := range secrets {
		if bytes.Contains(status, []byte(secret)) {
			t.Errorf("the job status shows a credential: %s", status)
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the log shows a credential:\n%s", logs)
		}
	}
}

func wantTaskCode(t *testing.T, s Status, task, want string) TaskStatus {
	t.Helper()
	ts := taskByName(t, s, task)
	if ts.Status != StatusError || code(ts) != want {
		msg := ""
		if ts.Message != nil {
			msg = *ts.Message
		}
		t.Fatalf("task %s: %s %s %q, want error %s", task, ts.Status, code(ts), msg, want)
	}
	if got := s.FailureHTTPStatus(); want != CodeTimeout && got != http.StatusUnprocessableEntity {
		t.Errorf("FailureHTTPStatus = %d, want 422", got)
	}
	return ts
}

func TestS3ImportConvertExport(t *testing.T) {
	e := newS3Env(t, allowS3)
	img := pngBytes(t, 64, 48)
	e.put(t, "in/photo.png", img)
	s := e.h.run(t, `{"tasks":{
		"in":`+e.task("import/s3", map[string]any{"key": "in/photo.png"})+`,
		"jpg":{"operation":"convert","input":"in","output_format":"jpg"},
		"s3":`+e.task("export/s3", map[string]any{
		"input": "jpg", "key": "out/photo.jpg", "content_type": "image/x-test", "cache_control": "max-age=60",
		"metadata": map[string]string{"source": "gateway", "run": "7"},
	})+`,
		"out":{"operation":"export/url","input":"jpg"}}}`)
	if s.Failed() {
		t.Fatalf("job failed: %+v", s)
	}
	obj, body := e.get(t, "out/photo.jpg")
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || format != "jpeg" || cfg.Width != 64 || cfg.Height != 48 {
		t.Errorf("exported object: %s %dx%d, %v; want a 64x48 jpeg", format, cfg.Width, cfg.Height, err)
	}
	if ct, cc := aws.ToString(obj.ContentType), aws.ToString(obj.CacheControl); ct != "image/x-test" || cc != "max-age=60" {
		t.Errorf("Content-Type %q, Cache-Control %q", ct, cc)
	}
	if want := map[string]string{"source": "gateway", "run": "7"}; !maps.Equal(obj.Metadata, want) {
		t.Errorf("metadata %v, want %v", obj.Metadata, want)
	}
	if got, want := taskByName(t, s, "in").Result.Files, []File{{Filename: "photo.png", Size: int64(len(img))}}; !slices.Equal(got, want) {
		t.Errorf("import result %+v, want %+v", got, want)
	}
	if got, want := taskByName(t, s, "s3").Result.Files, []File{{Filename: "photo.jpg", Size: int64(len(body))}}; !slices.Equal(got, want) {
		t.Errorf("export result %+v, want %+v", got, want)
	}
	e.noSecrets(t, s, e.srv.SecretKey, e.srv.AccessKey)
	e.h.checkWorkDirEmpty(t)
}

func TestS3KeyPrefix(t *testing.T) {
	e := newS3Env(t, allowS3)
	img := pngBytes(t, 8, 8)
	objects := map[string][]byte{
		"in/a.png":     img,
		"in/b.txt":     []byte("bee"),
		"in/sub/c.txt": []byte("sea"),
		"in/":          nil, // a console's "folder"
		"other/d.txt":  []byte("not under the prefix"),
	}
	for k, v := range objects {
		e.put(t, k, v)
	}
	s := e.h.run(t, `{"tasks":{
		"in":`+e.task("import/s3", map[string]any{"key_prefix": "in/"})+`,
		"s3":`+e.task("export/s3", map[string]any{"input": "in", "key_prefix": "copies/"})+`,
		"named":`+e.task("import/s3", map[string]any{"key": "in/b.txt", "filename": "renamed.txt"})+`,
		"out":{"operation":"export/url","input":"in"}}}`)
	if s.Failed() {
		t.Fatalf("job failed: %+v", s)
	}
	if got := taskByName(t, s, "named").Result.Files; !slices.Equal(got, []File{{"renamed.txt", 3, ""}}) {
		t.Errorf("import by key with a filename: %+v", got)
	}
	want := []File{{"a.png", int64(len(img)), ""}, {"b.txt", 3, ""}, {"c.txt", 3, ""}}
	if got := taskByName(t, s, "in").Result.Files; !slices.Equal(got, want) {
		t.Errorf("imported %+v, want %+v", got, want)
	}
	if got := taskByName(t, s, "s3").Result.Files; !slices.Equal(got, want) {
		t.Errorf("exported %+v, want %+v", got, want)
	}
	if got := e.keys(t, "copies/"); !slices.Equal(got, []string{"copies/a.png", "copies/b.txt", "copies/c.txt"}) {
		t.Errorf("keys under copies/: %q", got)
	}
	for name, src := range map[string]string{"a.png": "in/a.png", "b.txt": "in/b.txt", "c.txt": "in/sub/c.txt"} {
		obj, body := e.get(t, "copies/"+name)
		if !bytes.Equal(body, objects[src]) {
			t.Errorf("copies/%s holds %q, want the bytes of %s", name, body, src)
		}
		// Without content_type, the type is the file name's.
		if ct := aws.ToString(obj.ContentType); name == "a.png" && ct != "image/png" || name == "b.txt" && !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("copies/%s: Content-Type %q", name, ct)
		}
	}
	e.noSecrets(t, s, e.srv.SecretKey)
}

func TestS3ExportKeys(t *testing.T) {
	e := newS3Env(t, allowS3)
	raw := func(name, content string) string {
		return js(map[string]string{"operation": "import/raw", "file": content, "filename": name})
	}
	t.Run("numbered", func(t *testing.T) {
		s := e.h.run(t, `{"tasks":{"a":`+raw("a.txt", "one")+`,"b":`+raw("b.txt", "two")+`,
			"s3":`+e.task("export/s3", map[string]any{"input": []string{"a", "b"}, "key": "n/file-%d.txt"})+`,
			"out":{"operation":"export/url","input":"a"}}}`)
		if s.Failed() {
			t.Fatalf("job failed: %+v", s)
		}
		for key, want := range map[string]string{"n/file-1.txt": "one", "n/file-2.txt": "two"} {
			if _, body := e.get(t, key); string(body) != want {
				t.Errorf("%s holds %q, want %q", key, body, want)
			}
		}
	})
	for name, tt := range map[string]struct {
		fields map[string]any
		inputs string
		want   string
	}{
		"several files to one key": {map[string]any{"key": "one.txt"}, `"a","b"`, `use key_prefix, or %d`},
		"same name twice":          {map[string]any{"key_prefix": "p/"}, `"a","a2"`, `would both be written to key "p/a.txt"`},
		"key the store refuses":    {map[string]any{"key": "a//b.txt"}, `"a"`, `is not an object key`},
	} {
		t.Run(name, func(t *testing.T) {
			tt.fields["input"] = json.RawMessage("[" + tt.inputs + "]")
			before := settled(t, e.srv)
			s := e.h.run(t, `{"tasks":{"a":`+raw("a.txt", "one")+`,"a2":`+raw("a.txt", "two")+`,"b":`+raw("b.txt", "x")+`,
				"s3":`+e.task("export/s3", tt.fields)+`,
				"out":{"operation":"export/url","input":"a"}}}`)
			ts := wantTaskCode(t, s, "s3", CodeInvalidInput)
			if !strings.Contains(*ts.Message, tt.want) {
				t.Errorf("message %q, want it to contain %q", *ts.Message, tt.want)
			}
			if n := settled(t, e.srv) - before - 1; n != 0 {
				t.Errorf("the S3 server received %d requests for a refused export", n)
			}
		})
	}
}

// The endpoint is a host the user chose: the fetch policy decides, and a
// refusal sends nothing.
func TestS3EndpointPolicy(t *testing.T) {
	srv := s3test.Start(t)
	srv.CreateBucket(t, "media")
	refused := &s3Env{srv: srv, logs: &testutil.LogBuffer{}}
	refused.h = newHarness(t, harnessOpts{log: refused.logs})
	refused.put(t, "a.txt", []byte("hello"))
	port := srv.Endpoint()[strings.LastIndexByte(srv.Endpoint(), ':')+1:]
	before := settled(t, srv)

	for name, tt := range map[string]struct{ op, endpoint string }{
		"import, loopback address": {"import/s3", srv.Endpoint()},
		"import, name of loopback": {"import/s3", "http://localhost:" + port},
		"export, loopback address": {"export/s3", srv.Endpoint()},
	} {
		t.Run(name, func(t *testing.T) {
			task := refused.task(tt.op, map[string]any{"key": "a.txt", "endpoint": tt.endpoint})
			in := `{"operation":"import/raw","file":"x","filename":"a.txt"}`
			if tt.op == "import/s3" {
				in = task
				task = `{"operation":"export/url","input":"in"}`
			} else {
				task = strings.Replace(task, `{`, `{"input":"in",`, 1)
			}
			s := refused.h.run(t, `{"tasks":{"in":`+in+`,"s3":`+task+`,"out":{"operation":"export/url","input":"in"}}}`)
			failed := "s3"
			if tt.op == "import/s3" {
				failed = "in"
			}
			ts := wantTaskCode(t, s, failed, string(fetch.CodeForbiddenAddress))
			host := strings.TrimPrefix(tt.endpoint, "http://")
			host = host[:strings.LastIndexByte(host, ':')]
			if want := `connecting to "` + host + `" is not allowed`; !strings.Contains(*ts.Message, want) {
				t.Errorf("message %q, want it to contain %q", *ts.Message, want)
			}
			refused.noSecrets(t, s, srv.SecretKey)
		})
	}
	if n := settled(t, srv) - before - 1; n != 0 {
		t.Errorf("the S3 server received %d requests from refused tasks, want 0:\n%s", n, srv.Log())
	}

	// The operator's allow lists open it, by address or by name.
	for name, tt := range map[string]struct {
		policy   fetch.Policy
		endpoint string
	}{
		"GATEWAY_FETCH_ALLOW_CIDRS": {allowS3, srv.Endpoint()},
		"GATEWAY_FETCH_ALLOW_HOSTS": {fetch.Policy{AllowHosts: []string{"localhost"}}, "http://localhost:" + port},
	} {
		t.Run(name, func(t *testing.T) {
			allowed := &s3Env{srv: srv, logs: &testutil.LogBuffer{}}
			allowed.h = newHarness(t, harnessOpts{policy: tt.policy})
			s := allowed.h.run(t, `{"tasks":{"in":`+allowed.task("import/s3", map[string]any{"key": "a.txt", "endpoint": tt.endpoint})+`,
				"out":{"operation":"export/url","input":"in"}}}`)
			if s.Failed() {
				t.Fatalf("job failed: %+v", s)
			}
			if f := taskByName(t, s, "in").Result.Files; len(f) != 1 || f[0].Filename != "a.txt" || f[0].Size != 5 {
				t.Errorf("imported %+v", f)
			}
		})
	}
}

// The S3 tasks' transport checks every address it dials, and follows no
// redirect: what stops a name that resolved publicly when it was checked.
func TestS3TransportChecksEveryDial(t *testing.T) {
	srv := s3test.Start(t)
	tr, hc := newS3HTTP(fetch.NewClient(fetch.Policy{}))
	defer tr.CloseIdleConnections()
	before := settled(t, srv)
	_, err := hc.Get(srv.Endpoint() + "/")
	if _, ok := fetch.Forbidden(err, "127.0.0.1"); !ok {
		t.Errorf("GET of a loopback S3 server: %v, want a refusal of the fetch policy", err)
	}
	if n := settled(t, srv) - before - 1; n != 0 {
		t.Errorf("the S3 server received %d requests", n)
	}

	redirect := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/latest/meta-data/", http.StatusTemporaryRedirect))
	defer redirect.Close()
	tr, hc = newS3HTTP(fetch.NewClient(allowS3))
	defer tr.CloseIdleConnections()
	resp, err := hc.Get(redirect.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("status %d: the redirect was followed", resp.StatusCode)
	}
}

func TestS3WrongCredentials(t *testing.T) {
	e := newS3Env(t, allowS3)
	e.put(t, "a.txt", []byte("hello"))
	const secret = "wrongSECRET-d3adb33f-0123456789"
	const token = "sessionTOKEN-f00dface-9876543210"
	wrongSecret := map[string]any{"secret_access_key": secret}
	wrongToken := map[string]any{"session_token": token}
	with := func(m map[string]any, kv ...any) map[string]any {
		m = maps.Clone(m)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	importJob := func(fields map[string]any) string {
		return `{"tasks":{"s3":` + e.task("import/s3", with(fields, "key", "a.txt")) + `,"out":{"operation":"export/url","input":"s3"}}}`
	}
	exportJob := func(fields map[string]any) string {
		return `{"tasks":{"in":{"operation":"import/raw","file":"x","filename":"b.txt"},"s3":` +
			e.task("export/s3", with(fields, "key", "b.txt", "input", "in")) + `,"out":{"operation":"export/url","input":"in"}}}`
	}
	for name, job := range map[string]string{
		"import, wrong secret":          importJob(wrongSecret),
		"export, wrong secret":          exportJob(wrongSecret),
		"import, unknown session token": importJob(wrongToken),
		"export, unknown session token": exportJob(wrongToken),
	} {
		t.Run(name, func(t *testing.T) {
			s := e.h.run(t, job)
			ts := wantTaskCode(t, s, "s3", CodeAccessDenied)
			if want := `refused access to`; !strings.Contains(*ts.Message, want) || !strings.Contains(*ts.Message, `bucket "media"`) {
				t.Errorf("message %q, want it to say access to bucket \"media\" was refused", *ts.Message)
			}
			// The failure is logged, with the S3 server's answer, and
			// still without the credentials.
			if !strings.Contains(e.logs.String(), "task failed") {
				t.Fatalf("no log line for the failed task:\n%s", e.logs.String())
			}
			e.noSecrets(t, s, secret, token, e.srv.SecretKey, e.srv.AccessKey)
		})
	}
	if keys := e.keys(t, "b.txt"); len(keys) != 0 {
		t.Errorf("the export with a wrong secret wrote %q", keys)
	}
}

func TestS3NotFound(t *testing.T) {
	e := newS3Env(t, allowS3)
	e.put(t, "a.txt", []byte("hello"))
	for name, tt := range map[string]struct {
		op     string
		fields map[string]any
		code   string
		want   string
	}{
		"missing key":         {"import/s3", map[string]any{"key": "nope.txt"}, CodeObjectNotFound, `object "nope.txt" in bucket "media" does not exist`},
		"empty prefix":        {"import/s3", map[string]any{"key_prefix": "nothing/"}, CodeObjectNotFound, `no object under key_prefix "nothing/"`},
		"missing bucket":      {"import/s3", map[string]any{"key": "a.txt", "bucket": "absent"}, CodeBucketNotFound, `bucket "absent" does not exist`},
		"export, no bucket":   {"export/s3", map[string]any{"key": "a.txt", "bucket": "absent"}, CodeBucketNotFound, `bucket "absent" does not exist`},
		"key the store skips": {"import/s3", map[string]any{"key": "/a.txt"}, CodeInvalidInput, `is not an object key`},
	} {
		t.Run(name, func(t *testing.T) {
			in, task := `{"operation":"import/raw","file":"x","filename":"a.txt"}`, "s3"
			s3 := e.task(tt.op, tt.fields)
			if tt.op == "import/s3" {
				in, s3, task = s3, `{"operation":"export/url","input":"in"}`, "in"
			} else {
				s3 = strings.Replace(s3, `{`, `{"input":"in",`, 1)
			}
			s := e.h.run(t, `{"tasks":{"in":`+in+`,"s3":`+s3+`,"out":{"operation":"export/url","input":"in"}}}`)
			ts := wantTaskCode(t, s, task, tt.code)
			if !strings.Contains(*ts.Message, tt.want) {
				t.Errorf("message %q, want it to contain %q", *ts.Message, tt.want)
			}
		})
	}
}

// recorder is a reverse proxy in front of the S3 server that keeps the
// headers of each request; with refuseACLs it answers a request carrying
// an ACL as S3 does for a bucket whose ACLs are disabled (versitygw takes
// the header and ignores it).
type recorder struct {
	url        string
	mu         sync.Mutex
	headers    []http.Header
	refuseACLs bool
}

func newRecorder(t *testing.T, target string) *recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // signed by the client
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.headers = append(rec.headers, r.Header.Clone())
		refuse := rec.refuseACLs && r.Header.Get("X-Amz-Acl") != ""
		rec.mu.Unlock()
		if refuse {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessControlListNotSupported</Code>`+
				`<Message>The bucket does not allow ACLs</Message></Error>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	rec.url = srv.URL
	return rec
}

func (r *recorder) acls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var acls []string
	for _, h := range r.headers {
		if a := h.Get("X-Amz-Acl"); a != "" {
			acls = append(acls, a)
		}
	}
	return acls
}

func TestS3ExportACL(t *testing.T) {
	e := newS3Env(t, allowS3)
	rec := newRecorder(t, e.srv.Endpoint())
	job := func(acl string) string {
		return `{"tasks":{"in":{"operation":"import/raw","file":"hello","filename":"a.txt"},
			"s3":` + e.task("export/s3", map[string]any{"input": "in", "key": "acl/a.txt", "acl": acl, "endpoint": rec.url}) + `,
			"out":{"operation":"export/url","input":"in"}}}`
	}
	s := e.h.run(t, job("public-read"))
	if s.Failed() {
		t.Fatalf("job failed: %+v", s)
	}
	if got := rec.acls(); !slices.Equal(got, []string{"public-read"}) {
		t.Errorf("ACLs sent: %q, want [public-read]", got)
	}
	if _, body := e.get(t, "acl/a.txt"); string(body) != "hello" {
		t.Errorf("object holds %q", body)
	}

	rec.mu.Lock()
	rec.refuseACLs = true
	rec.mu.Unlock()
	s = e.h.run(t, job("bucket-owner-full-control"))
	ts := wantTaskCode(t, s, "s3", CodeACLNotSupported)
	if want := `bucket "media" does not accept ACLs`; !strings.Contains(*ts.Message, want) {
		t.Errorf("message %q, want it to contain %q", *ts.Message, want)
	}
}

func TestS3ImportLimits(t *testing.T) {
	t.Run("size", func(t *testing.T) {
		policy := allowS3
		policy.MaxBytes = 100
		e := newS3Env(t, policy)
		e.put(t, "big.bin", bytes.Repeat([]byte("x"), 101))
		e.put(t, "small.bin", bytes.Repeat([]byte("x"), 100))
		s := e.h.run(t, `{"tasks":{"in":`+e.task("import/s3", map[string]any{"key": "big.bin"})+`,"out":{"operation":"export/url","input":"in"}}}`)
		ts := wantTaskCode(t, s, "in", CodeTooLarge)
		if want := "larger than the limit of 100 bytes"; !strings.Contains(*ts.Message, want) {
			t.Errorf("message %q, want it to contain %q", *ts.Message, want)
		}
		s = e.h.run(t, `{"tasks":{"in":`+e.task("import/s3", map[string]any{"key": "small.bin"})+`,"out":{"operation":"export/url","input":"in"}}}`)
		if s.Failed() {
			t.Errorf("an object of exactly the limit: %+v", s)
		}
		e.h.checkWorkDirEmpty(t)
	})
	t.Run("task timeout", func(t *testing.T) {
		// A server that never answers: the task's own deadline ends it.
		stall := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer stall.Close()
		h := newHarness(t, harnessOpts{policy: allowS3})
		task := js(map[string]any{"operation": "import/s3", "bucket": "media", "key": "a.txt", "endpoint": stall.URL,
			"access_key_id": "AKID", "secret_access_key": "secret", "timeout": 1})
		s := h.run(t, `{"tasks":{"in":`+task+`,"out":{"operation":"export/url","input":"in"}}}`)
		ts := wantTaskCode(t, s, "in", CodeTimeout)
		if !strings.Contains(*ts.Message, "the task took longer than 1s") {
			t.Errorf("message %q", *ts.Message)
		}
	})
}

// Without Deps.Fetch the S3 tasks fail as the gateway's fault, with no
// attempt to reach the bucket.
func TestS3WithoutFetchClient(t *testing.T) {
	svc := NewService(Config{WorkDir: t.TempDir(), Workers: 1}, Deps{Log: nil})
	defer svc.Close()
	_, err := svc.s3Store(context.Background(), nil)
	var te *taskError
	if !errors.As(err, &te) || te.code != CodeInternal {
		t.Errorf("got %v, want %s", err, CodeInternal)
	}
}
