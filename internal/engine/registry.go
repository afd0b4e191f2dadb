package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// Registry maps (operation, input, output) to the engine that performs it.
// It is safe for concurrent use; engines are normally registered at start-up
// and looked up for every task.
//
// When several engines can do the same conversion, the one registered first
// wins, so the order of Register calls is the preference order. An installed
// engine always beats one registered as unavailable.
type Registry struct {
	mu      sync.RWMutex
	entries []entry
}

// entry is a registered engine, or, when eng is nil, one that is known but
// not installed on this machine.
type entry struct {
	eng   Engine
	name  string
	pkg   string // Debian package that provides a missing engine
	convs []Conversion
}

// Missing describes an engine registered with RegisterUnavailable.
type Missing struct {
	Engine  string `json:"engine"`
	Package string `json:"package,omitempty"`
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{} }

// Register adds an installed engine.
func (r *Registry) Register(e Engine) {
	convs := normalizeAll(e.Conversions())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, entry{eng: e, name: e.Name(), convs: convs})
}

// RegisterUnavailable records an engine that this installation lacks, so its
// conversions fail with a message telling the operator which Debian package
// to install, rather than a bare "unsupported".
func (r *Registry) RegisterUnavailable(name, debianPackage string, convs []Conversion) {
	convs = normalizeAll(convs)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, entry{name: name, pkg: debianPackage, convs: convs})
}

// Lookup returns the engine for a conversion. Formats are normalised first;
// an empty out means "same as in" (optimize). The error is an *Error with
// code UNSUPPORTED_CONVERSION and a message that names the formats, or the
// missing engine and its package.
func (r *Registry) Lookup(op, in, out string) (Engine, error) {
	return r.LookupNamed("", op, in, out)
}

// LookupNamed is Lookup restricted to the engine called name, for tasks that
// set the "engine" option. An empty name means any engine.
func (r *Registry) LookupNamed(name, op, in, out string) (Engine, error) {
	op = strings.ToLower(strings.TrimSpace(op))
	in, out = NormalizeFormat(in), NormalizeFormat(out)
	if out == "" {
		out = in
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var missing *entry
	for i := range r.entries {
		e := &r.entries[i]
		if name != "" && !strings.EqualFold(name, e.name) {
			continue
		}
		if !e.supports(op, in, out) {
			continue
		}
		if e.eng != nil {
			return e.eng, nil
		}
		if missing == nil {
			missing = e
		}
	}
	if missing != nil {
		return nil, missing.notInstalled()
	}
	return nil, unsupported(name, op, in, out)
}

func (e *entry) supports(op, in, out string) bool {
	for _, c := range e.convs {
		if c.Operation == op && c.Output == out && (c.Input == in || c.Input == AnyFormat) {
			return true
		}
	}
	return false
}

func (e *entry) notInstalled() *Error {
	if e.pkg == "" {
		return Errorf(CodeUnsupportedConversion, "%s is not installed", e.name)
	}
	return Errorf(CodeUnsupportedConversion, "%s is not installed (Debian package %s)", e.name, e.pkg)
}

func unsupported(name, op, in, out string) *Error {
	by := "no engine"
	if name != "" {
		by = "engine " + name
	}
	switch {
	case op == "convert":
		return Errorf(CodeUnsupportedConversion, "%s converts %s to %s in this installation", by, orUnknown(in), orUnknown(out))
	case in == out:
		return Errorf(CodeUnsupportedConversion, "%s can %s %s in this installation", by, op, orUnknown(in))
	default:
		return Errorf(CodeUnsupportedConversion, "%s can %s %s to %s in this installation", by, op, orUnknown(in), orUnknown(out))
	}
}

func orUnknown(format string) string {
	if format == "" {
		return "an unknown format"
	}
	return format
}

// Formats lists every conversion installed engines can do, with engine name
// and version, sorted by operation, input, output and then preference. It is
// the body of GET /v1/formats.
func (r *Registry) Formats() []Conversion {
	r.mu.RLock()
	var all []Conversion
	for _, e := range r.entries {
		if e.eng == nil {
			continue
		}
		version := e.eng.Version()
		for _, c := range e.convs {
			c.Engine, c.Version = e.name, version
			all = append(all, c)
		}
	}
	r.mu.RUnlock()
	slices.SortStableFunc(all, func(a, b Conversion) int {
		return cmp.Or(
			cmp.Compare(a.Operation, b.Operation),
			cmp.Compare(a.Input, b.Input),
			cmp.Compare(a.Output, b.Output),
		)
	})
	return slices.CompactFunc(all, func(a, b Conversion) bool { return a == b })
}

// MergeFormats merges conversion lists such as several instances' Formats
// into one, sorted as Formats sorts: by operation, input and output, then
// in the order the engines first appear. A conversion several lists share
// is kept once per engine (the first engine_version seen), so an instance
// that answers for a fleet lists each engine that can do it once.
func MergeFormats(lists ...[]Conversion) []Conversion {
	var all []Conversion
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b Conversion) int {
		return cmp.Or(
			cmp.Compare(a.Operation, b.Operation),
			cmp.Compare(a.Input, b.Input),
			cmp.Compare(a.Output, b.Output),
		)
	})
	type key struct{ op, in, out, engine string }
	seen := make(map[key]bool, len(all))
	out := all[:0]
	for _, c := range all {
		k := key{c.Operation, c.Input, c.Output, c.Engine}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, c)
	}
	return slices.Clip(out)
}

