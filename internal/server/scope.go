package server

// This file owns the per-request state that middleware puts into a
// request's context: its id and the logger that carries that id.

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
)

// Scope is the per-request state.
type Scope struct {
	RequestID string
	// Base is the server's logger; Logger adds the request id to it.
	Base *slog.Logger

	once   sync.Once
	logger *slog.Logger
}

// Logger returns the request's logger, made on first use: most requests
// never log beyond the access line, and making it is an allocation on every
// request's path.
func (s *Scope) Logger() *slog.Logger {
	s.once.Do(func() {
		base := s.Base
		if base == nil {
			base = slog.Default()
		}
		s.logger = base.With("request_id", s.RequestID)
	})
	return s.logger
}

type scopeKey struct{}

// WithScope returns ctx carrying s.
func WithScope(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeOf returns the scope of ctx, or nil.
func ScopeOf(ctx context.Context) *Scope {
	s, _ := ctx.Value(scopeKey{}).(*Scope)
	return s
}

// Logger returns the request-scoped logger of ctx, or slog's default.
func Logger(ctx context.Context) *slog.Logger {
	if s := ScopeOf(ctx); s != nil {
		return s.Logger()
	}
	return slog.Default()
}

// Log returns the request-scoped logger of r.
func Log(r *http.Request) *slog.Logger { return Logger(r.Context()) }
