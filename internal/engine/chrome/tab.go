package chrome

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// tab is one browser tab, in a browser context of its own with a proxy
// that refuses everything (see newTab). A tab is of one of two kinds:
//
//   - A fresh tab serves one job and is then closed with its context. Every
//     converted document has the same origin, so a script of one job could
//     otherwise read what a script of an earlier job left in the browser
//     (cookies, localStorage, sessionStorage, IndexedDB, the Cache API,
//     window.name, the history, a page in the back/forward cache, a script
//     still running) or share a BroadcastChannel or SharedWorker with a
//     job running at the same time.
//   - A static tab runs no script at all (Chromium's script execution is
//     off in it), so no page can store or read anything there, and it
//     serves job after job, warm. Documents without a script go there (see
//     mayRunScript).
//
// A new context needs a new renderer process and window: a job in a fresh
// tab costs about four times the CPU of one in a static tab (opening and
// closing included). The pool keeps fresh tabs opened ahead of their jobs,
// so that a job does not wait for one.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc // closes the tab and disposes its context
	static bool
	window browser.WindowID // minimized while the tab waits (see show)

	mu   sync.Mutex
	url  string // the document URL of the current job
	body []byte // its HTML
}

var jobSeq atomic.Int64

// newTab opens a tab in a new browser context whose every request is
// paused: the current job's document URL is answered from memory,
// everything else is refused. What interception does not see (preconnects,
// WebSockets, workers, popups) goes to the context's proxy, the session's
// refusing one (see noNetwork), and never to the guard's.
func (s *session) newTab(static bool) (*tab, error) {
	ctx, cancel, err := s.openContext(s.noNetwork, true)
	if err != nil {
		return nil, err
	}
	t := &tab{ctx: ctx, cancel: cancel, static: static}
	chromedp.ListenTarget(ctx, func(ev any) {
		paused, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go t.answer(paused)
	})
	actions := []chromedp.Action{fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*"}})}
	if static {
		// For every document the tab will load: no script element, event
		// handler or javascript: URL runs, in any frame.
		actions = append(actions, emulation.SetScriptExecutionDisabled(true))
	}
	actions = append(actions, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		t.window, _, err = browser.GetWindowForTarget().Do(ctx)
		return err
	}))
	// An empty document of the origin the jobs' documents have, so that
	// the renderer is warm for the first job.
	actions = append(actions, t.load([]byte("<!doctype html>")))
	if err := chromedp.Run(ctx, actions...); err != nil {
		cancel()
		return nil, err
	}
	return t, nil
}

// show restores the tab's window, or minimizes it again.
//
// Tabs wait in the pool in minimized windows: a visible window, even idle,
// slows the conversions in the others by about a third. A hidden page
// prints to PDF (faster, even), but a screenshot needs a visible one, and
// so do scripts (requestAnimationFrame runs only in a visible page, timers
// are slowed in a hidden one).
func (t *tab) show(ctx context.Context, visible bool) error {
	state := browser.WindowStateMinimized
	if visible {
		state = browser.WindowStateNormal
	}
	return browser.SetWindowBounds(t.window, &browser.Bounds{WindowState: state}).Do(ctx)
}

// scriptRE finds what a document needs to run a script: a script element
// (HTML or SVG), an event handler attribute, a javascript: URL, and the
// elements that can load one hidden behind character references (frames,
// objects); <noscript> too, whose content would show with scripts off. It
// matches more than that (text that reads like an attribute), which only
// sends a document to a fresh tab. What it would miss runs in a static tab
// with scripts off: the document prints without its script, and nothing
// leaks.
var scriptRE = regexp.MustCompile(`(?i)<script|<noscript|javascript:|<i?frame|<object|<embed|on[a-z]+\s*=`)

// mayRunScript reports whether html may run a script, so needs a fresh tab.
// A UTF-16 document (with a byte order mark, which beats the charset the
// tab declares) hides its markup from scriptRE, so it counts as scripted.
func mayRunScript(html []byte) bool {
	if bytes.HasPrefix(html, []byte{0xfe, 0xff}) || bytes.HasPrefix(html, []byte{0xff, 0xfe}) {
		return true
	}
	return scriptRE.Match(html)
}