// Families lists, sorted, the names of the installed engines that are not
// BuiltIn: what a worker announces it can run, and what Need answers.
func (r *Registry) Families() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var fams []string
	for i := range r.entries {
		if e := &r.entries[i]; e.eng != nil && !e.builtIn() {
			fams = append(fams, e.name)
		}
	}
	slices.Sort(fams)
	return slices.Compact(fams)
}

// Need is the family a task with operation op from format in to format
// out needs a worker to have; formats are normalised as Lookup does, and an
// empty out means "same as in". It answers "" when any instance can run the
// task: when an installed BuiltIn engine can do it, or when no registered
// engine, installed or not, can (the task fails the same everywhere). Else
// it names the first registered engine that can, installed or not: the one
// a worker with every engine would pick.
//
// An empty in is a format not known yet (a file whose name is only known
// once it is downloaded). Need then looks at every engine that can do op to
// out from some format, and names it only when it is one engine and not a
// built-in one; else "".
//
// A registry meant to compute needs holds every engine the gateway knows,
// in the preference order of a real one, whether or not it runs here.
func (r *Registry) Need(op, in, out string) string {
	return r.NeedNamed("", op, in, out)
}

// NeedNamed is Need restricted to the engine called name, as LookupNamed is
// for tasks that set the "engine" option. An empty name means any engine.
func (r *Registry) NeedNamed(name, op, in, out string) string {
	op = strings.ToLower(strings.TrimSpace(op))
	in, out = NormalizeFormat(in), NormalizeFormat(out)
	if out == "" {
		out = in
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var first *entry
	single := true
	for i := range r.entries {
		e := &r.entries[i]
		if name != "" && !strings.EqualFold(name, e.name) {
			continue
		}
		if in == "" && !e.supportsSomeInput(op, out) || in != "" && !e.supports(op, in, out) {
			continue
		}
		if e.builtIn() {
			return ""
		}
		switch {
		case first == nil:
			first = e
		case first.name != e.name:
			single = false
		}
	}
	if first == nil || in == "" && !single {
		return ""
	}
	return first.name
}

// supportsSomeInput reports whether e can do op to out from some input
// format; an empty out asks for an operation that keeps the format.
func (e *entry) supportsSomeInput(op, out string) bool {
	for _, c := range e.convs {
		if c.Operation != op {
			continue
		}
		if out == "" && (c.Input == c.Output || c.Input == AnyFormat) || out != "" && c.Output == out {
			return true
		}
	}
	return false
}

func (e *entry) builtIn() bool {
	_, ok := e.eng.(BuiltIn)
	return ok
}

// Missing lists the engines registered as unavailable, in registration order,
// for a start-up log line or a health page.
func (r *Registry) Missing() []Missing {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var m []Missing
	for _, e := range r.entries {
		if e.eng == nil {
			m = append(m, Missing{Engine: e.name, Package: e.pkg})
		}
	}
	return m
}

// Start starts every installed engine that implements Starter, so warm
// processes are up before the first job. It returns all failures joined; the
// caller decides whether a failed engine is fatal.
func (r *Registry) Start(ctx context.Context) error {
	var errs []error
	for _, e := range r.engines() {
		if s, ok := e.(Starter); ok {
			if err := s.Start(ctx); err != nil {
				errs = append(errs, fmt.Errorf("start engine %s: %w", e.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// Close closes every installed engine that implements io.Closer, in reverse
// registration order, and returns all failures joined.
func (r *Registry) Close() error {
	var errs []error
	engines := r.engines()
	for _, e := range slices.Backward(engines) {
		if c, ok := e.(io.Closer); ok {
			if err := c.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close engine %s: %w", e.Name(), err))
			}
		}
	}
	return errors.Join(errs...)
}

func (r *Registry) engines() []Engine {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var es []Engine
	for _, e := range r.entries {
		if e.eng != nil {
			es = append(es, e.eng)
		}
	}
	return es
}

func normalizeAll(convs []Conversion) []Conversion {
	out := make([]Conversion, 0, len(convs))
	for _, c := range convs {
		c.Operation = strings.ToLower(strings.TrimSpace(c.Operation))
		if c.Input != AnyFormat {
			c.Input = NormalizeFormat(c.Input)
		}
		c.Output = NormalizeFormat(c.Output)
		c.Engine, c.Version = "", ""
		out = append(out, c)
	}
	return out
}
