// Package queue owns the shared job queue: conversion jobs put on Redis
// Streams by the instances that receive them and taken by the workers that
// can run them, with leases that another worker takes over when a worker
// stops renewing them, and a bounded number of attempts.
//
// Jobs are sorted by what they need: each job names the engine families it
// uses ("documents", "web", "images", ...), and goes to the stream of that
// set of families. A worker reads only the streams whose families it has,
// so it is never handed a job it cannot run. Every key shares one hash tag,
// so a Redis Cluster keeps them in one slot and a command that reads
// several streams never answers CROSSSLOT.
package queue

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// Queue is a job queue. Memory is the embedded one; Redis is shared by
// every instance.
type Queue interface {
	// Enqueue adds job, or answers ErrFull.
	Enqueue(ctx context.Context, job Job) error
	// Take waits until a job of one of classes is free and leases it to
	// consumer: first a job whose worker stopped renewing its lease, else
	// the oldest new one. It returns ctx's error when ctx ends.
	Take(ctx context.Context, consumer string, classes []string) (Lease, error)
	// Depth is how many jobs are queued or running.
	Depth(ctx context.Context) (int64, error)
}

// Lease is a job held by a worker.
type Lease interface {
	Job() Job
	// Renew restarts the lease; ErrLeaseLost when another worker took
	// the job over.
	Renew(ctx context.Context) error
	// Ack ends the job: it leaves the queue. ErrLeaseLost when another
	// worker took it over (its result is that worker's to report).
	Ack(ctx context.Context) error
	// Release hands the job back for any worker to take at once, without
	// spending an attempt (a worker shutting down).
	Release(ctx context.Context) error
}

// Job is a queued job.
type Job struct {
	ID string
	// Needs are the engine families the job uses.
	Needs []string
	// Payload is the job as the worker runs it.
	Payload []byte
	// Attempt counts the times the job was handed to a worker, this one
	// included (1 the first time).
	Attempt int
	// Enqueued is when the job was put on the queue.
	Enqueued time.Time
}

// Errors of the queue.
var (
	// ErrFull: the queue holds as many jobs as it may.
	ErrFull = errors.New("the job queue is full")
	// ErrLeaseLost: another worker took the job over (this one did not
	// renew its lease in time); the job's result is no longer this
	// worker's to report.
	ErrLeaseLost = errors.New("the job's lease was taken over")
)

// Class is the name of the stream of jobs that need needs: the families,
// sorted, without repeats, joined by "+" ("documents+pdf"); "none" for a job
// that needs no engine.
func Class(needs []string) string {
	set := slices.Clone(needs)
	slices.Sort(set)
	set = slices.Compact(set)
	set = slices.DeleteFunc(set, func(s string) bool { return s == "" })
	if len(set) == 0 {
		return "none"
	}
	return strings.Join(set, "+")
}

// Classes are the classes of every job a worker with families can run:
// every subset of them, and "none".
func Classes(families []string) []string {
	set := slices.Clone(families)
	slices.Sort(set)
	set = slices.Compact(set)
	set = slices.DeleteFunc(set, func(s string) bool { return s == "" })
	if len(set) > 12 {
		set = set[:12] // 4096 streams is already more than any engine list makes
	}
	out := []string{"none"}
	for mask := 1; mask < 1<<len(set); mask++ {
		var sub []string
		for i, f := range set {
			if mask&(1<<i) != 0 {
				sub = append(sub, f)
			}
		}
		out = append(out, strings.Join(sub, "+"))
	}
	return out
}
