package deploy

import (
	"net"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/signedgate/gateway/config"
)

// The stages docker-compose.yml, the README and CI name.
const (
	buildStage = "build"
	edgeStage  = "edge"
)

// runtimeStages are the stages that become images people run: edge and
// the final (default) one.
func runtimeStages(t *testing.T, df *Dockerfile) map[string]*Stage {
	t.Helper()
	out := map[string]*Stage{}
	if s := df.Stage(edgeStage); s != nil {
		out[edgeStage] = s
	}
	final := df.Final()
	out["final stage "+final.Name] = final
	return out
}

func TestDockerfileStages(t *testing.T) {
	df := readDockerfile(t)
	for _, name := range []string{buildStage, edgeStage} {
		if df.Stage(name) == nil {
			t.Errorf("Dockerfile has no stage named %q (FROM ... AS %s): docker-compose.yml and the README build it", name, name)
		}
	}
	final := df.Final()
	if final.Name == buildStage || final.Name == edgeStage || final.Name == "" {
		t.Errorf("the last stage (line %d) is the image `docker build .` makes, with every engine: "+
			"it must be a stage of its own with a name, not %q", final.Line, final.Name)
	}
}

// The runtime images are Debian of the release CI runs on, so that the
// package names of .ci/apt-packages are the ones the image installs.
func TestRuntimeDebianReleaseIsCIs(t *testing.T) {
	df := readDockerfile(t)
	osRelease, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Skipf("no /etc/os-release (%v): this machine's Debian release, which CI's is, is unknown", err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(osRelease), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			fields[k] = strings.Trim(v, `"`)
		}
	}
	if fields["ID"] != "debian" {
		t.Skipf("this machine runs %s, not Debian: CI's Debian release cannot be compared here", fields["ID"])
	}
	for name, st := range runtimeStages(t, df) {
		if got := debianRelease(st.Base()); got != fields["VERSION_CODENAME"] {
			t.Errorf("%s is built on %s (Debian %q), but CI installs .ci/apt-packages on Debian %q: package names may differ",
				name, st.Base(), got, fields["VERSION_CODENAME"])
		}
	}
}

// debianRelease is the Debian codename in an image reference such as
// debian:bookworm-slim or golang:1.26-bookworm.
func debianRelease(image string) string {
	_, tag, _ := strings.Cut(image, ":")
	for _, part := range regexp.MustCompile(`[-.]`).Split(tag, -1) {
		if slices.Contains([]string{"buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid"}, part) {
			return part
		}
	}
	return ""
}

// uidRE is a numeric USER: uid or uid:gid.
var uidRE = regexp.MustCompile(`^(\d+)(?::(\d+))?$`)

// runtimeUser is the uid and gid a runtime stage runs as, with a test
// error when it is not a numeric non-root user made in the image.
func runtimeUser(t *testing.T, name string, st *Stage) (uid, gid string) {
	t.Helper()
	user, ok := st.Last("USER")
	if !ok {
		t.Errorf("%s has no USER: it would run as root", name)
		return "", ""
	}
	m := uidRE.FindStringSubmatch(user.Args)
	if m == nil {
		t.Errorf("%s: USER %s (line %d): want a number (uid:gid), so that Kubernetes' runAsNonRoot can tell it is not root",
			name, user.Args, user.Line)
		return "", ""
	}
	uid, gid = m[1], m[2]
	if uid == "0" {
		t.Errorf("%s: USER %s (line %d) is root", name, user.Args, user.Line)
	}
	var made bool
	for _, in := range st.AllInstructions() {
		if in.Cmd == "RUN" && regexp.MustCompile(`useradd\b.*(--uid|-u)[ =]`+uid+`\b`).MatchString(in.Args) {
			made = true
		}
	}
	if !made {
		t.Errorf("%s: USER %s (line %d), but no RUN makes a user with that uid (useradd --uid %s)", name, user.Args, user.Line, uid)
	}
	return uid, gid
}

func TestRuntimeStagesRunAsNonRoot(t *testing.T) {
	df := readDockerfile(t)
	for name, st := range runtimeStages(t, df) {
		runtimeUser(t, name, st)
	}
}

