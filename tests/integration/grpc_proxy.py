"""A gRPC proxy between a C worker and the dev server that holds some calls on purpose.

Every unary call is forwarded as raw bytes, with its metadata, to the server. A call whose request
bytes contain the marker (an activity id inside the task token of a heartbeat or report names its
activity) is held until the test calls release() (or `max_hold` seconds pass), so a test can make one
call hang and watch what else gets through meanwhile. The proxy records each forwarded call's method
and request bytes, and when it went, and the metadata the client sent with it.
"""

import threading
import time
from concurrent import futures

import grpc

MAX_MESSAGE = 128 * 1024 * 1024
# Metadata gRPC sets itself, which a client call may not pass on.
_OWN_METADATA = ("user-agent", "grpc-")


class HoldingProxy:
    def __init__(self, upstream: str, marker: bytes, max_hold: float = 60.0) -> None:
        self.marker = marker
        self.max_hold = max_hold
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.forwarded: list[tuple[float, str, bytes]] = []  # (time, method, request)
        self.held: list[str] = []  # the methods of the calls that were held
        self._metadata: list[tuple[str, dict[str, str]]] = []  # (method, the client's metadata)
        options = [("grpc.max_send_message_length", MAX_MESSAGE), ("grpc.max_receive_message_length", MAX_MESSAGE)]
        self._upstream = grpc.insecure_channel(upstream, options=options)
        # Long polls each take a thread for up to a minute: enough threads for every poller and call.
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=64), handlers=[self], options=options)
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{port}"
        self._server.start()

    def release(self) -> None:
        """Lets every held call (and every later one) through."""
        self._release.set()

    def released(self) -> bool:
        return self._release.is_set()

    def calls(self, method_suffix: str, needle: bytes) -> list[float]:
        """When the forwarded calls of that method whose request contains `needle` went."""
        with self._lock:
            return [t for t, m, req in self.forwarded if m.endswith(method_suffix) and needle in req]

    def sent_metadata(self) -> list[tuple[str, dict[str, str]]]:
        """(method, the metadata the client sent) of every forwarded call, in order."""
        with self._lock:
            return list(self._metadata)

    def stop(self) -> None:
        self._release.set()
        self._server.stop(grace=None)
        self._upstream.close()

    # grpc.GenericRpcHandler
    def service(self, details):
        method = details.method
        call = self._upstream.unary_unary(method)  # no (de)serializers: bytes in, bytes out

        def handle(request: bytes, context: grpc.ServicerContext) -> bytes:
            if self.marker in request:
                with self._lock:
                    self.held.append(method)
                self._release.wait(self.max_hold)
            metadata = [(k, v) for k, v in context.invocation_metadata()
                        if not k.startswith(_OWN_METADATA) and not k.startswith(":")]
            remaining = context.time_remaining()
            with self._lock:
                self.forwarded.append((time.monotonic(), method, request))
                self._metadata.append((method, dict(metadata)))
            try:
                return call(request, metadata=metadata, timeout=remaining)
            except grpc.RpcError as e:
                context.abort(e.code(), e.details() or "")

        return grpc.unary_unary_rpc_method_handler(handle)
