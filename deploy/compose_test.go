package deploy

import (
	"maps"
	"net"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signedgate/gateway/config"
)

// placeholder stands for a variable the user must set (${X:?...}); long
// enough for GATEWAY_ADMIN_TOKEN.
const placeholder = "placeholder-0123456789abcdef"

// requiredVars collects the variables compose requires, and the lookup
// that gives each a placeholder: the environment `docker compose` would
// see once the user followed the README.
func requiredVars(t *testing.T, c *Compose) func(string) (string, bool) {
	t.Helper()
	required := map[string]bool{}
	c.Scalars(func(v string, line int) {
		_, refs, _ := Interpolate(v, func(string) (string, bool) { return placeholder, true })
		for _, r := range refs {
			if r.Required() {
				required[r.Name] = true
			}
		}
	})
	return func(name string) (string, bool) {
		if required[name] {
			return placeholder, true
		}
		return "", false
	}
}

// gatewayService is a service built from this repository's Dockerfile.
type gatewayService struct {
	name  string
	svc   *Service
	stage *Stage
	env   map[string]string // the image's ENV, then the service's
	cfg   config.Config
	role  string // serve or worker
}

// gatewayServices finds the services built from the Dockerfile and works
// out the environment each runs with, failing the test when the
// configuration the gateway would read is invalid.
func gatewayServices(t *testing.T, c *Compose, df *Dockerfile) []gatewayService {
	t.Helper()
	lookup := requiredVars(t, c)
	var out []gatewayService
	for _, name := range slices.Sorted(maps.Keys(c.Services)) {
		svc := c.Services[name]
		if svc.Build == nil || path.Clean(svc.Build.Context) != "." ||
			(svc.Build.Dockerfile != "" && svc.Build.Dockerfile != "Dockerfile") {
			continue
		}
		st := df.Target(svc.Build.Target)
		if st == nil {
			continue // TestComposeBuildTargetsExist says so
		}
		env, err := st.Env()
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range svc.Environment {
			if v == nil {
				delete(env, k)
				continue
			}
			s, _, err := Interpolate(*v, lookup)
			if err != nil {
				t.Errorf("service %s: environment %s: %v", name, k, err)
			}
			env[k] = s
		}
		g := gatewayService{name: name, svc: svc, stage: st, env: env, role: "serve"}
		if cmd, ok := st.Last("CMD"); ok {
			if argv, ok := ParseExec(cmd.Args); ok && len(argv) > 0 {
				g.role = argv[0]
			}
		}
		if svc.Command.Set && len(svc.Command.List) > 0 {
			g.role = strings.Fields(svc.Command.List[0])[0]
		}
		g.cfg, err = config.LoadFrom(env)
		if err != nil {
			t.Errorf("service %s: the gateway would refuse its configuration (image ENV, then the service's environment): %v", name, err)
		}
		out = append(out, g)
	}
	if len(out) == 0 {
		t.Fatal("no service of docker-compose.yml is built from the Dockerfile (build: .)")
	}
	return out
}

