"""A dev server of a test's own that can go down and come back: it keeps its state in a SQLite file
and listens on a fixed port, so the server started again resumes what the first one knew, at the
address the workers already use. Used by test_resilience.py (a clean stop) and tests/faults/ (SIGKILL).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "devserver.sh"


def free_port() -> int:
    """A port outside the ephemeral range: no client connection can take it while the server is down."""
    done = subprocess.run([sys.executable, str(SCRIPT.parent / "free_port.py")], capture_output=True, text=True,
                          check=True)
    return int(done.stdout)


def _is_running(pid: int) -> bool:
    """True while any thread of process `pid` is alive. The main thread turns zombie first while the
    others are still exiting (and still hold the process's sockets), so its state alone is not enough;
    a zombie that nobody reaps (the container's init may not) serves nothing."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                    return True
        except (OSError, IndexError):
            continue  # that thread is gone
    return False


class RestartableServer:
    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path / "server"
        self.db = tmp_path / "temporal.db"
        self.port = free_port()
        self.target = f"127.0.0.1:{self.port}"

    def start(self) -> None:
        out = subprocess.run(
            [str(SCRIPT), "start", "--dir", str(self.dir), "--port", str(self.port), "--db-filename", str(self.db),
             "--owner", str(os.getpid())],
            stdout=subprocess.PIPE, text=True, timeout=120,
        )
        assert out.returncode == 0 and out.stdout.strip() == self.target, out

    def stop(self) -> None:
        subprocess.run([str(SCRIPT), "stop", "--dir", str(self.dir)], timeout=60, check=True)

    def pid(self) -> int:
        return int((self.dir / "pid").read_text())

    def kill(self, timeout: float = 10.0) -> int:
        """SIGKILL to the server's whole process group (devserver.sh starts it with setsid, so the group
        is the server and anything it started), then waits until the server process is really gone.
        Returns the pid that was killed."""
        pid = self.pid()
        os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + timeout
        while _is_running(pid):
            assert time.monotonic() < deadline, f"server {pid} still running {timeout} s after SIGKILL"
            time.sleep(0.02)
        return pid
