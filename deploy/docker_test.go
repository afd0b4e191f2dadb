package deploy

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// requireDocker skips the test, saying what is missing, unless the docker
// command (and the parts of it named by needs) works here. CI machines have
// no docker, so these tests are skipped there too; the rest of the package
// checks the same files without it.
func requireDocker(t *testing.T, needs ...string) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker is not on PATH: docker compose config and docker build --check did not run (the YAML and Dockerfile checks of this package did)")
	}
	for _, need := range needs {
		var args []string
		switch need {
		case "compose":
			args = []string{"compose", "version"}
		case "buildx":
			args = []string{"buildx", "version"}
		case "daemon":
			args = []string{"info", "--format", "{{.ServerVersion}}"}
		}
		if out, err := dockerWithin(t, 20*time.Second, nil, args...); err != nil {
			t.Skipf("docker %s does not work here (%v: %s): the %s check did not run",
				strings.Join(args, " "), err, firstLine(out), t.Name())
		}
	}
}

// docker runs the docker command in the repository root with env added
// to this process's environment, for at most two minutes.
func docker(t *testing.T, env []string, args ...string) ([]byte, error) {
	t.Helper()
	return dockerWithin(t, 2*time.Minute, env, args...)
}

func dockerWithin(t *testing.T, limit time.Duration, env []string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func firstLine(b []byte) string {
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return line
}

// composeEnv is the environment the README tells users to set.
var composeEnv = []string{"GATEWAY_ADMIN_TOKEN=" + placeholder, "S3_SECRET_KEY=" + placeholder}

// docker compose config accepts the file with the README's variables set,
// and refuses it, naming them, without.
func TestDockerComposeConfig(t *testing.T) {
	requireDocker(t, "compose")
	if out, err := docker(t, composeEnv, "compose", "-f", "docker-compose.yml", "config", "-q"); err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
	var unset []string
	for _, kv := range composeEnv {
		name, _, _ := strings.Cut(kv, "=")
		unset = append(unset, name+"=")
	}
	out, err := docker(t, unset, "compose", "-f", "docker-compose.yml", "config", "-q")
	if err == nil {
		t.Fatal("docker compose config accepted the file without GATEWAY_ADMIN_TOKEN and S3_SECRET_KEY")
	}
	if !bytes.Contains(out, []byte("GATEWAY_ADMIN_TOKEN")) && !bytes.Contains(out, []byte("S3_SECRET_KEY")) {
		t.Errorf("without the variables docker compose config fails without naming them:\n%s", out)
	}
}

// docker build --check runs Docker's own Dockerfile checks on both images
// (it needs BuildKit: buildx and a daemon).
func TestDockerBuildCheck(t *testing.T) {
	requireDocker(t, "buildx", "daemon")
	for _, target := range []string{edgeStage, ""} {
		args := []string{"build", "--check"}
		if target != "" {
			args = append(args, "--target", target)
		}
		if out, err := docker(t, nil, append(args, ".")...); err != nil {
			t.Errorf("docker %s .: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