// entrypoint is the runtime stage's ENTRYPOINT in exec form.
func entrypoint(t *testing.T, name string, st *Stage) []string {
	t.Helper()
	ep, ok := st.Last("ENTRYPOINT")
	if !ok {
		t.Errorf("%s has no ENTRYPOINT", name)
		return nil
	}
	argv, ok := ParseExec(ep.Args)
	if !ok || len(argv) < 2 {
		t.Errorf("%s: ENTRYPOINT %s (line %d): want the exec form [\"/usr/bin/tini\", \"--\", \".../gateway\"], so that signals reach the gateway",
			name, ep.Args, ep.Line)
		return nil
	}
	return argv
}

func TestRuntimeStagesEntrypoint(t *testing.T) {
	df := readDockerfile(t)
	for name, st := range runtimeStages(t, df) {
		argv := entrypoint(t, name, st)
		if argv == nil {
			continue
		}
		if path.Base(argv[0]) != "tini" {
			t.Errorf("%s: ENTRYPOINT %q: want tini first (PID 1 must reap the engines' orphans and forward signals)", name, argv)
		}
		if !st.Packages()["tini"] {
			t.Errorf("%s: ENTRYPOINT runs tini, but no RUN installs the tini package", name)
		}
		bin := argv[len(argv)-1]
		if path.Base(bin) != "gateway" {
			t.Errorf("%s: ENTRYPOINT %q does not end with the gateway binary", name, argv)
		}
		var copied bool
		for _, in := range st.AllInstructions() {
			if in.Cmd == "COPY" && slices.Contains(in.Flags, "--from="+buildStage) && strings.HasSuffix(in.Args, " "+bin) {
				copied = true
			}
		}
		if !copied {
			t.Errorf("%s: ENTRYPOINT runs %s, but no COPY --from=%s puts the binary there", name, bin, buildStage)
		}
		if cmd, ok := st.Last("CMD"); !ok {
			t.Errorf("%s has no CMD (serve or worker)", name)
		} else if _, ok := ParseExec(cmd.Args); !ok {
			t.Errorf("%s: CMD %s (line %d): want the exec form", name, cmd.Args, cmd.Line)
		}
	}
}

func TestRuntimeStagesHealthcheck(t *testing.T) {
	df := readDockerfile(t)
	for name, st := range runtimeStages(t, df) {
		hc, ok := st.Last("HEALTHCHECK")
		if !ok || strings.EqualFold(strings.TrimSpace(hc.Args), "NONE") {
			t.Errorf("%s has no HEALTHCHECK", name)
			continue
		}
		cmd, ok := strings.CutPrefix(hc.Args, "CMD ")
		argv, exec := ParseExec(strings.TrimSpace(cmd))
		if !ok || !exec || len(argv) != 2 || path.Base(argv[0]) != "gateway" || argv[1] != "healthcheck" {
			t.Errorf("%s: HEALTHCHECK %s (line %d): want CMD [\".../gateway\", \"healthcheck\"] (the image has no curl)",
				name, hc.Args, hc.Line)
		}
	}
}

// chowns lists the paths the chain's RUNs chown, with the owner given, and
// the index in AllInstructions of the RUN that does it.
func chowns(st *Stage) map[string]struct {
	owner string
	at    int
} {
	out := map[string]struct {
		owner string
		at    int
	}{}
	for i, in := range st.AllInstructions() {
		if in.Cmd != "RUN" {
			continue
		}
		for _, cmd := range shellSeparators.Split(in.Args, -1) {
			f := strings.Fields(cmd)
			if len(f) == 0 || f[0] != "chown" {
				continue
			}
			var args []string
			for _, w := range f[1:] {
				if !strings.HasPrefix(w, "-") {
					args = append(args, w)
				}
			}
			for _, p := range args[min(1, len(args)):] {
				out[path.Clean(p)] = struct {
					owner string
					at    int
				}{args[0], i}
			}
		}
	}
	return out
}

// writableDirs are the directories the image makes for its user: the
// mounts over them must be writable (TestComposeMountsWritable).
func writableDirs(t *testing.T, st *Stage) []string {
	t.Helper()
	var dirs []string
	for p := range chowns(st) {
		dirs = append(dirs, p)
	}
	slices.Sort(dirs)
	return dirs
}

