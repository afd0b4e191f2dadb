package signedurl

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/signedgate/gateway/internal/cache"
	"github.com/signedgate/gateway/internal/jobs/jobspec"
)

// The waiting page: what a person who opened a signed link in a browser
// sees while the job runs past the wait, or when it failed. It follows the
// job through a status URL of its own (see statusURL) and sends its person
// to the file when it is ready. It loads nothing from elsewhere; its one
// script and style are allowed by their hashes, nothing else is.

//go:embed waiting.html
var waitingHTML string

var waitingPage = template.Must(template.New("waiting").Parse(waitingHTML))

const waitingStyle = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}
main{max-width:34rem;margin:12vh auto;padding:0 1.25rem}
h1{font-size:1.4rem}progress{width:100%;height:1.1rem}
#error{border-left:4px solid #b3261e;padding-left:.9rem}code{font-size:.95em}`

const waitingScript = `(() => {
  const data = JSON.parse(document.getElementById("job").textContent);
  const $ = (id) => document.getElementById(id);
  const words = { waiting: "Waiting for a free worker", processing: "Working on it" };
  function fail(message, code) {
    $("title").textContent = "The file could not be made";
    $("what").textContent = data.failed;
    document.title = "The file could not be made";
    $("state").textContent = "";
    $("msg").textContent = message;
    $("code").textContent = code;
    $("error").hidden = false;
    $("bar").hidden = true;
  }
  function show(v) {
    $("bar").value = v.percent;
    $("bar").textContent = v.percent + "%";
    if (v.location) {
      $("bar").value = 100;
      $("state").textContent = "Ready.";
      $("link").href = v.location;
      $("ready").hidden = false;
      window.location.assign(v.location);
      return true;
    }
    if (v.done) {
      fail(v.message || "The conversion failed.", v.code || "");
      return true;
    }
    $("state").textContent = (words[v.status] || "Working on it") + ": " + v.percent + "%";
    return false;
  }
  async function poll(delay) {
    try {
      const r = await fetch(data.status, { cache: "no-store", credentials: "omit" });
      if (r.ok) {
        if (show(await r.json())) return;
      } else if (r.status === 403 || r.status === 404) {
        const body = await r.json().catch(() => ({}));
        fail("This page can no longer follow the job; open the link again.", body.code || "");
        return;
      }
    } catch (e) {}
    setTimeout(() => poll(Math.min(delay * 1.5, 5000)), delay);
  }
  if (!show(data.view)) setTimeout(() => poll(1000), 500);
})();`

// waitingCSP allows the page's own script and style, by their hashes, and
// its polls of the gateway; nothing else, no frame around it.
var waitingCSP = "default-src 'none'; script-src '" + hashOf(waitingScript) + "'; style-src '" + hashOf(waitingStyle) +
	"'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// wantsPage reports whether r prefers an HTML page to JSON: a browser
// opening the link, not an API client (application/json, */* or no
// Accept).
func wantsPage(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return false
	}
	html, json := quality(accept, "text", "html"), quality(accept, "application", "json")
	return html > 0 && html > json
}

// quality is the q an Accept header gives the media type typ/sub: that of
// the most specific range that matches it.
func quality(accept, typ, sub string) float64 {
	best, bestSpec := 0.0, -1
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		t, s, _ := strings.Cut(mt, "/")
		spec := 0
		switch {
		case t == typ && s == sub:
			spec = 2
		case t == typ && s == "*":
			spec = 1
		case t == "*" && s == "*":
			spec = 0
		default:
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
		if spec > bestSpec {
			best, bestSpec = q, spec
		}
	}
	return best
}

// pageData fills waiting.html.
type pageData struct {
	Failed        bool
	Name, What    string
	State         string
	View          jobView
	Data          any
	Style, Script template.HTML
}

// page answers a browser with the waiting page of e's job: 202 while it
// runs, the job's failure status once it failed.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, b Base, e cache.Entry, job *jobspec.Job) {
	v := viewOf(e.Status)
	name, format := describe(job)
	what := "Your file is being made. This page brings it to you when it is ready."
	switch {
	case name != "" && format != "":
		what = name + " (" + format + ") is being made. This page brings it to you when it is ready."
	case format != "":
		what = "A " + format + " file is being made. This page brings it to you when it is ready."
	}
	failed := e.Final
	failedWhat := "The job that makes " + cmp.Or(name, "the file") + " failed."
	if failed {
		what = failedWhat
		if v.Message == "" {
			v.Message = "The conversion failed."
		}
	}
	d := pageData{
		Failed: failed, Name: cmp.Or(name, "your file"), What: what,
		State: "Waiting for a free worker: " + strconv.Itoa(v.Percent) + "%", View: v,
		Data:   map[string]any{"view": v, "status": statusURL(b, e.JobID, time.Now()), "failed": failedWhat},
		Style:  template.HTML("<style>" + waitingStyle + "</style>"),
		Script: template.HTML("<script>" + waitingScript + "</script>"),
	}
	if v.Status == "processing" {
		d.State = "Working on it: " + strconv.Itoa(v.Percent) + "%"
	}
	var body bytes.Buffer
	if err := waitingPage.Execute(&body, d); err != nil {
		respond(w, e) // cannot happen with this template; JSON still answers
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Content-Security-Policy", waitingCSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "Accept")
	if e.JobID != "" {
		hd.Set("X-Job-Id", e.JobID)
	}
	status := http.StatusAccepted
	if failed {
		status = e.HTTPStatus
	}
	hd.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body.Bytes())
	}
}
