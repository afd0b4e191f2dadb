package office

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// makeTemplate creates the profile every worker starts from: our settings
// (profile.xcu) are written first, then soffice runs once to complete the
// profile and exits. Copying this directory costs milliseconds; letting each
// soffice create its own profile costs a second or more per start.
func (e *Engine) makeTemplate(ctx context.Context) error {
	dir := filepath.Join(e.workDir, "template")
	if err := os.MkdirAll(filepath.Join(dir, "user"), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "user", "registrymodifications.xcu"), profileXCU, 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.StartTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.sofficeBin, append(sofficeArgs(dir), "--terminate_after_init")...)
	cmd.Env = e.childEnv(dir)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("create the template profile with %s: %w (output: %s)", e.sofficeBin, err, out)
	}
	os.RemoveAll(filepath.Join(dir, "tmp"))
	e.template = dir
	return nil
}

// copyDir copies the regular files and directories of src to dst.
func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// fileURL turns an absolute path into a file:// URL as LibreOffice wants it.
func fileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}
