package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/signedgate/gateway/internal/queue"
)

// BenchmarkTake times the queue's Take of a job that is already waiting,
// as a worker's next job is when clients keep it busy, on a redis-server of
// its own: with the two classes ("none", "libreoffice") a worker with
// LibreOffice alone reads, and with the 32 classes (every subset of five
// families) of a worker that has every engine of this machine. Enqueue and
// Ack are timed apart.
//
//	go test -run '^$' -bench Take ./bench/queue/
func BenchmarkTake(b *testing.B) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		b.Skip("redis-server is missing")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	srv := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", b.TempDir())
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	for deadline := time.Now().Add(5 * time.Second); rdb.Ping(ctx).Err() != nil; {
		if time.Now().After(deadline) {
			b.Fatal("redis-server does not answer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	payload := make([]byte, 8<<10) // about the size of the overhead phase's job

	for _, families := range [][]string{
		{"libreoffice"},
		{"chromium", "ffmpeg", "libreoffice", "libvips", "pdf"},
	} {
		classes := queue.Classes(families)
		b.Run("classes="+strconv.Itoa(len(classes)), func(b *testing.B) {
			q := queue.NewRedis(rdb, "bench"+strconv.Itoa(len(classes))+":", 30*time.Second, 1<<20)
			var enq, take, ack time.Duration
			n := 0
			for b.Loop() {
				t0 := time.Now()
				if err := q.Enqueue(ctx, queue.Job{ID: strconv.Itoa(n), Needs: []string{"libreoffice"}, Payload: payload}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				l, err := q.Take(ctx, "worker-1", classes)
				if err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if err := l.Ack(ctx); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				enq, take, ack = enq+t1.Sub(t0), take+t2.Sub(t1), ack+t3.Sub(t2)
				n++
			}
			b.ReportMetric(float64(enq.Microseconds())/float64(n), "enqueue-µs/op")
			b.ReportMetric(float64(take.Microseconds())/float64(n), "take-µs/op")
			b.ReportMetric(float64(ack.Microseconds())/float64(n), "ack-µs/op")
		})
	}
}