// The data directory is a VOLUME the user owns: made and chowned before the
// VOLUME instruction (Docker drops what a build step changes in a volume
// afterwards), so that a fresh named volume mounted there takes that owner.
func TestDataDirOwnedByUser(t *testing.T) {
	df := readDockerfile(t)
	for name, st := range runtimeStages(t, df) {
		uid, gid := runtimeUser(t, name, st)
		env, err := st.Env()
		if err != nil {
			t.Fatal(err)
		}
		dataDir := env["GATEWAY_DATA_DIR"]
		if !path.IsAbs(dataDir) {
			t.Errorf("%s: GATEWAY_DATA_DIR is %q: want an absolute path set with ENV (the default ./data depends on WORKDIR)", name, dataDir)
			continue
		}
		volumeAt := -1
		for i, in := range st.AllInstructions() {
			if in.Cmd != "VOLUME" {
				continue
			}
			paths, ok := ParseExec(in.Args)
			if !ok {
				paths = strings.Fields(in.Args)
			}
			if slices.Contains(paths, dataDir) {
				volumeAt = i
			}
		}
		if volumeAt < 0 {
			t.Errorf("%s: GATEWAY_DATA_DIR %s is not a VOLUME", name, dataDir)
		}
		c, ok := chowns(st)[dataDir]
		switch {
		case !ok:
			t.Errorf("%s: no RUN chowns GATEWAY_DATA_DIR %s to the image's user: a named volume mounted there would belong to root", name, dataDir)
		case uid != "" && c.owner != uid+":"+gid && c.owner != uid:
			t.Errorf("%s: %s is chowned to %s, not to the USER %s:%s", name, dataDir, c.owner, uid, gid)
		case volumeAt >= 0 && c.at > volumeAt:
			t.Errorf("%s: %s is chowned after its VOLUME instruction, which discards the change", name, dataDir)
		}
	}
}

func TestExposeMatchesAddr(t *testing.T) {
	df := readDockerfile(t)
	for name, st := range runtimeStages(t, df) {
		env, err := st.Env()
		if err != nil {
			t.Fatal(err)
		}
		_, port, err := net.SplitHostPort(env["GATEWAY_ADDR"])
		if err != nil {
			t.Errorf("%s: GATEWAY_ADDR %q: %v (set it with ENV so EXPOSE and the healthcheck agree)", name, env["GATEWAY_ADDR"], err)
			continue
		}
		var exposed []string
		for _, in := range st.AllInstructions() {
			if in.Cmd == "EXPOSE" {
				for _, p := range strings.Fields(in.Args) {
					exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
				}
			}
		}
		if !slices.Contains(exposed, port) {
			t.Errorf("%s: GATEWAY_ADDR listens on port %s but EXPOSE says %v", name, port, exposed)
		}
	}
}

// Every GATEWAY_ variable the image sets is one the gateway reads, and the
// image's environment alone is a valid configuration.
func TestDockerfileEnvIsConfig(t *testing.T) {
	df := readDockerfile(t)
	known := config.Names()
	for name, st := range runtimeStages(t, df) {
		env, err := st.Env()
		if err != nil {
			t.Fatal(err)
		}
		for k := range env {
			if strings.HasPrefix(k, config.Prefix) && !slices.Contains(known, k) {
				t.Errorf("%s: ENV %s is not a variable the gateway reads (config.Names)", name, k)
			}
		}
		if _, err := config.LoadFrom(env); err != nil {
			t.Errorf("%s: the image's ENV is not a valid configuration: %v", name, err)
		}
	}
}

func TestFullImageHasEveryEnginePackage(t *testing.T) {
	df := readDockerfile(t)
	pkgs := ciPackages(t)
	full := df.Final().Packages()
	for _, p := range pkgs {
		if _, skip := notInImage[p]; skip {
			continue
		}
		if !full[p] {
			t.Errorf(".ci/apt-packages installs %s for the engine tests, but the full image (stage %s) does not: "+
				"add it to the Dockerfile, or to notInImage in deploy/files_test.go with the reason", p, df.Final().Name)
		}
	}
	for p := range notInImage {
		if !slices.Contains(pkgs, p) {
			t.Errorf("notInImage lists %s, which .ci/apt-packages no longer installs: remove it", p)
		}
	}
}

