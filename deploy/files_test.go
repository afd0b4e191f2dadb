package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files under test, relative to this package.
const (
	dockerfilePath   = "../Dockerfile"
	dockerignorePath = "../.dockerignore"
	composePath      = "../docker-compose.yml"
	aptPackagesPath  = "../.ci/apt-packages"
)

// notInImage are the packages of .ci/apt-packages that the full image need
// not carry, and why. Every other one is an engine's (or its fonts'), and
// the full image must install it: a package added to CI for a new engine
// fails TestFullImageHasEveryEnginePackage until the Dockerfile has it too,
// or until it is listed here with its reason.
var notInImage = map[string]string{
	"redis-server":  "Redis runs in a container of its own (docker-compose.yml)",
	"procps":        "ps and pkill for the playback tests; no engine runs them",
	"bash":          "runs the examples of README.md and docs/ (internal/docstest); no engine runs it",
	"curl":          "the examples' HTTP client; the image needs none (gateway healthcheck)",
	"jq":            "reads JSON in the examples; no engine runs it",
	"openssl":       "makes tokens in the examples; the gateway makes its own",
	"python3":       "runs boto3 in the S3 endpoint tests; the image's comes with python3-uno",
	"python3-boto3": "the official S3 client of the S3 endpoint tests",
}

func readDockerfile(t *testing.T) *Dockerfile {
	t.Helper()
	f, err := os.Open(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	df, err := ParseDockerfile(f)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return df
}

func readCompose(t *testing.T) *Compose {
	t.Helper()
	f, err := os.Open(composePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := ParseCompose(f)
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// readDocs is README.md and every page of docs/, where the variables a
// user sets must be documented (as TestEveryVariableIsDocumented of the
// config package wants them: in backticks).
func readDocs(t *testing.T) string {
	t.Helper()
	files, _ := filepath.Glob("../docs/*.md")
	var b strings.Builder
	for _, f := range append(files, "../README.md") {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// ciPackages lists .ci/apt-packages: the Debian packages CI installs.
func ciPackages(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(aptPackagesPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pkgs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pkgs = append(pkgs, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatalf("%s lists no package", aptPackagesPath)
	}
	return pkgs
}
