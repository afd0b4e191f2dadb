package redisstore

import (
	"testing"

	"github.com/signedgate/gateway/internal/store"
	"github.com/signedgate/gateway/internal/store/storetest"
	"github.com/signedgate/gateway/internal/testutil/redistest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		rdb, _ := redistest.Client(t)
		// Every handle opened within one subtest shares that subtest's prefix.
		s := New(rdb, prefixFor(t), nil)
		t.Cleanup(func() { s.Close() })
		return s
	}, true)
}

var prefixes = map[string]string{}

func prefixFor(t *testing.T) string {
	p, ok := prefixes[t.Name()]
	if !ok {
		p = redistest.Prefix()
		prefixes[t.Name()] = p
	}
	return p
}
