package testutil

import (
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// FindGoBinary looks for the program name on PATH, then where `go install`
// puts it: $GOBIN, or the bin directory of each GOPATH entry
// ($HOME/go/bin by default), and last where `go env` says those are.
func FindGoBinary(name string) (string, error) {
	bin, err := exec.LookPath(name)
	if err == nil {
		return bin, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		gopath = build.Default.GOPATH
	}
	dirs := goBinDirs(os.Getenv("GOBIN"), gopath)
	if b := firstExecutable(dirs, name); b != "" {
		return b, nil
	}
	if out, goErr := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); goErr == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 2 {
			if b := firstExecutable(goBinDirs(lines[0], lines[1]), name); b != "" {
				return b, nil
			}
		}
	}
	return "", fmt.Errorf("%v, nor in %s", err, strings.Join(dirs, " or "))
}

func goBinDirs(gobin, gopath string) []string {
	var dirs []string
	if gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, p := range filepath.SplitList(gopath) {
		if p != "" {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	return dirs
}

func firstExecutable(dirs []string, name string) string {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}
