package app_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/signedgate/gateway/internal/testutil"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// needTools ends the test when a program is missing (testutil.MissingTool):
// under make test and in CI the conversions must really run.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	testutil.NeedPrograms(t, tools...)
}

// convert signs job against a fresh base of in, follows the redirect and
// returns the output file.
func convert(t *testing.T, in instance, job string) []byte {
	t.Helper()
	const secret = "conversion-test-secret-0123456789"
	id := "b" + strconv.Itoa(len(job)) + strings.ReplaceAll(t.Name(), "/", "-")
	if code, body := in.do(t, "POST", "/v1/signed-url-bases", `{"id":"`+id+`","base":"`+in.URL+"/"+id+`","signing_secret":"`+secret+`"}`); code != 201 {
		t.Fatalf("create base: %d %v", code, body)
	}
	signed := urlsig.Sign(in.URL+"/"+id, secret, []byte(job), "")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(signed)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("signed URL: got %d %s", resp.StatusCode, body)
	}
	// The Location is under GATEWAY_PUBLIC_URL; this instance listens on a
	// port chosen at start.
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.Path, "/outputs/") {
		t.Fatalf("Location: %q", resp.Header.Get("Location"))
	}
	out, err := http.Get(in.URL + loc.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	data, _ := io.ReadAll(out.Body)
	if out.StatusCode != 200 {
		t.Fatalf("output: got %d %s", out.StatusCode, data)
	}
	return data
}

func pdfText(t *testing.T, pdf []byte) (text string, pages int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.pdf")
	os.WriteFile(path, pdf, 0o600)
	txt, err := exec.Command("pdftotext", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v (output is not a PDF?)", err)
	}
	info, _ := exec.Command("pdfinfo", path).Output()
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			pages, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return string(txt), pages
}

func rawTask(content, name string) string {
	c, _ := json.Marshal(content)
	return `{"operation":"import/raw","file":` + string(c) + `,"filename":"` + name + `"}`
}

