package deploy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Dockerfile is a parsed Dockerfile: the ARGs before the first FROM, and
// the stages in order (the last one is the default target).
type Dockerfile struct {
	Args   []Instruction
	Stages []*Stage
}

// Stage is one FROM and the instructions under it.
type Stage struct {
	Name string // the AS name, lower-cased; "" when the stage has none
	From string // the base: an image, or the name of an earlier stage
	Line int
	// Parent is the earlier stage named by From, nil for an image.
	Parent       *Stage
	Instructions []Instruction
}

// Instruction is one instruction, continuation lines joined.
type Instruction struct {
	Cmd   string   // upper-cased: RUN, ENV, ...
	Flags []string // leading --flags: --mount=..., --from=..., --interval=...
	Args  string   // the rest, trimmed
	Line  int      // where it starts, counting from 1
}

var (
	// heredoc spots `RUN <<EOF`, which this reader does not understand.
	heredoc     = regexp.MustCompile(`(^|\s)<<-?["']?[A-Za-z_]`)
	directive   = regexp.MustCompile(`^#\s*([a-zA-Z]+)\s*=`)
	instruction = regexp.MustCompile(`^[A-Z]+$`)
	// shellSeparators end one command of a RUN's shell line.
	shellSeparators = regexp.MustCompile(`&&|\|\||[;|\n]`)
)

// ParseDockerfile reads a Dockerfile. It knows line continuations with
// the default escape character, comments (also between continued lines)
// and leading --flags; it refuses heredocs and the escape directive.
func ParseDockerfile(r io.Reader) (*Dockerfile, error) {
	df := &Dockerfile{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	var (
		cur        strings.Builder
		start      int
		n          int
		directives = true // parser directives come before anything else
	)
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if directives {
			if m := directive.FindStringSubmatch(trimmed); m != nil {
				if strings.EqualFold(m[1], "escape") {
					return nil, fmt.Errorf("line %d: the escape directive is not supported", n)
				}
				continue
			}
			directives = false
		}
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // between continued lines too, as Docker does
		}
		if cur.Len() == 0 {
			start = n
		}
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			cur.WriteString(body)
			continue
		}
		cur.WriteString(line)
		if err := df.add(cur.String(), start); err != nil {
			return nil, err
		}
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("line %d: the file ends inside a continued line", start)
	}
	if len(df.Stages) == 0 {
		return nil, fmt.Errorf("no FROM")
	}
	return df, nil
}

func (df *Dockerfile) add(text string, line int) error {
	text = strings.TrimSpace(text)
	cmd, rest := text, ""
	if i := strings.IndexAny(text, " \t"); i >= 0 {
		cmd, rest = text[:i], text[i+1:]
	}
	in := Instruction{Cmd: strings.ToUpper(cmd), Line: line}
	rest = strings.TrimSpace(rest)
	for strings.HasPrefix(rest, "--") {
		flag, after := rest, ""
		if i := strings.IndexAny(rest, " \t"); i >= 0 {
			flag, after = rest[:i], rest[i+1:]
		}
		in.Flags = append(in.Flags, flag)
		rest = strings.TrimSpace(after)
	}
	in.Args = rest
	if !instruction.MatchString(in.Cmd) {
		return fmt.Errorf("line %d: %q is not an instruction", line, cmd)
	}
	if (in.Cmd == "RUN" || in.Cmd == "COPY" || in.Cmd == "ADD") && heredoc.MatchString(in.Args) {
		return fmt.Errorf("line %d: heredocs are not supported", line)
	}
	if in.Cmd == "FROM" {
		f := strings.Fields(in.Args)
		st := &Stage{Line: line}
		switch {
		case len(f) == 1:
			st.From = f[0]
		case len(f) == 3 && strings.EqualFold(f[1], "AS"):
			st.From, st.Name = f[0], strings.ToLower(f[2])
		default:
			return fmt.Errorf("line %d: want FROM image [AS name], got FROM %s", line, in.Args)
		}
		for _, s := range df.Stages {
			if st.Name != "" && s.Name == st.Name {
				return fmt.Errorf("line %d: a second stage named %q", line, st.Name)
			}
			if s.Name != "" && s.Name == strings.ToLower(st.From) {
				st.Parent = s
			}
		}
		df.Stages = append(df.Stages, st)
		return nil
	}
	if len(df.Stages) == 0 {
		if in.Cmd != "ARG" {
			return fmt.Errorf("line %d: %s before the first FROM", line, in.Cmd)
		}
		df.Args = append(df.Args, in)
		return nil
	}
	st := df.Stages[len(df.Stages)-1]
	st.Instructions = append(st.Instructions, in)
	return nil
}

// Stage returns the stage named name, or nil.
func (df *Dockerfile) Stage(name string) *Stage {
	for _, s := range df.Stages {
		if s.Name == strings.ToLower(name) {
			return s
		}
	}
	return nil
}

// Final is the last stage: what `docker build` builds without --target.
func (df *Dockerfile) Final() *Stage { return df.Stages[len(df.Stages)-1] }

// Target is the stage `docker build --target target` builds; "" is Final.
func (df *Dockerfile) Target(target string) *Stage {
	if target == "" {
		return df.Final()
	}
	return df.Stage(target)
}

