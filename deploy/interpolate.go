package deploy

import (
	"fmt"
	"strings"
)

// Ref is one variable reference in a compose value: ${NAME}, $NAME,
// ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message},
// ${NAME:+other} or ${NAME+other}.
type Ref struct {
	Name string
	Op   string // "", ":-", "-", ":?", "?", ":+" or "+"
	Arg  string // the default, message or replacement, before interpolation
}

// HasDefault reports whether an unset variable still gives a chosen value.
func (r Ref) HasDefault() bool { return r.Op != "" }

// Required reports whether an unset variable stops `docker compose`.
func (r Ref) Required() bool { return r.Op == ":?" || r.Op == "?" }

// Interpolate substitutes the variables in s as Compose does, looking them
// up with lookup, and returns the references it met (nested ones in
// defaults included). $$ is a literal $; any other $ that does not start a
// reference is an error, as in Compose. A required variable that is unset
// (or empty, for :?) is an error carrying its message.
func Interpolate(s string, lookup func(string) (string, bool)) (string, []Ref, error) {
	var (
		out  strings.Builder
		refs []Ref
	)
	for i := 0; i < len(s); {
		c := s[i]
		if c != '$' {
			out.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", refs, fmt.Errorf("%q: a $ at the end (write $$ for a literal $)", s)
		}
		switch next := s[i+1]; {
		case next == '$':
			out.WriteByte('$')
			i += 2
		case isNameStart(next):
			j := i + 1
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			name := s[i+1 : j]
			refs = append(refs, Ref{Name: name})
			v, _ := lookup(name)
			out.WriteString(v)
			i = j
		case next == '{':
			end, err := closingBrace(s, i+2)
			if err != nil {
				return "", refs, err
			}
			v, inner, err := expand(s[i+2:end], lookup)
			refs = append(refs, inner...)
			if err != nil {
				return "", refs, err
			}
			out.WriteString(v)
			i = end + 1
		default:
			return "", refs, fmt.Errorf("%q: invalid reference at %q (write $$ for a literal $)", s, s[i:])
		}
	}
	return out.String(), refs, nil
}

// closingBrace finds the } that closes a ${ whose body starts at from,
// skipping nested ${...}.
func closingBrace(s string, from int) (int, error) {
	depth := 0
	for j := from; j < len(s); j++ {
		switch {
		case s[j] == '$' && j+1 < len(s) && s[j+1] == '$':
			j++
		case s[j] == '$' && j+1 < len(s) && s[j+1] == '{':
			depth++
			j++
		case s[j] == '}':
			if depth == 0 {
				return j, nil
			}
			depth--
		}
	}
	return 0, fmt.Errorf("%q: ${ without its }", s)
}

// expand resolves the body of one ${...}.
func expand(body string, lookup func(string) (string, bool)) (string, []Ref, error) {
	j := 0
	for j < len(body) && isNameChar(body[j]) {
		j++
	}
	name := body[:j]
	if name == "" || !isNameStart(name[0]) {
		return "", nil, fmt.Errorf("${%s}: not a variable name", body)
	}
	rest := body[j:]
	ref := Ref{Name: name}
	for _, op := range []string{":-", ":?", ":+", "-", "?", "+"} {
		if strings.HasPrefix(rest, op) {
			ref.Op, ref.Arg = op, rest[len(op):]
			break
		}
	}
	if ref.Op == "" && rest != "" {
		return "", nil, fmt.Errorf("${%s}: unknown operator %q", body, rest)
	}
	refs := []Ref{ref}
	// The argument is interpolated too, but only when it is used; its
	// references count either way.
	arg, inner, err := Interpolate(ref.Arg, lookup)
	refs = append(refs, inner...)
	v, set := lookup(name)
	switch ref.Op {
	case "":
		return v, refs, nil
	case ":-", "-":
		if set && (ref.Op == "-" || v != "") {
			return v, refs, nil
		}
		return arg, refs, err
	case ":?", "?":
		if set && (ref.Op == "?" || v != "") {
			return v, refs, nil
		}
		if err != nil {
			return "", refs, err
		}
		return "", refs, fmt.Errorf("required variable %s is missing a value: %s", name, arg)
	default: // ":+", "+"
		if set && (ref.Op == "+" || v != "") {
			return arg, refs, err
		}
		return "", refs, nil
	}
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || (c >= '0' && c <= '9') }
