// The Go SDK's side of the benchmark: a worker with the same four activities as the C bench worker
// (bench/c/bench_worker.c) and the Python one (bench/python/bench_worker.py), under the same names.
//
//	bench-go-worker --target HOST:PORT --task-queue Q [--slots N] [--pollers P]
//
// Go runs every activity function in a goroutine of its own, so it has one kind. Prints READY once
// worker.Start returned (it polls from then on) and runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
)

// noop returns at once with no value.
func noop(ctx context.Context) error { return nil }

// echo returns its string argument (64 KiB in the benchmark).
func echo(ctx context.Context, s string) (string, error) { return s, nil }

// sleep waits ms milliseconds, or until the activity is cancelled (worker shutdown included).
func sleep(ctx context.Context, ms int64) error {
	t := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// heartbeat records `details` as its heartbeat every periodMs for totalMs, then returns the number of
// heartbeats it recorded (the SDK throttles what it sends to the server).
func heartbeat(ctx context.Context, totalMs, periodMs int64, details string) (int64, error) {
	var beats int64
	for elapsed := int64(0); elapsed < totalMs; elapsed += periodMs {
		activity.RecordHeartbeat(ctx, details)
		beats++
		if err := sleep(ctx, periodMs); err != nil {
			return beats, err
		}
	}
	return beats, nil
}

func main() {
	target := flag.String("target", "127.0.0.1:7233", "server host:port")
	namespace := flag.String("namespace", "default", "namespace")
	taskQueue := flag.String("task-queue", "", "task queue (required)")
	slots := flag.Int("slots", 100, "activities run at once (MaxConcurrentActivityExecutionSize)")
	pollers := flag.Int("pollers", 5, "activity task pollers (MaxConcurrentActivityTaskPollers)")
	flag.Parse()
	if *taskQueue == "" {
		fmt.Fprintln(os.Stderr, "--task-queue is required")
		os.Exit(64)
	}

	logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr,
		&slog.HandlerOptions{Level: slog.LevelWarn})))
	c, err := client.Dial(client.Options{HostPort: *target, Namespace: *namespace, Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	defer c.Close()

	w := worker.New(c, *taskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize: *slots,
		MaxConcurrentActivityTaskPollers:   *pollers,
	})
	w.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: "noop"})
	w.RegisterActivityWithOptions(echo, activity.RegisterOptions{Name: "echo"})
	w.RegisterActivityWithOptions(sleep, activity.RegisterOptions{Name: "sleep"})
	w.RegisterActivityWithOptions(heartbeat, activity.RegisterOptions{Name: "heartbeat"})
	if err := w.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		os.Exit(3)
	}
	fmt.Println("READY")

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	<-signals
	w.Stop()
}
