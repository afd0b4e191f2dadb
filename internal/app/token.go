package app

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/admin"
	"github.com/signedgate/gateway/internal/store/filestore"
)

// AdminTokenFile is where an embedded gateway keeps its generated token.
const AdminTokenFile = "admin-token"

// TokenFileReread is how often, at most, GATEWAY_ADMIN_TOKEN_FILE is read
// again: by the first admin request after it has passed since the last
// read. A token added to or removed from the file is in force that soon,
// with no restart and no goroutine, and the file is read no more than once
// a second whatever the number of requests.
const TokenFileReread = time.Second

// adminTokens returns what checks the tokens /v1 admits, and one of those
// tokens (the first given, or the generated one). The tokens are every one
// of GATEWAY_ADMIN_TOKEN, GATEWAY_ADMIN_TOKENS and GATEWAY_ADMIN_TOKEN_FILE,
// the file read again as it changes; with none of them, in embedded mode,
// the token kept in the data directory, generated on first start. Sources
// and counts are logged, never a token: logs travel further than secrets
// should.
func (a *App) adminTokens() (admin.TokenChecker, string, error) {
	cfg := a.Config
	if !cfg.HasAdminTokens() {
		if !cfg.Embedded() {
			return nil, "", errors.New("GATEWAY_ADMIN_TOKEN, GATEWAY_ADMIN_TOKENS or GATEWAY_ADMIN_TOKEN_FILE is required with GATEWAY_REDIS_URL")
		}
		token, err := generatedAdminToken(cfg, a.Log)
		if err != nil {
			return nil, "", err
		}
		return admin.NewTokens(token), token, nil
	}
	static := cfg.StaticAdminTokens()
	var sources []string
	listed := len(static)
	if strings.TrimSpace(cfg.AdminToken) != "" {
		sources = append(sources, config.Prefix+"ADMIN_TOKEN")
		listed--
	}
	if listed > 0 {
		sources = append(sources, config.Prefix+"ADMIN_TOKENS")
	}
	tokens := admin.NewTokens(static...)
	var checker admin.TokenChecker = tokens
	all := static
	if cfg.AdminTokenFile != "" {
		f := &tokenFile{tokens: tokens, static: static, log: a.Log, now: a.now}
		var err error
		if f.path, err = filepath.Abs(cfg.AdminTokenFile); err != nil {
			return nil, "", err
		}
		fromFile, err := f.load()
		if err != nil {
			return nil, "", fmt.Errorf("GATEWAY_ADMIN_TOKEN_FILE: %w", err)
		}
		all = append(append([]string(nil), static...), fromFile...)
		sources = append(sources, config.Prefix+"ADMIN_TOKEN_FILE")
		checker = f
	}
	attrs := []any{"sources", strings.Join(sources, ", "), "count", tokens.Len()}
	if f, ok := checker.(*tokenFile); ok {
		attrs = append(attrs, "file", f.path, "reread_every", TokenFileReread.String())
	}
	a.Log.Info("admin tokens", attrs...)
	return checker, all[0], nil
}

// tokenFile admits the tokens of the environment and those of
// GATEWAY_ADMIN_TOKEN_FILE, reading the file again at most every
// TokenFileReread, when a request is checked. A file that cannot be read
// or holds a bad line is not applied: the tokens admitted before stay
// admitted (a half-written file must not lock the operator out, nor admit
// a token cut short), and a warning says why, once per change.
type tokenFile struct {
	tokens *admin.Tokens
	static []string
	path   string
	log    *slog.Logger
	now    func() time.Time

	mu   sync.Mutex
	next time.Time // when the file is read again
	seen []byte    // what the last read found: the file, or its error
}

func (f *tokenFile) Admits(token string) bool {
	f.reread()
	return f.tokens.Admits(token)
}

// load reads the file and applies it, for the start: an error is returned,
// not logged.
func (f *tokenFile) load() ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = f.now().Add(TokenFileReread)
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, err
	}
	fromFile, err := config.ParseAdminTokens(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.path, err)
	}
	f.seen = data
	f.tokens.Set(append(append([]string(nil), f.static...), fromFile...))
	return fromFile, nil
}

// reread reads the file again when TokenFileReread has passed, and applies
// what changed.
func (f *tokenFile) reread() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if now.Before(f.next) {
		return
	}
	f.next = now.Add(TokenFileReread)
	data, err := os.ReadFile(f.path)
	if err != nil {
		// The error text stands for the content, so that it is logged
		// once, not every second.
		data = []byte("\x00" + err.Error())
	}
	if bytes.Equal(data, f.seen) {
		return
	}
	f.seen = data
	if err != nil {
		f.log.Warn("admin token file unreadable; the tokens admitted before stay admitted", "path", f.path, "err", err)
		return
	}
	fromFile, err := config.ParseAdminTokens(data)
	if err != nil {
		f.log.Warn("admin token file not applied; the tokens admitted before stay admitted", "path", f.path, "err", err)
		return
	}
	f.tokens.Set(append(append([]string(nil), f.static...), fromFile...))
	f.log.Info("admin tokens re-read", "path", f.path, "count", f.tokens.Len(), "from_file", len(fromFile))
}

// generatedAdminToken returns the token kept in the data directory,
// generating it on first start. Only the file's path is logged.
func generatedAdminToken(cfg config.Config, log *slog.Logger) (string, error) {
	path, err := filepath.Abs(filepath.Join(cfg.DataDir, AdminTokenFile))
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err == nil {
		token := strings.TrimSpace(string(data))
		if len(token) < config.MinAdminTokenLength {
			return "", fmt.Errorf("admin token in %s is shorter than %d characters", path, config.MinAdminTokenLength)
		}
		log.Info("admin token read from file", "path", path)
		return token, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := filestore.WriteFileAtomic(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store admin token: %w", err)
	}
	log.Info("admin token generated; read it with: cat "+path, "path", path)
	return token, nil
}
