// Two loopback proxies for the benchmark's network scenarios (bench/bench.py starts them):
//
//	bench-proxy delay --upstream HOST:PORT --delay 40ms
//	    A TCP proxy that holds every chunk of bytes for a fixed delay in each direction, in order: a
//	    worker behind it sees a round trip of twice the delay, as one far from its server would.
//
//	bench-proxy grpc --upstream HOST:PORT --slow-method RecordActivityTaskHeartbeat
//	                 --slow-marker SLOW-HEARTBEAT --slow-delay 5s
//	    A gRPC proxy that forwards each call as it comes, except that a call to the slow method whose
//	    request bytes contain the marker has its response held for the delay (the server got the
//	    request on time: only the worker's call is slow). On SIGTERM it prints "SLOWED n" and
//	    "CALLS method n" lines on stdout.
//
// Both listen on 127.0.0.1 on a free port (or --listen) and print "LISTEN 127.0.0.1:PORT" once they
// accept connections.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: bench-proxy delay|grpc [options]")
		os.Exit(64)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	upstream := fs.String("upstream", "", "server host:port (required)")
	delay := fs.Duration("delay", 40*time.Millisecond, "delay: added to each direction")
	slowMethod := fs.String("slow-method", "RecordActivityTaskHeartbeat", "grpc: the method slowed down")
	slowMarker := fs.String("slow-marker", "SLOW-HEARTBEAT", "grpc: slow only requests containing this")
	slowDelay := fs.Duration("slow-delay", 5*time.Second, "grpc: how long a slowed response is held")
	_ = fs.Parse(os.Args[2:])
	if *upstream == "" {
		fmt.Fprintln(os.Stderr, "--upstream is required")
		os.Exit(64)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	switch os.Args[1] {
	case "delay":
		fmt.Printf("LISTEN %s\n", ln.Addr())
		serveDelay(ln, *upstream, *delay)
	case "grpc":
		serveGRPC(ln, *upstream, "/"+*slowMethod, []byte(*slowMarker), *slowDelay)
	default:
		fmt.Fprintln(os.Stderr, "unknown proxy", os.Args[1])
		os.Exit(64)
	}
}

// ---- delay ------------------------------------------------------------------------------------

func serveDelay(ln net.Listener, upstream string, delay time.Duration) {
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
		<-signals
		os.Exit(0)
	}()
	for {
		down, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			os.Exit(1)
		}
		go func() {
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				down.Close()
				return
			}
			go forwardLate(up, down, delay)
			forwardLate(down, up, delay)
		}()
	}
}

type chunk struct {
	due  time.Time
	data []byte
}

// forwardLate copies src to dst, each chunk `delay` after it was read, in order. Reading goes on while
// chunks wait, so the delay adds latency, not a bandwidth limit.
func forwardLate(dst, src net.Conn, delay time.Duration) {
	queue := make(chan chunk, 4096)
	go func() {
		defer close(queue)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				queue <- chunk{time.Now().Add(delay), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range queue {
		if wait := time.Until(c.due); wait > 0 {
			time.Sleep(wait)
		}
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	if tcp, ok := dst.(*net.TCPConn); ok {
		tcp.CloseWrite()
	} else {
		dst.Close()
	}
	for range queue { // the reader stops once src fails or ends
	}
}

// ---- grpc -------------------------------------------------------------------------------------

// rawCodec passes message bytes through untouched, so the proxy needs no generated code.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

type grpcProxy struct {
	upstream   *grpc.ClientConn
	slowMethod string
	marker     []byte
	slowDelay  time.Duration
	slowed     atomic.Int64
	mu         sync.Mutex
	calls      map[string]int64
}

func serveGRPC(ln net.Listener, upstream, slowMethod string, marker []byte, slowDelay time.Duration) {
	const maxMsg = 128 << 20
	conn, err := grpc.NewClient(upstream, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
	p := &grpcProxy{upstream: conn, slowMethod: slowMethod, marker: marker, slowDelay: slowDelay,
		calls: map[string]int64{}}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(p.handle), grpc.ForceServerCodec(rawCodec{}),
		grpc.MaxRecvMsgSize(maxMsg), grpc.MaxSendMsgSize(maxMsg),
		// Workers ping every 30 s or so, with or without calls in flight: allow it.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}))
	go func() {
		signals := make(chan os.Signal, 1)
		signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
		<-signals
		p.report()
		os.Exit(0)
	}()
	fmt.Printf("LISTEN %s\n", ln.Addr())
	if err := srv.Serve(ln); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func (p *grpcProxy) report() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Printf("SLOWED %d\n", p.slowed.Load())
	names := make([]string, 0, len(p.calls))
	for name := range p.calls {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Printf("CALLS %s %d\n", name, p.calls[name])
	}
}

// handle forwards one call of any method: the request messages up, the response messages, headers
// and trailers down, the status as the server gave it.
func (p *grpcProxy) handle(_ any, down grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(down)
	if !ok {
		return errors.New("no method")
	}
	p.mu.Lock()
	p.calls[method[strings.LastIndex(method, "/")+1:]]++
	p.mu.Unlock()
	md, _ := metadata.FromIncomingContext(down.Context())
	md = md.Copy()
	for key := range md {
		if strings.HasPrefix(key, ":") || key == "content-type" || key == "user-agent" || key == "te" {
			delete(md, key)
		}
	}
	ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(down.Context(), md))
	defer cancel()
	up, err := p.upstream.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method,
		grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return err
	}
	var slow atomic.Bool
	sent := make(chan error, 1)
	go func() {
		for {
			var msg []byte
			if err := down.RecvMsg(&msg); err != nil {
				if err == io.EOF {
					err = up.CloseSend()
				}
				sent <- err
				return
			}
			if strings.HasSuffix(method, p.slowMethod) && bytes.Contains(msg, p.marker) {
				slow.Store(true)
			}
			if err := up.SendMsg(&msg); err != nil {
				sent <- err
				return
			}
		}
	}()
	if hdr, err := up.Header(); err == nil && len(hdr) > 0 {
		down.SendHeader(hdr)
	}
	for {
		var msg []byte
		err := up.RecvMsg(&msg)
		if err == io.EOF {
			break
		}
		if err != nil {
			down.SetTrailer(up.Trailer())
			return err
		}
		if slow.Load() {
			p.slowed.Add(1)
			time.Sleep(p.slowDelay)
		}
		if err := down.SendMsg(&msg); err != nil {
			return err
		}
	}
	down.SetTrailer(up.Trailer())
	return nil
}
