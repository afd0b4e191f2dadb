package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/bucket"
	"github.com/signedgate/gateway/internal/proxy"
	"github.com/signedgate/gateway/internal/proxy/origin"
	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/verify/token"
)

// mountDelivery adds signing keys, custom domains and bucket delivery
// (/media/{bucket}/{path...} and every path on a custom domain).
func (a *App) mountDelivery(m *Mount) error {
	cfg := a.Config.Delivery
	pub, err := url.Parse(a.Config.PublicURL)
	if err != nil {
		return err
	}
	ownHost := proxy.HostOf(pub.Host)

	a.SigningKeys = proxy.NewKeyRepo(a.Store)
	a.onClose(func() error { a.SigningKeys.Close(); return nil })
	(&proxy.KeyAPI{Repo: a.SigningKeys, Buckets: a.Buckets, Bits: cfg.KeyBits, Now: a.now}).Register(m.Admin)

	a.Domains = proxy.NewDomainRepo(a.Store)
	a.onClose(func() error { a.Domains.Close(); return nil })
	(&proxy.DomainAPI{Repo: a.Domains, Buckets: a.Buckets, OwnHost: ownHost, Now: a.now}).Register(m.Admin)

	opts := origin.OptionsFrom(a.Config.Origin, a.s3Defaults())
	opts.InstanceID = a.InstanceID
	opts.CheckDir = a.OriginGuard.CheckDir
	origins := origin.NewPool(opts)
	a.origins = origins
	a.onClose(func() error { origins.Close(); return nil })

	cache := token.NewCache(cfg.TokenCacheSize, cfg.TokenCacheMaxAge)
	h := &proxy.Handler{
		Buckets:          a.Buckets,
		Keys:             a.SigningKeys,
		Origins:          origins,
		Cache:            cache,
		Leeway:           cfg.Leeway,
		Now:              a.now,
		Refusals:         a.Metrics.Refusals,
		SecureCookie:     pub.Scheme == "https",
		MaxPlaylistBytes: cfg.MaxPlaylistBytes,
		CacheControl:     strings.TrimSpace(cfg.AuthenticatedCacheControl),
	}
	if cfg.RewritePlaylists {
		h.Rewrite = proxy.RewritePlaylist
	}

	// A key deleted on any instance reaches every instance through the
	// store's notifications: the cached collection reloads (so lookups
	// refuse the key) and its verified tokens leave the cache.
	a.onClose(wrapCancel(a.Store.Subscribe(func(ch store.Change) {
		if ch.Kind == proxy.KeyKind && ch.ID != "" {
			cache.DropKey(ch.ID)
			a.SigningKeys.Forget(ch.ID)
		}
	})))

	// Custom domains first: they own every path on their host, /media/
	// included. Then /media/ on every other host, ahead of the mux (see
	// proxy.Handler.MediaRouter).
	m.Routes.Hosts = append(m.Routes.Hosts,
		&proxy.DomainRouter{Repo: a.Domains, OwnHost: ownHost, Serve: func(w http.ResponseWriter, r *http.Request, d proxy.Domain) error {
			return h.ServeDomain(w, r, d.Bucket)
		}},
		h.MediaRouter(),
	)
	return nil
}

// sweepOrphanKeys deletes the keys of deleted buckets (signing keys, S3
// access keys) whenever buckets change. Lookups refuse such keys anyway;
// this takes them out of the listings too. Every instance sweeps, which is
// harmless: deletes are idempotent.
func (a *App) sweepOrphanKeys() {
	sweeps := []struct {
		what  string
		sweep func(context.Context, bucket.Finder) ([]string, error)
	}{
		{"signing keys", a.SigningKeys.DeleteOrphans},
		{"access keys", a.AccessKeys.DeleteOrphans},
	}
	kick := make(chan struct{}, 1)
	done := make(chan struct{})
	stop := a.Store.Subscribe(func(ch store.Change) {
		if ch.Kind == bucket.Kind || ch.Kind == "" {
			select {
			case kick <- struct{}{}:
			default:
			}
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
			}
			for _, s := range sweeps {
				if gone, err := s.sweep(ctx, a.Buckets); err != nil && ctx.Err() == nil {
					a.Log.Warn("delete the "+s.what+" of deleted buckets", "err", err)
				} else if len(gone) > 0 {
					a.Log.Info("deleted the "+s.what+" of deleted buckets", "count", len(gone))
				}
			}
		}
	}()
	a.onClose(func() error { stop(); cancel(); <-done; return nil })
}

func wrapCancel(cancel func()) func() error { return func() error { cancel(); return nil } }

// newInstanceID makes this process's name in Via headers: random, so that
// two instances (or two runs) never take each other's mark for their own.
func newInstanceID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "gateway-" + hex.EncodeToString(b), nil
}

// originGuard lists what bucket origins must not reach: the gateway's own
// addresses and every directory it writes.
func originGuard(cfg config.Config) *bucket.Guard {
	g := &bucket.Guard{
		PublicURL:  cfg.PublicURL,
		ListenAddr: cfg.Addr,
		Dirs: []bucket.ProtectedDir{
			{Path: cfg.DataDir, What: "the data directory (GATEWAY_DATA_DIR: admin token, records, uploads)"},
			{Path: cfg.Jobs.OutputPath(cfg.DataDir), What: "the job output directory (GATEWAY_JOBS_OUTPUT_DIR)"},
		},
		// Job, browser and office work directories default to names
		// starting with "gateway-" in the system temporary directory
		// (gateway-jobs, gateway-chromium-*, gateway-office-*).
		TempPatterns: []string{filepath.Join(os.TempDir(), "gateway-*")},
	}
	jobsWork := cfg.Jobs.WorkDir
	if jobsWork == "" {
		// The jobs service's default; named here even before it exists,
		// so that the temporary directory itself is refused too.
		jobsWork = filepath.Join(os.TempDir(), "gateway-jobs")
	}
	for _, d := range []bucket.ProtectedDir{
		{Path: jobsWork, What: "the job work directory (GATEWAY_JOBS_WORK_DIR)"},
		{Path: cfg.Engines.Chrome.WorkDir, What: "the browser engine's work directory (GATEWAY_ENGINES_CHROME_WORK_DIR)"},
		{Path: cfg.Engines.Office.WorkDir, What: "the document engine's work directory (GATEWAY_ENGINES_OFFICE_WORK_DIR)"},
	} {
		if d.Path != "" {
			g.Dirs = append(g.Dirs, d)
		}
	}
	return g
}