// Chain is the stage and its ancestors among the stages, the root first:
// what the image of the stage is made of.
func (s *Stage) Chain() []*Stage {
	var out []*Stage
	for st := s; st != nil; st = st.Parent {
		out = append([]*Stage{st}, out...)
	}
	return out
}

// Base is the image the stage's chain starts from.
func (s *Stage) Base() string { return s.Chain()[0].From }

// AllInstructions are those of the whole chain, in order.
func (s *Stage) AllInstructions() []Instruction {
	var out []Instruction
	for _, st := range s.Chain() {
		out = append(out, st.Instructions...)
	}
	return out
}

// Last is the chain's last instruction cmd, and whether there is one:
// the USER, HEALTHCHECK, ENTRYPOINT or CMD in force in the image.
func (s *Stage) Last(cmd string) (Instruction, bool) {
	all := s.AllInstructions()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Cmd == cmd {
			return all[i], true
		}
	}
	return Instruction{}, false
}

// Env is the environment the chain's ENV instructions set.
func (s *Stage) Env() (map[string]string, error) {
	env := map[string]string{}
	for _, in := range s.AllInstructions() {
		if in.Cmd != "ENV" {
			continue
		}
		pairs, err := ParseEnv(in.Args)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", in.Line, err)
		}
		for _, p := range pairs {
			env[p[0]] = p[1]
		}
	}
	return env, nil
}

// ParseExec reads the exec (JSON array) form of CMD, ENTRYPOINT, the
// command of HEALTHCHECK CMD, and VOLUME; ok is false for the shell form.
func ParseExec(args string) (argv []string, ok bool) {
	if !strings.HasPrefix(strings.TrimSpace(args), "[") {
		return nil, false
	}
	if err := json.Unmarshal([]byte(args), &argv); err != nil {
		return nil, false
	}
	return argv, true
}

// ParseEnv reads the arguments of ENV: key=value pairs, values quoted with
// " or ' or escaped with \, or the old `ENV key value` form.
func ParseEnv(args string) ([][2]string, error) {
	words, err := shellWords(args)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("ENV without a variable")
	}
	if !strings.Contains(words[0].raw, "=") {
		name := words[0].text
		value := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(args), words[0].raw))
		return [][2]string{{name, value}}, nil
	}
	var out [][2]string
	for _, w := range words {
		name, value, ok := strings.Cut(w.text, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("ENV: %q is not name=value", w.raw)
		}
		out = append(out, [2]string{name, value})
	}
	return out, nil
}

type word struct{ raw, text string }

// shellWords splits s at unquoted blanks, removing quotes and escapes.
func shellWords(s string) ([]word, error) {
	var (
		out        []word
		raw, text  strings.Builder
		quote      rune
		inWord     bool
		escapeNext bool
	)
	flush := func() {
		if inWord {
			out = append(out, word{raw.String(), text.String()})
		}
		raw.Reset()
		text.Reset()
		inWord = false
	}
	for _, r := range s {
		switch {
		case escapeNext:
			raw.WriteRune(r)
			text.WriteRune(r)
			escapeNext = false
		case r == '\\' && quote != '\'':
			raw.WriteRune(r)
			escapeNext, inWord = true, true
		case quote != 0:
			raw.WriteRune(r)
			if r == quote {
				quote = 0
			} else {
				text.WriteRune(r)
			}
		case r == '"' || r == '\'':
			raw.WriteRune(r)
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		default:
			raw.WriteRune(r)
			text.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escapeNext {
		return nil, fmt.Errorf("unterminated quote or escape in %q", s)
	}
	flush()
	return out, nil
}

// AptInstall is one `apt-get install` of a RUN.
type AptInstall struct {
	Packages []string
	Options  []string
}

// AptInstalls finds the `apt-get install` (or `apt install`) commands of a
// RUN's shell command. Packages named through variables are not expanded.
func AptInstalls(run string) []AptInstall {
	var out []AptInstall
	for _, cmd := range shellSeparators.Split(run, -1) {
		f := strings.Fields(cmd)
		i := 0
		for i < len(f) && strings.Contains(f[i], "=") && !strings.HasPrefix(f[i], "-") {
			i++ // VAR=value before the command
		}
		if i >= len(f) || (f[i] != "apt-get" && f[i] != "apt") {
			continue
		}
		var ai AptInstall
		sub := ""
		for _, w := range f[i+1:] {
			w = strings.Trim(w, `"'`)
			switch {
			case strings.HasPrefix(w, "-"):
				ai.Options = append(ai.Options, w)
			case sub == "":
				sub = w
			default:
				ai.Packages = append(ai.Packages, w)
			}
		}
		if sub == "install" {
			out = append(out, ai)
		}
	}
	return out
}

// Packages lists the Debian packages the chain's RUNs install.
func (s *Stage) Packages() map[string]bool {
	pkgs := map[string]bool{}
	for _, in := range s.AllInstructions() {
		if in.Cmd != "RUN" {
			continue
		}
		for _, ai := range AptInstalls(in.Args) {
			for _, p := range ai.Packages {
				pkgs[p] = true
			}
		}
	}
	return pkgs
}
