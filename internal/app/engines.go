package app

import (
	"context"

	"github.com/signedgate/gateway/internal/engine"
	"github.com/signedgate/gateway/internal/engine/archive"
	"github.com/signedgate/gateway/internal/engine/chrome"
	"github.com/signedgate/gateway/internal/engine/imagego"
	"github.com/signedgate/gateway/internal/engine/media"
	"github.com/signedgate/gateway/internal/engine/office"
	"github.com/signedgate/gateway/internal/engine/pdfengine"
	"github.com/signedgate/gateway/internal/engine/vips"
	"github.com/signedgate/gateway/internal/fetch"
)

// registerEngines fills the registry with every engine this machine can
// run. An engine whose programs are missing is registered as unavailable, so
// its conversions fail with a message naming the Debian package while the
// gateway and every other engine work. Engines that keep processes warm start
// them on first use, or all at once in Run (warmEngines).
//
// The order of the engines here is their preference order; engineCatalog
// lists the same engines in the same order, so change both together.
func (a *App) registerEngines(reg *engine.Registry) {
	cfg := a.Config.Engines
	// Chromium first: it renders HTML more faithfully than LibreOffice, so
	// html→pdf goes to it when both are installed.
	cc := chrome.FromConfig(cfg.Chrome, a.Log)
	// Website captures fetch user-supplied URLs: the same address policy as
	// import/url, enforced on every request of the page.
	cc.Policy = fetch.Policy{AllowCIDRs: a.Config.Fetch.Prefixes(), AllowHosts: a.Config.Fetch.AllowHosts}
	if e, err := chrome.New(cc); err == nil {
		reg.Register(e)
	} else {
		a.Log.Warn("web page engine unavailable", "err", err)
		reg.RegisterUnavailable(chrome.Name, chrome.Package, chrome.Conversions())
	}
	if e, err := office.New(office.FromConfig(cfg.Office, a.Log)); err == nil {
		reg.Register(e)
	} else {
		a.Log.Warn("document engine unavailable", "err", err)
		reg.RegisterUnavailable(office.Name, office.Package, office.Conversions())
	}
	if e, err := media.New(media.FromConfig(a.Config.Engines.FFmpeg)); err == nil {
		reg.Register(e)
	} else {
		a.Log.Warn("audio/video engine unavailable", "err", err)
		reg.RegisterUnavailable(media.Name, media.Package, media.Conversions())
	}
	if e, err := pdfengine.New(pdfengine.FromConfig(a.Config.Engines.PDF)); err == nil {
		reg.Register(e)
	} else {
		a.Log.Warn("PDF engine unavailable", "err", err)
		reg.RegisterUnavailable(pdfengine.Name, pdfengine.Package, pdfengine.Conversions())
	}
	// libvips handles more image formats (webp and avif out) and is faster;
	// where it is missing, imagego below serves images, so it is not
	// registered as unavailable.
	if e, err := vips.New(vips.FromConfig(a.Config.Engines.Vips)); err == nil {
		reg.Register(e)
	} else {
		a.Log.Warn("libvips engine unavailable; images go to the built-in engine", "err", err)
	}
	// Pure Go, always there: the embedded default converts images out of the
	// box. Registered after the external engines, which handle more formats.
	reg.Register(imagego.New(imagego.Config{}))
	reg.Register(archive.Engine{})
}

// engineCatalog returns a registry of every engine the gateway knows, in
// the preference order of registerEngines, whether this machine has it or
// not, and with nothing started: the external engines are registered as
// unavailable with their static conversions (libvips with those of a build
// that writes every format it may handle), the pure-Go ones as installed,
// since they hold no process. An instance that runs no engines (an edge)
// asks it what the jobs it enqueues need (Registry.Need), which is then
// what a worker with every engine would pick.
//
// Keep the engines and their order the same as in registerEngines.
func engineCatalog() *engine.Registry {
	reg := engine.NewRegistry()
	reg.RegisterUnavailable(chrome.Name, chrome.Package, chrome.Conversions())
	reg.RegisterUnavailable(office.Name, office.Package, office.Conversions())
	reg.RegisterUnavailable(media.Name, media.Package, media.Conversions())
	reg.RegisterUnavailable(pdfengine.Name, pdfengine.Package, pdfengine.Conversions())
	reg.RegisterUnavailable(vips.Name, vips.Package, vips.Conversions())
	reg.Register(imagego.New(imagego.Config{}))
	reg.Register(archive.Engine{})
	return reg
}

// warmEngines starts the warm engine processes in the background, so that
// the first conversion pays no start-up and serving is not delayed by it.
func (a *App) warmEngines(ctx context.Context) {
	go func() {
		if err := a.Engines.Start(ctx); err != nil {
			a.Log.Warn("engine warm-up", "err", err)
		}
	}()
}
