package deploy

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Compose is a docker-compose.yml, read into a typed subset of the Compose
// specification: a key outside it is an error, so a misspelt key
// (depend_on, healthchek) fails here instead of being ignored. Values are
// kept as written, ${...} included; see Interpolate.
type Compose struct {
	Name     string              `yaml:"name"`
	Services map[string]*Service `yaml:"services"`
	// Volumes are the named volumes; their settings are not read.
	Volumes  map[string]any `yaml:"volumes"`
	Networks map[string]any `yaml:"networks"`
	Secrets  map[string]any `yaml:"secrets"`
	Configs  map[string]any `yaml:"configs"`
	// Extensions are the top-level x-* keys (anchors to share settings).
	Extensions map[string]any `yaml:",inline"`

	// Root is the document as parsed, for walking every value.
	Root *yaml.Node `yaml:"-"`
}

// Service is one service. Settings these files do not use are left out on
// purpose: adding one here is the moment to decide what the tests check.
type Service struct {
	Image           string            `yaml:"image"`
	Build           *Build            `yaml:"build"`
	PullPolicy      string            `yaml:"pull_policy"`
	Command         StringOrList      `yaml:"command"`
	Entrypoint      StringOrList      `yaml:"entrypoint"`
	Environment     Environment       `yaml:"environment"`
	EnvFile         StringOrList      `yaml:"env_file"`
	DependsOn       DependsOn         `yaml:"depends_on"`
	Volumes         []Mount           `yaml:"volumes"`
	Tmpfs           StringOrList      `yaml:"tmpfs"`
	Ports           []Port            `yaml:"ports"`
	Expose          []Scalar          `yaml:"expose"`
	Healthcheck     *Healthcheck      `yaml:"healthcheck"`
	Deploy          *Deploy           `yaml:"deploy"`
	Restart         string            `yaml:"restart"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	StopSignal      string            `yaml:"stop_signal"`
	ShmSize         Scalar            `yaml:"shm_size"`
	User            string            `yaml:"user"`
	ReadOnly        bool              `yaml:"read_only"`
	Init            *bool             `yaml:"init"`
	CapAdd          []string          `yaml:"cap_add"`
	CapDrop         []string          `yaml:"cap_drop"`
	SecurityOpt     []string          `yaml:"security_opt"`
	ContainerName   string            `yaml:"container_name"`
	Hostname        string            `yaml:"hostname"`
	Profiles        []string          `yaml:"profiles"`
	Networks        StringOrList      `yaml:"networks"`
	Labels          map[string]string `yaml:"labels"`
	Extensions      map[string]any    `yaml:",inline"`
}

// Build is a service's build section (a string is its context).
type Build struct {
	Context    string            `yaml:"context"`
	Dockerfile string            `yaml:"dockerfile"`
	Target     string            `yaml:"target"`
	Args       map[string]string `yaml:"args"`
	Tags       []string          `yaml:"tags"`
	Labels     map[string]string `yaml:"labels"`
	CacheFrom  []string          `yaml:"cache_from"`
	Platforms  []string          `yaml:"platforms"`
	Pull       bool              `yaml:"pull"`
	NoCache    bool              `yaml:"no_cache"`
}

func (b *Build) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context = n.Value
		return nil
	}
	type plain Build
	return strictDecode(n, (*plain)(b))
}

// Healthcheck is a service's healthcheck section.
type Healthcheck struct {
	Test          StringOrList `yaml:"test"`
	Interval      string       `yaml:"interval"`
	Timeout       string       `yaml:"timeout"`
	Retries       int          `yaml:"retries"`
	StartPeriod   string       `yaml:"start_period"`
	StartInterval string       `yaml:"start_interval"`
	Disable       bool         `yaml:"disable"`
}

// Deploy is the part of a deploy section that Compose applies.
type Deploy struct {
	Mode          string `yaml:"mode"`
	Replicas      *int   `yaml:"replicas"`
	Resources     any    `yaml:"resources"`
	RestartPolicy any    `yaml:"restart_policy"`
}

// Scalar is any scalar (a string or a number), as written.
type Scalar string

func (s *Scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a single value", n.Line)
	}
	*s = Scalar(n.Value)
	return nil
}

// StringOrList is a value Compose takes as a string or a list of strings.
type StringOrList struct {
	List     []string
	IsString bool // written as one string (shell form, for a command)
	Set      bool
}

func (s *StringOrList) UnmarshalYAML(n *yaml.Node) error {
	s.Set = true
	if n.Kind == yaml.ScalarNode {
		s.List, s.IsString = []string{n.Value}, true
		return nil
	}
	return n.Decode(&s.List)
}

// Environment is an environment section, a mapping or a list of NAME=value
// (NAME alone: taken from the shell). Nil values are unset.
type Environment map[string]*string

func (e *Environment) UnmarshalYAML(n *yaml.Node) error {
	*e = Environment{}
	if n.Kind == yaml.SequenceNode {
		var list []string
		if err := n.Decode(&list); err != nil {
			return err
		}
		for _, item := range list {
			name, value, ok := strings.Cut(item, "=")
			if ok {
				(*e)[name] = &value
			} else {
				(*e)[name] = nil
			}
		}
		return nil
	}
	var m map[string]any // decoded by yaml, so << merges apply
	if err := n.Decode(&m); err != nil {
		return err
	}
	for name, v := range m {
		switch v := v.(type) {
		case nil:
			(*e)[name] = nil
		case string, int, int64, uint64, float64, bool:
			s := fmt.Sprint(v)
			(*e)[name] = &s
		default:
			return fmt.Errorf("line %d: environment %s: want a single value, got %T", n.Line, name, v)
		}
	}
	return nil
}

// Dependency is one entry of depends_on.
type Dependency struct {
	Condition string `yaml:"condition"`
	Restart   bool   `yaml:"restart"`
	Required  *bool  `yaml:"required"`
}

// DependsOn maps a service's dependencies to their conditions; a list
// means service_started for each.
type DependsOn map[string]Dependency

func (d *DependsOn) UnmarshalYAML(n *yaml.Node) error {
	*d = DependsOn{}
	if n.Kind == yaml.SequenceNode {
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		for _, name := range names {
			(*d)[name] = Dependency{Condition: "service_started"}
		}
		return nil
	}
	var m map[string]Dependency
	if err := strictDecode(n, &m); err != nil {
		return err
	}
	for name, dep := range m {
		if dep.Condition == "" {
			dep.Condition = "service_started"
		}
		(*d)[name] = dep
	}
	return nil
}

// Mount is one entry of a service's volumes, short or long syntax.
type Mount struct {
	Type     string // volume, bind or tmpfs
	Source   string // the volume's name or the host path; "" for an anonymous volume
	Target   string
	ReadOnly bool
	Line     int
}

func (m *Mount) UnmarshalYAML(n *yaml.Node) error {
	m.Line = n.Line
	if n.Kind == yaml.ScalarNode {
		parts := strings.Split(n.Value, ":")
		switch len(parts) {
		case 1:
			m.Target = parts[0]
		case 2, 3:
			m.Source, m.Target = parts[0], parts[1]
			if len(parts) == 3 {
				m.ReadOnly = slices.Contains(strings.Split(parts[2], ","), "ro")
			}
		default:
			return fmt.Errorf("line %d: volume %q: want [source:]target[:mode]", n.Line, n.Value)
		}
		m.Type = "volume"
		if strings.HasPrefix(m.Source, ".") || strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, "~") {
			m.Type = "bind"
		}
		return nil
	}
	var long struct {
		Type     string `yaml:"type"`
		Source   string `yaml:"source"`
		Target   string `yaml:"target"`
		ReadOnly bool   `yaml:"read_only"`
		Volume   any    `yaml:"volume"`
		Bind     any    `yaml:"bind"`
		Tmpfs    any    `yaml:"tmpfs"`
	}
	if err := strictDecode(n, &long); err != nil {
		return err
	}
	m.Type, m.Source, m.Target, m.ReadOnly = long.Type, long.Source, long.Target, long.ReadOnly
	return nil
}

// Port is one entry of ports, short or long syntax.
type Port struct {
	Published string
	Target    string // the container's port
}

func (p *Port) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		v, _, _ := strings.Cut(n.Value, "/") // protocol
		parts := strings.Split(v, ":")
		p.Target = parts[len(parts)-1]
		if len(parts) > 1 {
			p.Published = parts[len(parts)-2]
		}
		return nil
	}
	var long struct {
		Target    Scalar `yaml:"target"`
		Published Scalar `yaml:"published"`
		HostIP    string `yaml:"host_ip"`
		Protocol  string `yaml:"protocol"`
		Mode      string `yaml:"mode"`
		Name      string `yaml:"name"`
	}
	if err := strictDecode(n, &long); err != nil {
		return err
	}
	p.Target, p.Published = string(long.Target), string(long.Published)
	return nil
}

// strictDecode decodes n into v refusing unknown keys: Node.Decode does
// not take the decoder's KnownFields, so the node is encoded back and
// decoded again with it.
func strictDecode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

// ParseCompose reads a compose file strictly.
func ParseCompose(r io.Reader) (*Compose, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	c := &Compose{Root: &root}
	if err := dec.Decode(c); err != nil {
		return nil, err
	}
	for key := range c.Extensions {
		if !strings.HasPrefix(key, "x-") {
			return nil, fmt.Errorf("unknown top-level key %q (extensions start with x-)", key)
		}
	}
	for name, s := range c.Services {
		if s == nil {
			return nil, fmt.Errorf("service %s is empty", name)
		}
		for key := range s.Extensions {
			if !strings.HasPrefix(key, "x-") {
				return nil, fmt.Errorf("service %s: unknown key %q (not in the subset of the Compose specification in deploy/compose.go)", name, key)
			}
		}
	}
	return c, nil
}

// Scalars calls f with every scalar value of the document (mapping keys
// excepted) and its line: what Compose interpolates.
func (c *Compose) Scalars(f func(value string, line int)) {
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, k := range n.Content {
				walk(k)
			}
		case yaml.MappingNode:
			for i := 1; i < len(n.Content); i += 2 {
				walk(n.Content[i])
			}
		case yaml.ScalarNode:
			f(n.Value, n.Line)
		}
	}
	walk(c.Root)
}
