package chrome

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// tab is one browser tab, used by one conversion at a time.
type tab struct {
	ctx    context.Context
	cancel context.CancelFunc // closes the tab

	mu   sync.Mutex
	url  string // the document URL of the current job
	body []byte // its HTML
}

var jobSeq atomic.Int64

// newTab opens a tab whose every request is paused: the current job's
// document URL is answered from memory, everything else is refused.
func (s *session) newTab() (*tab, error) {
	ctx, cancel := chromedp.NewContext(s.browser)
	t := &tab{ctx: ctx, cancel: cancel}
	chromedp.ListenTarget(ctx, func(ev any) {
		paused, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		go t.answer(paused)
	})
	if err := chromedp.Run(ctx, fetch.Enable().WithPatterns([]*fetch.RequestPattern{{URLPattern: "*"}})); err != nil {
		cancel()
		return nil, err
	}
	return t, nil
}

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
	url := fmt.Sprintf("https://document.invalid/%d", jobSeq.Add(1))
	t.mu.Lock()
	t.url, t.body = url, html
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		t.url, t.body = "", nil
		t.mu.Unlock()
	}()
	var out []byte
	err := chromedp.Run(ctx,
		chromedp.ActionFunc(o.prepare),
		chromedp.Navigate(url),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			out, err = o.produce(ctx)
			o.reset(ctx)
			return err
		}),
	)
	return out, err
}