// Every engine family converts through a signed URL, and the output is
// checked for what it must contain.
func TestConversionsThroughSignedURLs(t *testing.T) {
	in := start(t, map[string]string{"GATEWAY_DATA_DIR": t.TempDir()})

	t.Run("DocumentToPDF", func(t *testing.T) {
		needTools(t, "soffice", "pdftotext", "pdfinfo")
		pdf := convert(t, in, `{"tasks":{"in":`+rawTask("Quarterly report of the gateway\nSecond line", "report.txt")+
			`,"pdf":{"operation":"convert","input":"in","output_format":"pdf"},"out":{"operation":"export/url","input":"pdf"}}}`)
		if text, _ := pdfText(t, pdf); !strings.Contains(text, "Quarterly report of the gateway") {
			t.Fatalf("PDF text: %q", text)
		}
	})

	t.Run("WebPageToPDF", func(t *testing.T) {
		needTools(t, "chromium", "pdftotext", "pdfinfo")
		pdf := convert(t, in, `{"tasks":{"in":`+rawTask("<html><body><h1>Rendered by the browser</h1></body></html>", "page.html")+
			`,"pdf":{"operation":"convert","input":"in","output_format":"pdf"},"out":{"operation":"export/url","input":"pdf"}}}`)
		if text, _ := pdfText(t, pdf); !strings.Contains(text, "Rendered by the browser") {
			t.Fatalf("PDF text: %q", text)
		}
	})

	t.Run("WebsiteCapture", func(t *testing.T) {
		needTools(t, "chromium", "pdftotext", "pdfinfo")
		page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><body><p>Captured from a live page</p></body></html>")
		}))
		defer page.Close()
		job := `{"tasks":{"cap":{"operation":"capture-website","url":"` + page.URL + `/","output_format":"pdf"},` +
			`"out":{"operation":"export/url","input":"cap"}}}`
		// Loopback is refused by default, as for import/url...
		id := "capture-refused"
		if code, body := in.do(t, "POST", "/v1/signed-url-bases", `{"id":"`+id+`","base":"`+in.URL+"/"+id+`","signing_secret":"conversion-test-secret-0123456789"}`); code != 201 {
			t.Fatalf("create base: %d %v", code, body)
		}
		resp, err := http.Get(urlsig.Sign(in.URL+"/"+id, "conversion-test-secret-0123456789", []byte(job), ""))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 422 || !strings.Contains(string(body), "forbidden") {
			t.Fatalf("capture of a loopback page by default: got %d %s", resp.StatusCode, body)
		}
		// ...and allowed where the operator says so.
		allowed := start(t, map[string]string{"GATEWAY_DATA_DIR": t.TempDir(), "GATEWAY_FETCH_ALLOW_CIDRS": "127.0.0.0/8"})
		pdf := convert(t, allowed, job)
		if text, _ := pdfText(t, pdf); !strings.Contains(text, "Captured from a live page") {
			t.Fatalf("captured PDF text: %q", text)
		}
	})

	t.Run("ImageToWebP", func(t *testing.T) {
		needTools(t, "vips")
		png := mustPNG(t, 64, 48)
		webp := convert(t, in, `{"tasks":{"in":{"operation":"import/base64","file":"`+base64.StdEncoding.EncodeToString(png)+`","filename":"a.png"},`+
			`"w":{"operation":"convert","input":"in","output_format":"webp"},"out":{"operation":"export/url","input":"w"}}}`)
		if len(webp) < 12 || string(webp[:4]) != "RIFF" || string(webp[8:12]) != "WEBP" {
			t.Fatalf("output is not WebP: % x", webp[:min(12, len(webp))])
		}
	})

	t.Run("MergePDFs", func(t *testing.T) {
		needTools(t, "soffice", "qpdf", "pdftotext", "pdfinfo")
		pdf := convert(t, in, `{"tasks":{"a":`+rawTask("First document", "a.txt")+`,"b":`+rawTask("Second document", "b.txt")+
			`,"pa":{"operation":"convert","input":"a","output_format":"pdf"},"pb":{"operation":"convert","input":"b","output_format":"pdf"},`+
			`"m":{"operation":"merge","input":["pa","pb"],"output_format":"pdf"},"out":{"operation":"export/url","input":"m"}}}`)
		text, pages := pdfText(t, pdf)
		if pages != 2 || !strings.Contains(text, "First document") || !strings.Contains(text, "Second document") {
			t.Fatalf("merged PDF: %d pages, text %q", pages, text)
		}
	})

	t.Run("ImageThumbnail", func(t *testing.T) {
		png := mustPNG(t, 400, 300)
		img := convert(t, in, `{"tasks":{"in":{"operation":"import/base64","file":"`+base64.StdEncoding.EncodeToString(png)+`","filename":"a.png"},`+
			`"th":{"operation":"thumbnail","input":"in","output_format":"png","width":100},"out":{"operation":"export/url","input":"th"}}}`)
		cfg, format, err := image.DecodeConfig(bytes.NewReader(img))
		if err != nil || format != "png" || cfg.Width != 100 || cfg.Height != 75 {
			t.Fatalf("thumbnail: %s %dx%d, %v", format, cfg.Width, cfg.Height, err)
		}
	})

	t.Run("VideoToAudioAndThumbnail", func(t *testing.T) {
		needTools(t, "ffmpeg", "ffprobe")
		clip := filepath.Join(t.TempDir(), "clip.mp4")
		out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10",
			"-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", clip).CombinedOutput()
		if err != nil {
			t.Fatalf("make clip: %v %s", err, out)
		}
		data, _ := os.ReadFile(clip)
		b64 := base64.StdEncoding.EncodeToString(data)
		mp3 := convert(t, in, `{"tasks":{"in":{"operation":"import/base64","file":"`+b64+`","filename":"clip.mp4"},`+
			`"a":{"operation":"convert","input":"in","output_format":"mp3"},"out":{"operation":"export/url","input":"a"}}}`)
		path := filepath.Join(t.TempDir(), "a.mp3")
		os.WriteFile(path, mp3, 0o600)
		probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "default=nw=1", path).Output()
		if err != nil || !strings.Contains(string(probe), "codec_name=mp3") {
			t.Fatalf("ffprobe of the mp3: %s %v", probe, err)
		}
		var seconds float64
		for _, line := range strings.Split(string(probe), "\n") {
			if v, ok := strings.CutPrefix(line, "duration="); ok {
				seconds, _ = strconv.ParseFloat(v, 64)
			}
		}
		if seconds < 1.7 || seconds > 2.3 {
			t.Fatalf("mp3 duration: got %.2fs, want the clip's 2s", seconds)
		}
		thumb := convert(t, in, `{"tasks":{"in":{"operation":"import/base64","file":"`+b64+`","filename":"clip.mp4"},`+
			`"th":{"operation":"thumbnail","input":"in","output_format":"png","width":80,"timestamp":1},"out":{"operation":"export/url","input":"th"}}}`)
		cfg, format, err := image.DecodeConfig(bytes.NewReader(thumb))
		if err != nil || format != "png" || cfg.Width != 80 || cfg.Height != 60 {
			t.Fatalf("video thumbnail: %s %dx%d, %v", format, cfg.Width, cfg.Height, err)
		}
	})
}

func mustPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
