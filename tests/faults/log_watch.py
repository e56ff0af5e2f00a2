"""The lines a running program writes to its log file, each stamped with the time.monotonic() at which
it was first seen: the library's log lines carry no time of their own, and a test that breaks the
network wants to know when the worker noticed."""

import threading
import time
from pathlib import Path


class LogWatch:
    def __init__(self, path: Path, every_s: float = 0.05) -> None:
        self.path, self.every_s = path, every_s
        self.lines: list = []  # [(monotonic s, line)]
        self._offset = 0
        self._partial = b""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"log-watch {path.name}", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                chunk = f.read()
        except FileNotFoundError:
            return
        if not chunk:
            return
        self._offset += len(chunk)
        now = time.monotonic()
        *whole, self._partial = (self._partial + chunk).split(b"\n")
        self.lines.extend((now, line.decode(errors="replace")) for line in whole)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._read()

    def stop(self) -> list:
        self._stop.set()
        self._thread.join(5)
        self._read()
        return self.lines