func TestEdgeImageHasNoEngine(t *testing.T) {
	df := readDockerfile(t)
	edge := df.Stage(edgeStage)
	if edge == nil {
		t.Skip("no edge stage (TestDockerfileStages fails)")
	}
	got := edge.Packages()
	for _, p := range ciPackages(t) {
		if got[p] {
			t.Errorf("the edge image installs %s: edges run no engine (GATEWAY_JOBS_WORKERS=0), so they carry none", p)
		}
	}
	for _, p := range []string{"ca-certificates", "tini"} {
		if !got[p] {
			t.Errorf("the edge image does not install %s", p)
		}
	}
}

// Images stay lean: no recommended packages, no apt lists left behind.
func TestAptInstallsAreLean(t *testing.T) {
	df := readDockerfile(t)
	for _, st := range df.Stages {
		if st.Name == buildStage {
			continue
		}
		for _, in := range st.Instructions {
			if in.Cmd != "RUN" {
				continue
			}
			installs := AptInstalls(in.Args)
			for _, ai := range installs {
				if !slices.Contains(ai.Options, "--no-install-recommends") {
					t.Errorf("line %d: apt-get install without --no-install-recommends (CI installs without them too)", in.Line)
				}
				if !slices.Contains(ai.Options, "-y") {
					t.Errorf("line %d: apt-get install without -y", in.Line)
				}
			}
			if len(installs) > 0 && !strings.Contains(in.Args, "rm -rf /var/lib/apt/lists") {
				t.Errorf("line %d: a RUN that installs packages leaves /var/lib/apt/lists in the layer", in.Line)
			}
		}
	}
}

func TestBuildStage(t *testing.T) {
	df := readDockerfile(t)
	st := df.Stage(buildStage)
	if st == nil {
		t.Skip("no build stage (TestDockerfileStages fails)")
	}
	var argVersion, built bool
	for _, in := range st.Instructions {
		if in.Cmd == "ARG" && regexp.MustCompile(`^VERSION(=|$)`).MatchString(in.Args) {
			argVersion = true
		}
		if in.Cmd != "RUN" || !strings.Contains(in.Args, "go build") {
			continue
		}
		built = true
		if !argVersion {
			t.Errorf("line %d: go build before ARG VERSION", in.Line)
		}
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=${VERSION}", "./cmd/gateway"} {
			if !strings.Contains(in.Args, want) {
				t.Errorf("line %d: go build without %s", in.Line, want)
			}
		}
		if strings.Contains(in.Args, "-buildvcs=true") {
			di := readDockerignore(t)
			if ignored, line := di.Ignored(".git/HEAD"); ignored {
				t.Errorf("line %d: go build -buildvcs=true needs .git, which .dockerignore (line %d) leaves out of the context", in.Line, line)
			}
		}
	}
	if !built {
		t.Errorf("the %s stage runs no go build", buildStage)
	}
}

// The Docker image turns Chromium's sandbox off (see the Dockerfile): only
// in the image that has Chromium, and with the variable the gateway reads.
func TestChromiumSandboxOnlyInFullImage(t *testing.T) {
	df := readDockerfile(t)
	for name, st := range runtimeStages(t, df) {
		env, err := st.Env()
		if err != nil {
			t.Fatal(err)
		}
		v, set := env["GATEWAY_ENGINES_CHROME_SANDBOX"]
		hasChromium := st.Packages()["chromium"]
		switch {
		case hasChromium && (!set || v != "false"):
			t.Errorf("%s installs chromium but does not set GATEWAY_ENGINES_CHROME_SANDBOX=false: "+
				"a non-root Chromium cannot start its sandbox under Docker's default seccomp profile", name)
		case !hasChromium && set:
			t.Errorf("%s has no chromium but sets GATEWAY_ENGINES_CHROME_SANDBOX", name)
		}
	}
}
