package signedurl

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// vector is one URL made by an official SDK. The vectors are the URL
// verifier's (vectorsPath): one copy, read here through the whole gateway.
type vector struct {
	Name     string          `json:"name"`
	Base     string          `json:"base"`
	Secret   string          `json:"secret"`
	Job      json.RawMessage `json:"job"`
	CacheKey string          `json:"cache_key"`
	URL      string          `json:"url"`
	SDK      string          `json:"sdk"`
}

const vectorsPath = "../verify/urlsig/testdata/cloudconvert.json"

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	return vs
}

// register makes v's base known to h under the id its path ends with,
// and returns the URL to request: h's own address with v's path and raw
// query, so only the registered base string can make the signature hold.
func (h *harness) register(t *testing.T, v vector, base string) (id, target string) {
	t.Helper()
	u, err := url.Parse(v.Base)
	if err != nil {
		t.Fatal(err)
	}
	id = u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	h.createBase(t, map[string]string{"id": id, "base": base, "signing_secret": v.Secret})
	t.Cleanup(func() { h.admin(t, "DELETE", "/v1/signed-url-bases/"+id, nil, nil) })
	_, rawQuery, _ := strings.Cut(v.URL, "?")
	return id, h.srv.URL + u.Path + "?" + rawQuery
}

func TestVectorsAccepted(t *testing.T) {
	h := newHarness(t, false)
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			_, target := h.register(t, v, v.Base)
			before := h.runner.count()
			a := get(t, "GET", target)
			if !hasExport(v.Job) {
				// The signature held; the job stage refuses a job with no
				// file to redirect to (the Ruby vector has no export/url).
				if a.status != http.StatusBadRequest || a.err.Code != "INVALID_DATA" || !strings.Contains(a.err.Message, "export/url") {
					t.Fatalf("got %d %s, want 400 INVALID_DATA about export/url", a.status, a.body)
				}
				return
			}
			if a.status != http.StatusFound {
				t.Fatalf("status %d %s, want 302", a.status, a.body)
			}
			if h.runner.count() != before+1 {
				t.Fatalf("%d jobs submitted, want 1", h.runner.count()-before)
			}
			// The job that ran is the vector's job, in its task order.
			var want struct {
				Tasks json.RawMessage `json:"tasks"`
			}
			json.Unmarshal(v.Job, &want)
			ran := h.runner.jobs[len(h.runner.jobs)-1].spec
			for i, name := range taskNames(t, want.Tasks) {
				if ran.Tasks[i].Name != name {
					t.Errorf("task %d is %q, want %q", i, ran.Tasks[i].Name, name)
				}
			}
			if got := a.header.Get("Location"); !strings.HasPrefix(got, "http://outputs.test/") {
				t.Errorf("Location %q", got)
			}
			if a.header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", a.header.Get("Cache-Control"))
			}
		})
	}
}

func hasExport(job json.RawMessage) bool {
	return strings.Contains(string(job), `"export/url"`)
}