// openContext creates a browser context whose traffic goes to proxy
// (host:port; empty: the browser's proxy, the guard's), opens a tab in it,
// in a window of its own, minimized or not, and attaches to the tab.
// cancel closes the tab and disposes the context, which drops all it
// stored.
func (s *session) openContext(proxy string, minimized bool) (context.Context, context.CancelFunc, error) {
	c := chromedp.FromContext(s.browser)
	if c == nil || c.Browser == nil {
		return nil, nil, errors.New("no browser")
	}
	bctx := cdp.WithExecutor(s.browser, c.Browser)
	create := target.CreateBrowserContext().WithDisposeOnDetach(true)
	if proxy != "" {
		// Without "<-loopback>" a context's proxy is bypassed for
		// loopback addresses.
		create = create.WithProxyServer("http://" + proxy).WithProxyBypassList("<-loopback>")
	}
	bid, err := create.Do(bctx)
	if err != nil {
		return nil, nil, err
	}
	dispose := func() {
		ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		target.DisposeBrowserContext(bid).Do(ctx)
	}
	// chromedp's WithNewBrowserContext opens the tab without a window,
	// which headless Chromium refuses; open both here.
	open := target.CreateTarget("about:blank").WithBrowserContextID(bid).WithNewWindow(true)
	if minimized {
		open = open.WithWindowState(target.WindowStateMinimized)
	}
	tid, err := open.Do(bctx)
	if err != nil {
		dispose()
		return nil, nil, err
	}
	ctx, closeTab := chromedp.NewContext(s.browser, chromedp.WithTargetID(tid))
	cancel := sync.OnceFunc(func() {
		closeTab()
		dispose()
	})
	if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(noPeerScript).Do(ctx)
		return err
	})); err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, cancel, nil
}

// noPeerScript runs in every document before the page's own scripts and
// removes the APIs that send UDP: WebRTC and WebTransport. It is the
// second fence only: the browser's flags are what keep WebRTC off UDP
// (see allocOptions), since a script cannot reach every realm (workers).
const noPeerScript = `(() => {
  for (const name of ["RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel", "WebTransport"]) {
    try { delete globalThis[name]; } catch (e) {}
  }
})();`

func (t *tab) answer(ev *fetch.EventRequestPaused) {
	c := chromedp.FromContext(t.ctx)
	if c == nil || c.Target == nil {
		return
	}
	ctx := cdp.WithExecutor(t.ctx, c.Target)
	t.mu.Lock()
	url, body := t.url, t.body
	t.mu.Unlock()
	if url != "" && ev.Request.URL == url {
		fetch.FulfillRequest(ev.RequestID, 200).
			WithResponseHeaders([]*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}).
			WithBody(base64.StdEncoding.EncodeToString(body)).Do(ctx)
		return
	}
	fetch.FailRequest(ev.RequestID, network.ErrorReasonBlockedByClient).Do(ctx)
}

// render loads html in the tab and prints or photographs it.
func (t *tab) render(ctx context.Context, html []byte, o output) ([]byte, error) {
	var out []byte
	err := chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			if t.static && o.format == "pdf" {
				return nil
			}
			return t.show(ctx, true)
		}),
		chromedp.ActionFunc(o.prepare),
		t.load(html),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			if out, err = o.produce(ctx); err != nil || !t.static || o.format == "pdf" {
				return err
			}
			// The static tab goes back to the pool, minimized, and
			// without the job's viewport.
			if err := emulation.ClearDeviceMetricsOverride().Do(ctx); err != nil {
				return err
			}
			return t.show(ctx, false)
		}),
	)
	return out, err
}

// load navigates the tab to a new document URL, served html, and waits for
// the load event.
func (t *tab) load(html []byte) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		url := fmt.Sprintf("https://document.invalid/%d", jobSeq.Add(1))
		t.mu.Lock()
		t.url, t.body = url, html
		t.mu.Unlock()
		defer func() {
			t.mu.Lock()
			t.url, t.body = "", nil
			t.mu.Unlock()
		}()
		return chromedp.Navigate(url).Do(ctx)
	})
}
