// Package reqctx owns the per-request state that middleware puts into a
// request's context: its id and the logger that carries that id.
package reqctx

import (
	"context"
	"log/slog"
	"net/http"
)

// Scope is the per-request state.
type Scope struct {
	RequestID string
	Logger    *slog.Logger
}

type scopeKey struct{}

// With returns ctx carrying s.
func With(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// From returns the scope of ctx, or nil.
func From(ctx context.Context) *Scope {
	s, _ := ctx.Value(scopeKey{}).(*Scope)
	return s
}

// Logger returns the request-scoped logger of ctx, or slog's default.
func Logger(ctx context.Context) *slog.Logger {
	if s := From(ctx); s != nil && s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Log returns the request-scoped logger of r.
func Log(r *http.Request) *slog.Logger { return Logger(r.Context()) }
