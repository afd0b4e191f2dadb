package outputs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/store/filestore"
)

// SecretFile is where an embedded gateway keeps its output-signing secret.
const SecretFile = "outputs-secret"

// SecretKey is the Redis key (after the prefix) of the shared secret.
const SecretKey = "outputs:secret"

// LoadSecret returns the output-signing secret every instance shares: the
// configured one when set; else with Redis the one stored there, created by
// whichever instance starts first (SET NX, so two first starts agree); else
// the one kept in dataDir, created on first start.
func LoadSecret(ctx context.Context, configured string, rdb redis.UniversalClient, prefix, dataDir string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	fresh, err := randomSecret()
	if err != nil {
		return nil, err
	}
	if rdb != nil {
		key := prefix + SecretKey
		if err := rdb.SetNX(ctx, key, fresh, 0).Err(); err != nil {
			return nil, fmt.Errorf("store output secret in redis: %w", err)
		}
		s, err := rdb.Get(ctx, key).Result()
		if err != nil {
			return nil, fmt.Errorf("read output secret from redis: %w", err)
		}
		return []byte(s), nil
	}
	path := filepath.Join(dataDir, SecretFile)
	data, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(data))
		if len(s) < 16 {
			return nil, fmt.Errorf("output secret in %s is shorter than 16 characters", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read output secret: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := filestore.WriteFileAtomic(path, []byte(fresh+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("store output secret: %w", err)
	}
	return []byte(fresh), nil
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
