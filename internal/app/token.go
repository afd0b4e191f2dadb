package app

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/signedgate/gateway/config"
	"github.com/signedgate/gateway/internal/store/filestore"
)

// AdminTokenFile is where an embedded gateway keeps its generated token.
const AdminTokenFile = "admin-token"

// adminToken returns the configured token or, in embedded mode, the one kept
// in the data directory, generating it on first start. Only the file's path
// is logged: logs travel further than the data directory.
func adminToken(cfg config.Config, log *slog.Logger) (string, error) {
	if cfg.AdminToken != "" {
		return cfg.AdminToken, nil
	}
	if !cfg.Embedded() {
		return "", errors.New("GATEWAY_ADMIN_TOKEN is required with GATEWAY_REDIS_URL")
	}
	path, err := filepath.Abs(filepath.Join(cfg.DataDir, AdminTokenFile))
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err == nil {
		token := strings.TrimSpace(string(data))
		if len(token) < 16 {
			return "", fmt.Errorf("admin token in %s is shorter than 16 characters", path)
		}
		log.Info("admin token read from file", "path", path)
		return token, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := filestore.WriteFileAtomic(path, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store admin token: %w", err)
	}
	log.Info("admin token generated; read it with: cat "+path, "path", path)
	return token, nil
}