func TestComposeServicesHaveImageOrBuild(t *testing.T) {
	c := readCompose(t)
	if len(c.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	for name, svc := range c.Services {
		if svc.Image == "" && svc.Build == nil {
			t.Errorf("service %s has neither image nor build", name)
		}
		if svc.Build != nil && svc.Build.Context == "" {
			t.Errorf("service %s: build without a context", name)
		}
	}
}

func TestComposeBuildTargetsExist(t *testing.T) {
	c, df := readCompose(t), readDockerfile(t)
	for name, svc := range c.Services {
		if svc.Build == nil || svc.Build.Target == "" {
			continue
		}
		if df.Stage(svc.Build.Target) == nil {
			var names []string
			for _, s := range df.Stages {
				names = append(names, s.Name)
			}
			t.Errorf("service %s builds target %q, which the Dockerfile does not have (stages: %v)", name, svc.Build.Target, names)
		}
	}
}

func TestComposeDependsOn(t *testing.T) {
	c, df := readCompose(t), readDockerfile(t)
	for name, svc := range c.Services {
		for dep, d := range svc.DependsOn {
			other, ok := c.Services[dep]
			if !ok {
				t.Errorf("service %s depends on %q, which is not a service", name, dep)
				continue
			}
			switch d.Condition {
			case "service_started":
			case "service_healthy":
				if !hasHealthcheck(other, df) {
					t.Errorf("service %s waits for %s to be healthy, but %s has no healthcheck", name, dep, dep)
				}
			case "service_completed_successfully":
				if other.Restart == "always" || other.Restart == "unless-stopped" {
					t.Errorf("service %s waits for %s to complete, but %s restarts (restart: %s)", name, dep, dep, other.Restart)
				}
			default:
				t.Errorf("service %s: depends_on %s: unknown condition %q", name, dep, d.Condition)
			}
		}
	}
}

// hasHealthcheck reports whether a service has a healthcheck: its own, or
// its image's when that is built from the Dockerfile.
func hasHealthcheck(svc *Service, df *Dockerfile) bool {
	if svc.Healthcheck != nil {
		return !svc.Healthcheck.Disable && len(svc.Healthcheck.Test.List) > 0 &&
			svc.Healthcheck.Test.List[0] != "NONE"
	}
	if svc.Build == nil {
		return false // an image from elsewhere: not known here
	}
	st := df.Target(svc.Build.Target)
	if st == nil {
		return false
	}
	hc, ok := st.Last("HEALTHCHECK")
	return ok && !strings.EqualFold(strings.TrimSpace(hc.Args), "NONE")
}

func TestComposeVolumesDeclared(t *testing.T) {
	c := readCompose(t)
	used := map[string]bool{}
	for name, svc := range c.Services {
		for _, m := range svc.Volumes {
			if m.Type != "volume" || m.Source == "" {
				continue
			}
			used[m.Source] = true
			if _, ok := c.Volumes[m.Source]; !ok {
				t.Errorf("service %s mounts volume %q (line %d), which the top-level volumes do not declare", name, m.Source, m.Line)
			}
		}
	}
	for v := range c.Volumes {
		if !used[v] {
			t.Errorf("volume %s is declared but no service mounts it", v)
		}
	}
}

// The directories the image makes for its user (the data directory, the
// directory of file:// buckets where uploads land) are mounted read-write:
// a read-only mount there makes every upload or record write fail.
func TestComposeMountsWritable(t *testing.T) {
	c, df := readCompose(t), readDockerfile(t)
	for _, g := range gatewayServices(t, c, df) {
		dirs := writableDirs(t, g.stage)
		for _, m := range g.svc.Volumes {
			if m.ReadOnly && slices.Contains(dirs, path.Clean(m.Target)) {
				t.Errorf("service %s mounts %s read-only (line %d), but the gateway writes there (the image makes it for its user)",
					g.name, m.Target, m.Line)
			}
			if m.ReadOnly && path.Clean(m.Target) == path.Clean(g.env["GATEWAY_DATA_DIR"]) {
				t.Errorf("service %s mounts its data directory %s read-only (line %d)", g.name, m.Target, m.Line)
			}
		}
	}
}

// Every GATEWAY_ variable docker-compose.yml sets is one the gateway reads
// (a misspelt one would be ignored without a word).
func TestComposeGatewayVariablesExist(t *testing.T) {
	c := readCompose(t)
	known := config.Names()
	for name, svc := range c.Services {
		for k := range svc.Environment {
			if strings.HasPrefix(k, config.Prefix) && !slices.Contains(known, k) {
				t.Errorf("service %s sets %s, which is not a variable the gateway reads (config.Names)", name, k)
			}
		}
	}
}

// Every gateway service's configuration is valid, and its role fits its
// image: edges run no job and need no engine, and what runs jobs is built
// from the image that has the engines.
func TestComposeGatewayRoles(t *testing.T) {
	c, df := readCompose(t), readDockerfile(t)
	var engines []string
	for _, p := range ciPackages(t) {
		if _, skip := notInImage[p]; !skip {
			engines = append(engines, p)
		}
	}
	for _, g := range gatewayServices(t, c, df) {
		runsJobs := g.role == "worker" || g.cfg.Jobs.Workers == nil || *g.cfg.Jobs.Workers > 0
		if g.role != "serve" && g.role != "worker" {
			t.Errorf("service %s runs `gateway %s`: want serve or worker", g.name, g.role)
		}
		if !runsJobs {
			continue
		}
		pkgs := g.stage.Packages()
		workers, set := g.env["GATEWAY_JOBS_WORKERS"]
		if !set {
			workers = "unset: one per CPU"
		}
		for _, p := range engines {
			if !pkgs[p] {
				t.Errorf("service %s runs jobs (gateway %s, GATEWAY_JOBS_WORKERS %s) but its image (stage %s) lacks %s: "+
					"build it from the full image, or set GATEWAY_JOBS_WORKERS=0 on an edge",
					g.name, g.role, workers, g.stage.Name, p)
				break
			}
		}
	}
}

// Each gateway service answers its healthcheck and its published ports on
// the port it listens on.
func TestComposeGatewayHealthcheckAndPorts(t *testing.T) {
	c, df := readCompose(t), readDockerfile(t)
	for _, g := range gatewayServices(t, c, df) {
		if hc := g.svc.Healthcheck; hc != nil {
			argv := hc.Test.List
			if hc.Disable || len(argv) != 3 || argv[0] != "CMD" || path.Base(argv[1]) != "gateway" || argv[2] != "healthcheck" {
				t.Errorf("service %s: healthcheck %q: want [\"CMD\", \".../gateway\", \"healthcheck\"] (the image has no curl or wget)", g.name, argv)
			}
		} else if !hasHealthcheck(g.svc, df) {
			t.Errorf("service %s has no healthcheck, neither its own nor its image's", g.name)
		}
		_, port, err := net.SplitHostPort(g.cfg.Addr)
		if err != nil {
			t.Errorf("service %s: GATEWAY_ADDR %q: %v", g.name, g.cfg.Addr, err)
			continue
		}
		for _, p := range g.svc.Ports {
			if p.Target != port {
				t.Errorf("service %s publishes container port %s, but it listens on %s (GATEWAY_ADDR)", g.name, p.Target, port)
			}
		}
	}
}

// Docker waits stop_grace_period (10s unless set) after SIGTERM before it
// kills; the gateway drains for GATEWAY_SHUTDOWN_TIMEOUT and a worker hands
// its running jobs back only at its end. So the grace must be longer.
func TestComposeStopGraceCoversShutdown(t *testing.T) {
	c, df := readCompose(t), readDockerfile(t)
	for _, g := range gatewayServices(t, c, df) {
		grace := 10 * time.Second
		if g.svc.StopGracePeriod != "" {
			d, err := time.ParseDuration(g.svc.StopGracePeriod)
			if err != nil {
				t.Errorf("service %s: stop_grace_period %q: %v", g.name, g.svc.StopGracePeriod, err)
				continue
			}
			grace = d
		}
		if grace <= g.cfg.ShutdownTimeout {
			t.Errorf("service %s: stop_grace_period %s is not longer than GATEWAY_SHUTDOWN_TIMEOUT %s: Docker kills it before it has drained",
				g.name, grace, g.cfg.ShutdownTimeout)
		}
	}
}

// Every ${VAR} is either given a default or required with a message (an
// unset variable would silently become ""), and every variable a user may
// set is documented, in backticks, in the README or docs/.
func TestComposeInterpolations(t *testing.T) {
	c := readCompose(t)
	docs := readDocs(t)
	seen := map[string]bool{}
	c.Scalars(func(v string, line int) {
		_, refs, err := Interpolate(v, func(string) (string, bool) { return placeholder, true })
		if err != nil {
			t.Errorf("line %d: %v", line, err)
		}
		for _, r := range refs {
			if !r.HasDefault() {
				t.Errorf("line %d: ${%s} has neither a default (${%s:-...}) nor a message (${%s:?...}): unset, it would be empty",
					line, r.Name, r.Name, r.Name)
			}
			if r.Required() && strings.TrimSpace(r.Arg) == "" {
				t.Errorf("line %d: ${%s%s} gives no message saying what to set", line, r.Name, r.Op)
			}
			if !seen[r.Name] && !strings.Contains(docs, "`"+r.Name+"`") {
				t.Errorf("line %d: docker-compose.yml reads %s from the environment, but README.md and docs/ do not mention `%s`",
					line, r.Name, r.Name)
			}
			seen[r.Name] = true
		}
	})
	if len(seen) == 0 {
		t.Fatal("no ${...} found: the compose file asks nothing of the user?")
	}
}

// No secret is written into docker-compose.yml: the gateway's secrets come
// from the environment.
func TestComposeHasNoSecrets(t *testing.T) {
	c := readCompose(t)
	secret := regexp.MustCompile(`(TOKEN|SECRET|PASSWORD|_KEY)S?$`)
	for name, svc := range c.Services {
		for k, v := range svc.Environment {
			if !secret.MatchString(k) || v == nil {
				continue
			}
			if _, refs, _ := Interpolate(*v, func(string) (string, bool) { return "", false }); len(refs) == 0 {
				t.Errorf("service %s: %s is written into the file; take it from the environment (${%s:?...})", name, k, k)
			}
		}
	}
}