// taskNames lists a tasks object's keys in order.
func taskNames(t *testing.T, raw json.RawMessage) []string {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	var names []string
	dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		names = append(names, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	return names
}

// flip changes the byte at i of s to another of its class (lower-case
// hex, letter, digit), so the URL stays well-formed and only the
// signature can tell.
func flip(s string, i int) string {
	c := s[i]
	r := c
	switch {
	case c >= 'a' && c <= 'f':
		r = 'a' + (c-'a'+1)%6
	case c >= 'a' && c <= 'z':
		r = 'a' + (c-'a'+1)%26
	case c >= 'A' && c <= 'Z':
		r = 'A' + (c-'A'+1)%26
	case c >= '0' && c <= '9':
		r = '0' + (c-'0'+1)%10
	case c == '-':
		r = '_'
	case c == '_':
		r = '-'
	case c == '=':
		r = 'A'
	default:
		r = 'x'
	}
	return s[:i] + string(r) + s[i+1:]
}

func TestVectorsTamperedRefused(t *testing.T) {
	h := newHarness(t, false)
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			u, _ := url.Parse(v.Base)
			_, rawQuery, _ := strings.Cut(v.URL, "?")
			pairs := strings.Split(rawQuery, "&")
			type mutant struct {
				name, base, query string
				status            int
				code              string
			}
			var mutants []mutant
			// Every byte of the base: register a base that differs by one
			// byte from the one that was signed (the path stays, so the
			// request still reaches it).
			hostAt, pathAt := len(u.Scheme+"://"), strings.Index(v.Base, u.Path)
			for i := hostAt; i < pathAt; i++ {
				if strings.IndexByte(":.", v.Base[i]) >= 0 {
					continue
				}
				mutants = append(mutants, mutant{"base byte " + string(v.Base[i]), flip(v.Base, i), rawQuery, http.StatusForbidden, "INVALID_SIGNATURE"})
			}
			// Every byte of job, cache_key and s.
			for pi, p := range pairs {
				k, val, _ := strings.Cut(p, "=")
				for i := range len(val) {
					q := append([]string(nil), pairs...)
					q[pi] = k + "=" + flip(val, i)
					mutants = append(mutants, mutant{k + " byte", v.Base, strings.Join(q, "&"), http.StatusForbidden, "INVALID_SIGNATURE"})
				}
				if k == "cache_key" {
					q := append([]string(nil), pairs...)
					q[pi] = p + "x"
					mutants = append(mutants, mutant{"cache_key longer", v.Base, strings.Join(q, "&"), http.StatusForbidden, "INVALID_SIGNATURE"})
				}
			}
			s := pairs[len(pairs)-1]
			mutants = append(mutants,
				mutant{"duplicate s", v.Base, rawQuery + "&" + s, http.StatusForbidden, "INVALID_SIGNATURE"},
				mutant{"s first and again", v.Base, s + "&" + rawQuery, http.StatusForbidden, "INVALID_SIGNATURE"},
				mutant{"no s", v.Base, strings.Join(pairs[:len(pairs)-1], "&"), http.StatusForbidden, "MISSING_SIGNATURE"},
				mutant{"extra pair", v.Base, "x=1&" + rawQuery, http.StatusForbidden, "INVALID_SIGNATURE"},
			)
			current := ""
			for _, m := range mutants {
				if m.base != current {
					if current != "" {
						h.admin(t, "DELETE", "/v1/signed-url-bases/x-"+v.SDK, nil, nil)
					}
					h.createBase(t, map[string]string{"id": "x-" + v.SDK, "base": m.base, "signing_secret": v.Secret})
					current = m.base
				}
				before, refusedBefore := h.runner.count(), h.refusals(m.code)
				a := get(t, "GET", h.srv.URL+u.Path+"?"+m.query)
				if a.status != m.status || a.err.Code != m.code {
					t.Errorf("%s (%s): got %d %s, want %d %s", m.name, m.query, a.status, a.body, m.status, m.code)
				}
				if h.runner.count() != before {
					t.Errorf("%s: a job was submitted", m.name)
				}
				if h.refusals(m.code) != refusedBefore+1 {
					t.Errorf("%s: refusal not counted", m.name)
				}
				if a.header.Get("Cache-Control") != "no-store" {
					t.Errorf("%s: Cache-Control %q", m.name, a.header.Get("Cache-Control"))
				}
			}
			h.admin(t, "DELETE", "/v1/signed-url-bases/x-"+v.SDK, nil, nil)
			// Unknown base path: the gateway's 404.
			_, target := h.register(t, v, v.Base)
			a := get(t, "GET", strings.Replace(target, u.Path, u.Path+"x", 1))
			if a.status != http.StatusNotFound {
				t.Errorf("unknown base: got %d %s, want 404", a.status, a.body)
			}
		})
	}
}
