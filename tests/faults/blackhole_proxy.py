"""A loopback TCP proxy that can turn into a blackhole: while it is one, every connection stays open
but no byte gets through in either direction, and new connections are accepted but never reach the
server; when it heals, everything held moves on, in order, on the same connections.

That is what a peer sees when a network path silently drops packets (a crashed NAT, a cable pulled
somewhere, a firewall that drops instead of rejecting) and later comes back: TCP retransmits until
the path heals, nothing is lost, and until then nothing tells the endpoints apart from a very slow
peer. Only application-level liveness checks (gRPC keepalive pings) can notice.

One difference: here the kernel still acknowledges what the worker sends (the proxy's socket takes
it into its buffer), so a sender's TCP_USER_TIMEOUT never fires; only the peers' HTTP/2 pings and
call deadlines see the hole, which is what the test is about.

The proxy runs its own asyncio loop on a thread of its own, so it keeps forwarding whatever the
test's loop is doing (or blocked on).
"""

import asyncio
import socket
import threading
import time
from typing import Optional


class BlackholeProxy:
    def __init__(self, upstream: str) -> None:
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.connections = 0  # accepted so far
        self.bytes_forwarded = 0
        self._open: Optional[asyncio.Event] = None  # set: bytes flow; clear: the blackhole
        self._server: Optional[asyncio.AbstractServer] = None
        self._tasks: set = set()
        self._thread = threading.Thread(target=self.loop.run_forever, name="blackhole-proxy", daemon=True)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "BlackholeProxy":
        self._thread.start()
        self._call(self._start())
        return self

    def blackhole(self) -> float:
        """Holds every byte from now on; returns the time.monotonic() it began."""
        self._call(self._set_open(False))
        return time.monotonic()

    def heal(self) -> float:
        """Lets the held bytes and everything after them through; returns the time.monotonic() it healed."""
        self._call(self._set_open(True))
        return time.monotonic()

    def close(self) -> None:
        if self._thread.is_alive():
            self._call(self._close())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
        self.loop.close()

    # ---- on the proxy's loop ----------------------------------------------------------------------

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _start(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        # Port 0: an ephemeral port is fine here, the proxy never restarts.
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_open(self, is_open: bool) -> None:
        if is_open:
            self._open.set()
        else:
            self._open.clear()

    async def _close(self) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, client_reader, client_writer) -> None:
        self.connections += 1
        # A connection made inside the blackhole: the client's connect succeeded (the kernel accepted it)
        # but the server hears nothing of it until the hole heals.
        await self._open.wait()
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.close()
            return
        for sock in (client_writer.get_extra_info("socket"), server_writer.get_extra_info("socket")):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._spawn(self._pump(client_reader, server_writer))
        self._spawn(self._pump(server_reader, client_writer))

    async def _pump(self, reader, writer) -> None:
        try:
            while True:
                await self._open.wait()
                data = await reader.read(65536)
                if not data:
                    break
                # Bytes read just as the hole opened are held too, not let through.
                await self._open.wait()
                writer.write(data)
                await writer.drain()
                self.bytes_forwarded += len(data)
        except (ConnectionError, OSError):
            pass
        finally:
            # One side ended (closed or reset): end the other, as a real connection would. A
            # half-close would keep a dead server's connection looking alive to the worker.
            writer.close()
