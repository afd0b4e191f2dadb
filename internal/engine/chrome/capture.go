package chrome

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/signedgate/gateway/internal/engine"
)

// OpCapture is the operation that renders a web page given by URL; the job
// runner passes input format "website" and the URL in Options["url"].
const OpCapture = "capture-website"

const (
	maxURL      = 8192
	maxWaitTime = 10 * time.Second
)

// lifecycle events Chromium reports for wait_until.
var waitEvents = map[string]string{
	"load":             "load",
	"domcontentloaded": "DOMContentLoaded",
	"networkidle0":     "networkIdle",       // no request for 500 ms
	"networkidle2":     "networkAlmostIdle", // at most 2 requests for 500 ms
}

// capture renders the page at Options["url"]. Every request the page makes
// is checked against the fetch policy (see guard); the capture runs in a
// fresh browser context so no cookie or storage survives it.
func (e *Engine) capture(ctx context.Context, req engine.Request, o output, timeout time.Duration) (engine.Result, error) {
	raw, err := req.Options.String("url")
	if err != nil {
		return engine.Result{}, err
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "option url is required")
	}
	if len(raw) > maxURL {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "option url is longer than %d bytes", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "option url must be an http or https URL")
	}
	u.Fragment, u.RawFragment = "", ""
	if err := e.guard.checkURL(ctx, u.String()); err != nil {
		return engine.Result{}, engine.Wrap(engine.CodeInvalidInput, err, "forbidden address: "+err.Error())
	}
	wait := "load"
	if req.Options.Has("wait_until") {
		s, err := req.Options.String("wait_until")
		if err != nil {
			return engine.Result{}, err
		}
		if wait = waitEvents[strings.ToLower(s)]; wait == "" {
			return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "option wait_until must be load, domcontentloaded, networkidle0 or networkidle2")
		}
	}
	ms, err := req.Options.Int("wait_time")
	if err != nil {
		return engine.Result{}, err
	}
	if ms < 0 || time.Duration(ms)*time.Millisecond > maxWaitTime {
		return engine.Result{}, engine.Errorf(engine.CodeInvalidInput, "option wait_time must be between 0 and %d milliseconds", maxWaitTime.Milliseconds())
	}
	if err := e.Start(ctx); err != nil {
		return engine.Result{}, engine.Wrap(engine.CodeConversionFailed, err, "the chromium engine could not be started")
	}
	// The capture opens its own tab, in a browser context of its own.
	var data []byte
	err = e.withTab(ctx, "capturing the page", noTab, func(s *session, _ *tab) error {
		req.Report(10)
		var err error
		data, err = e.captureOn(ctx, s, u.String(), o, wait, time.Duration(ms)*time.Millisecond, timeout)
		return err
	})
	if err != nil {
		return engine.Result{}, err
	}
	req.Report(90)
	name, err := engine.OutputName(engine.File{Name: u.Hostname() + ".website"}, req.Options, o.format)
	if err != nil {
		return engine.Result{}, err
	}
	f, err := writeOutput(req.WorkDir, name, data)
	if err != nil {
		return engine.Result{}, err
	}
	req.Report(100)
	return engine.Result{Files: []engine.File{f}}, nil
}

// captureOn runs one try of a capture on session s and classifies its
// failure.
func (e *Engine) captureOn(ctx context.Context, s *session, rawURL string, o output, wait string, pause, timeout time.Duration) ([]byte, error) {
	jobCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	data, err := e.capturePage(jobCtx, s, rawURL, o, wait, pause)
	if err == nil {
		return data, nil
	}
	var ne *navError
	switch {
	case ctx.Err() != nil:
		return nil, engine.ContextError(ctx)
	case jobCtx.Err() != nil:
		return nil, engine.Wrap(engine.CodeTimeout, err, fmt.Sprintf("the capture took longer than %s", timeout))
	case errors.As(err, &ne):
		return nil, engine.Wrap(engine.CodeInvalidInput, err, ne.message())
	case s.lost(time.Second):
		return nil, fmt.Errorf("%w: %w", errCrashed, err)
	default:
		return nil, engine.Wrap(engine.CodeConversionFailed, err, "chromium could not capture the page")
	}
}

// navError is a main document that did not load.
type navError struct {
	text    string // Chromium's net error
	refused string // why the guard refused a request, if it did
}

func (e *navError) Error() string { return "navigation failed: " + e.text + " " + e.refused }

func (e *navError) message() string {
	if e.refused != "" {
		return "forbidden address: " + e.refused
	}
	return "the page could not be loaded: " + e.text
}

// capturePage loads rawURL in a new browser context and prints or
// photographs it once the wait event fired and wait passed.
func (e *Engine) capturePage(ctx context.Context, s *session, rawURL string, o output, event string, wait time.Duration) ([]byte, error) {
	cctx, cancel, err := s.openContext("", false)
	if err != nil {
		return nil, err
	}
	defer s.closeTab(cancel)
	stop := context.AfterFunc(ctx, cancel)
	defer stop()

	lc := newLifecycle()
	var mu sync.Mutex
	refused := ""
	answer := func(ev *fetch.EventRequestPaused) {
		c := chromedp.FromContext(cctx)
		if c == nil || c.Target == nil {
			return
		}
		actx := cdp.WithExecutor(cctx, c.Target)
		u := ev.Request.URL
		// data: subresources never touch the network.
		if strings.HasPrefix(u, "data:") && ev.ResourceType != network.ResourceTypeDocument {
			fetch.ContinueRequest(ev.RequestID).Do(actx)
			return
		}
		if err := e.guard.checkURL(actx, u); err != nil {
			mu.Lock()
			if refused == "" {
				refused = err.Error()
			}
			mu.Unlock()
			e.cfg.Logger.Info("chromium capture refused a request", "err", err)
			fetch.FailRequest(ev.RequestID, network.ErrorReasonBlockedByClient).Do(actx)
			return
		}
		fetch.ContinueRequest(ev.RequestID).Do(actx)
	}
	chromedp.ListenTarget(cctx, func(ev any) {
		switch ev := ev.(type) {
		case *fetch.EventRequestPaused:
			go answer(ev)
		case *page.EventLifecycleEvent:
			lc.add(string(ev.LoaderID), ev.Name)
		}
	})
	var out []byte
	err = chromedp.Run(cctx,
		fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*"}}),
		page.SetLifecycleEventsEnabled(true),
		chromedp.ActionFunc(o.prepare),
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, loader, text, _, err := page.Navigate(rawURL).Do(ctx)
			if err != nil {
				return err
			}
			if text != "" {
				mu.Lock()
				r := refused
				mu.Unlock()
				if !strings.Contains(text, "BLOCKED_BY_CLIENT") {
					r = ""
				}
				return &navError{text: text, refused: r}
			}
			if err := lc.wait(ctx, string(loader), event); err != nil {
				return err
			}
			if wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			out, err = o.produce(ctx)
			return err
		}),
	)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return out, err
}

// lifecycle records the page's lifecycle events by loader.
type lifecycle struct {
	mu     sync.Mutex
	seen   map[string]bool
	notify chan struct{}
}

func newLifecycle() *lifecycle {
	return &lifecycle{seen: map[string]bool{}, notify: make(chan struct{}, 1)}
}

func (l *lifecycle) add(loader, name string) {
	l.mu.Lock()
	l.seen[loader+"/"+name] = true
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *lifecycle) wait(ctx context.Context, loader, name string) error {
	for {
		l.mu.Lock()
		ok := l.seen[loader+"/"+name]
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-l.notify:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
