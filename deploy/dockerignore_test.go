package deploy

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func readDockerignore(t *testing.T) *Dockerignore {
	t.Helper()
	f, err := os.Open(dockerignorePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	di, err := ParseDockerignore(f)
	if err != nil {
		t.Fatalf(".dockerignore: %v", err)
	}
	return di
}

// buildInputs lists, relative to the module root, every file that
// `go build ./cmd/gateway` reads in the image's build stage (CGO_ENABLED=0,
// linux): go.mod, go.sum, and the Go and embedded files of the module's own
// packages it imports.
func buildInputs(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,Module,GoFiles,EmbedFiles", "./cmd/gateway")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			Dir                 string
			Module              *struct{ Main bool }
			GoFiles, EmbedFiles []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue // the standard library and modules go mod download fetches
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			files = append(files, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	if len(files) < 50 {
		t.Fatalf("go list found only %d files the build reads: %v", len(files), files)
	}
	return files
}

// The build context keeps every file the image's go build reads.
func TestDockerignoreKeepsBuildInputs(t *testing.T) {
	di := readDockerignore(t)
	for _, f := range buildInputs(t) {
		if ignored, line := di.Ignored(f); ignored {
			t.Errorf("go build ./cmd/gateway reads %s, which .dockerignore (line %d) leaves out of the build context", f, line)
		}
	}
}

// The build context leaves out what it must not carry: the local data
// directory (the admin token is there), .git, npm packages, test data.
func TestDockerignoreLeavesOut(t *testing.T) {
	di := readDockerignore(t)
	for _, f := range []string{
		"data/admin-token",
		".git/HEAD",
		".git",
		"bin/gateway",
		".env",
		"internal/proxy/interop/node_modules/hls.js/package.json",
		"internal/engine/node_modules/x/index.js",
		"internal/proxy/browsertest/interop/node_modules/x/index.js",
		"internal/verify/urlsig/testdata/fuzz/FuzzVerify/0123abcd",
		"internal/app/app_test.go",
		"cmd/gateway/gateway.test",
	} {
		if ignored, _ := di.Ignored(f); !ignored {
			t.Errorf(".dockerignore lets %s into the build context", f)
		}
	}
}
