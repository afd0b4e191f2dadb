package redistest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/testutil"
)

// Server is a redis-server process of a test's own, on a loopback port, that
// the test may kill and start again: the shared Redis of URL() must never be
// killed under other tests.
type Server struct {
	t       testing.TB
	bin     string
	dir     string
	port    int
	bus     int // the cluster bus port of a cluster node
	aof     bool
	cluster bool
	cmd     *exec.Cmd
	log     bytes.Buffer
}

// ServerOptions configure StartServer.
type ServerOptions struct {
	// AppendOnly keeps the data in an append-only file, so that a restart
	// after Kill finds it again; without it a restart is empty.
	AppendOnly bool
	// cluster starts the server in cluster mode (StartCluster).
	cluster bool
}

// StartServer starts a redis-server for t and stops it when t ends. Where
// redis-server is not installed, t ends with testutil.MissingTool.
func StartServer(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	bin := testutil.NeedProgram(t, "redis-server")
	s := &Server{t: t, bin: bin, dir: t.TempDir(), port: testutil.FreePort(t), aof: opts.AppendOnly, cluster: opts.cluster}
	if s.cluster {
		// Its own bus port: the default, port+10000, may be taken by
		// another test's server, or lie past 65535.
		s.bus = testutil.FreePort(t)
	}
	s.Start()
	t.Cleanup(func() { s.Kill() })
	return s
}

// URL is the server's address as a redis:// URL.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Start starts the server (again) on its port and waits until it answers:
// it returns within about 10 ms of the server's first PONG.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatalf("redis-server on port %d is already running", s.port)
	}
	aof := "no"
	if s.aof {
		aof = "yes"
	}
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", aof, "--appendfsync", "always",
		"--protected-mode", "yes", "--logfile", ""}
	if s.cluster {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(s.bus))
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout = &s.log
	cmd.Stderr = &s.log
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.cmd = cmd
	// A client of its own for each ping, dialing once: a client's pool that
	// has seen as many failed dials as it has connections stops dialing for
	// a second, and retried dials wait between tries; either would make
	// Start return well after the server answers.
	ping := func() error {
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, DialerRetries: 1,
			DialTimeout: 100 * time.Millisecond, PoolSize: 1})
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return rdb.Ping(ctx).Err()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := ping()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server on port %d does not answer: %v\n%s", s.port, err, s.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Kill stops the server with SIGKILL, as a crash would, and waits for it to
// be gone. It does nothing when the server is not running.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Cluster is a Redis Cluster of three masters of a test's own.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts three redis-server processes with cluster mode on,
// joins them into one cluster (redis-cli --cluster create, no replicas)
// and waits until it serves every slot. Missing tools end the test with
// testutil.MissingTool.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	cli := testutil.NeedProgram(t, "redis-cli")
	c := &Cluster{}
	for range 3 {
		c.Nodes = append(c.Nodes, StartServer(t, ServerOptions{cluster: true}))
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	// Ready when every node, not only the first, says the cluster is ok
	// (a node that has not heard of the others yet answers CLUSTERDOWN).
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range c.Nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr()})
		for {
			info, err := rdb.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				rdb.Close()
				t.Fatalf("the cluster is not ready on %s: %v %s", n.Addr(), err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rdb.Close()
	}
	return c
}

// URL is the cluster's address as GATEWAY_REDIS_URL takes it with
// GATEWAY_REDIS_MODE=cluster.
func (c *Cluster) URL() string {
	u := "redis://" + c.Nodes[0].Addr()
	for i, n := range c.Nodes[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + n.Addr()
	}
	return u
}

// Client is a cluster client for the test.
func (c *Cluster) Client(t testing.TB) redis.UniversalClient {
	t.Helper()
	var addrs []string
	for _, n := range c.Nodes {
		addrs = append(addrs, n.Addr())
	}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}
