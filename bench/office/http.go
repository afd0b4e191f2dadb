package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/app"
	"github.com/signedgate/gateway/internal/verify/urlsig"
)

// gateway is a whole gateway instance on a loopback socket, as users reach
// it: each conversion is a signed URL whose job imports the file, converts
// it and exports it; the time counted runs from the request to the last
// byte of the PDF.
type gateway struct {
	url    string
	app    *app.App
	stop   func()
	client *http.Client
}

const benchSecret = "office-bench-signing-secret-0123"

func startGateway(ctx context.Context, work string, slots int) (*gateway, error) {
	if err := os.MkdirAll(filepath.Join(work, "profiles"), 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := "http://" + ln.Addr().String()
	cfg, err := config.LoadFrom(map[string]string{
		"GATEWAY_PUBLIC_URL":              u,
		"GATEWAY_DATA_DIR":                filepath.Join(work, "gateway-data"),
		"GATEWAY_ENGINES_OFFICE_SLOTS":    strconv.Itoa(slots),
		"GATEWAY_JOBS_WORKERS":            strconv.Itoa(slots * 2),
		"GATEWAY_ENGINES_OFFICE_WORK_DIR": filepath.Join(work, "profiles"),
		"GATEWAY_LOG_LEVEL":               "error",
	})
	if err != nil {
		return nil, err
	}
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	if err := a.Engines.Start(ctx); err != nil {
		a.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { a.Serve(sctx, ln); close(done) }()
	g := &gateway{url: u, app: a, stop: func() { cancel(); <-done; a.Close() },
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	body := fmt.Sprintf(`{"id":"office","signing_secret":%q}`, benchSecret)
	req, _ := http.NewRequest("POST", u+"/v1/signed-url-bases", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		g.stop()
		return nil, fmt.Errorf("create base: %v %v", resp, err)
	}
	resp.Body.Close()
	return g, nil
}

// convert runs one job converting path to PDF through a signed URL.
func (g *gateway) convert(ctx context.Context, path, dir string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	file, _ := json.Marshal(base64.StdEncoding.EncodeToString(data))
	name, _ := json.Marshal(filepath.Base(path))
	job := `{"tasks":{"in":{"operation":"import/base64","file":` + string(file) + `,"filename":` + string(name) + `},` +
		`"pdf":{"operation":"convert","input":"in","output_format":"pdf"},"out":{"operation":"export/url","input":"pdf"}}}`
	signed := urlsig.Sign(g.url+"/office", benchSecret, []byte(job), "")
	resp, err := g.client.Get(signed)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return fmt.Errorf("signed URL: %d %s", resp.StatusCode, msg)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		return err
	}
	out, err := g.client.Get(g.url + loc.RequestURI())
	if err != nil {
		return err
	}
	defer out.Body.Close()
	n, err := io.Copy(io.Discard, out.Body)
	if err != nil || out.StatusCode != http.StatusOK || n == 0 {
		return fmt.Errorf("output: %d, %d bytes, %v", out.StatusCode, n, err)
	}
	return os.RemoveAll(dir)
}
