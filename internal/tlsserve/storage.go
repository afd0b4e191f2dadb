package tlsserve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/signedgate/gateway/internal/store"
)

// Kind is the record-store kind that holds what CertMagic keeps:
// certificates and their private keys, ACME account keys and
// registrations, and the tokens of challenges under way. Each record's id
// is CertMagic's key, such as
// certificates/<ca>/<name>/<name>.crt.
const Kind = "tls"

// Storage is certmagic.Storage on the record store: in embedded mode a
// file of the data directory (mode 0600), with Redis the hash every
// instance shares, so that an instance serves what another obtained and
// a restart orders nothing again. Keys form a tree by their slashes: a
// "directory" is a prefix of other keys and holds no value of its own.
// Locks are the Locker's.
type Storage struct {
	store  store.Store
	locker Locker
	now    func() time.Time
}

var _ certmagic.Storage = (*Storage)(nil)

// NewStorage returns the storage on s, locking with l.
func NewStorage(s store.Store, l Locker) *Storage {
	return &Storage{store: s, locker: l, now: time.Now}
}

// entry is one value as the record store keeps it.
type entry struct {
	Value    []byte    `json:"value"`
	Modified time.Time `json:"modified"`
}

func cleanKey(key string) string { return strings.Trim(key, "/") }

// Store puts value at key.
func (s *Storage) Store(ctx context.Context, key string, value []byte) error {
	data, err := json.Marshal(entry{Value: value, Modified: s.now().UTC()})
	if err != nil {
		return err
	}
	return s.store.Put(ctx, Kind, cleanKey(key), data)
}

// Load returns the value at key, or fs.ErrNotExist.
func (s *Storage) Load(ctx context.Context, key string) ([]byte, error) {
	e, err := s.entry(ctx, cleanKey(key))
	if err != nil {
		return nil, err
	}
	return e.Value, nil
}

func (s *Storage) entry(ctx context.Context, key string) (entry, error) {
	data, err := s.store.Get(ctx, Kind, key)
	if errors.Is(err, store.ErrNotFound) {
		return entry{}, fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	if err != nil {
		return entry{}, err
	}
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		return entry{}, fmt.Errorf("decode %s: %w", key, err)
	}
	return e, nil
}

// Delete removes key and, when key is a directory, every key under it. A
// key that does not exist is no error.
func (s *Storage) Delete(ctx context.Context, key string) error {
	key = cleanKey(key)
	under, err := s.keysUnder(ctx, key)
	if err != nil {
		return err
	}
	for _, k := range append(under, key) {
		if err := s.store.Delete(ctx, Kind, k); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// Exists reports whether key is a value or a directory.
func (s *Storage) Exists(ctx context.Context, key string) bool {
	_, err := s.Stat(ctx, key)
	return err == nil
}

// List returns the keys in the directory prefix: those right under it, or
// with recursive every key below it. An empty directory is fs.ErrNotExist.
func (s *Storage) List(ctx context.Context, prefix string, recursive bool) ([]string, error) {
	prefix = cleanKey(prefix)
	under, err := s.keysUnder(ctx, prefix)
	if err != nil {
		return nil, err
	}
	if len(under) == 0 {
		return nil, fmt.Errorf("%s: %w", prefix, fs.ErrNotExist)
	}
	if recursive {
		// The directories between are keys too, as a walk of a file
		// tree lists them.
		seen := map[string]bool{}
		for _, k := range under {
			for d := parent(k); d != prefix; d = parent(d) {
				seen[d] = true
			}
			seen[k] = true
		}
		return sortedKeys(seen), nil
	}
	seen := map[string]bool{}
	for _, k := range under {
		rest := strings.TrimPrefix(k, dirPrefix(prefix))
		child, _, _ := strings.Cut(rest, "/")
		seen[joinKey(prefix, child)] = true
	}
	return sortedKeys(seen), nil
}

// Stat describes key: a value (terminal) or a directory.
func (s *Storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	key = cleanKey(key)
	e, err := s.entry(ctx, key)
	if err == nil {
		return certmagic.KeyInfo{Key: key, Modified: e.Modified, Size: int64(len(e.Value)), IsTerminal: true}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return certmagic.KeyInfo{}, err
	}
	under, err := s.keysUnder(ctx, key)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	if len(under) == 0 {
		return certmagic.KeyInfo{}, fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	return certmagic.KeyInfo{Key: key}, nil
}

// Lock takes the named lock, waiting for it while ctx lasts.
func (s *Storage) Lock(ctx context.Context, name string) error { return s.locker.Lock(ctx, name) }

// Unlock releases the named lock.
func (s *Storage) Unlock(ctx context.Context, name string) error { return s.locker.Unlock(ctx, name) }

// String names the storage in CertMagic's logs.
func (s *Storage) String() string { return "gateway record store (kind " + Kind + ")" }

// keysUnder lists the value keys strictly below dir ("" is the root).
func (s *Storage) keysUnder(ctx context.Context, dir string) ([]string, error) {
	all, err := s.store.List(ctx, Kind)
	if err != nil {
		return nil, err
	}
	p := dirPrefix(dir)
	var out []string
	for k := range all {
		if strings.HasPrefix(k, p) && k != dir {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

func dirPrefix(dir string) string {
	if dir == "" {
		return ""
	}
	return dir + "/"
}

func joinKey(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func parent(key string) string {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return ""
	}
	return key[:i]
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
