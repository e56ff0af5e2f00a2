"""The fault-injection suite runs on the integration suite's fixtures (dev_server, c_programs, run,
workflow_workers, ...): they are imported from tests/integration/conftest.py rather than copied, so
both suites start servers and C programs the same way.

Both files are named conftest.py, so the integration one is loaded under a module name of its own and
its fixtures are imported by name (pytest finds fixtures among a conftest module's attributes). Its
directory goes on sys.path first: it imports its neighbours (workflows.py) by name, as these tests do
(workflows, servers).
"""

import importlib.util
import sys
from pathlib import Path

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
if str(INTEGRATION) not in sys.path:
    sys.path.insert(0, str(INTEGRATION))


def _load_integration_conftest():
    name = "integration_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, INTEGRATION / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_integration = _load_integration_conftest()
dev_server = _integration.dev_server
other_dev_server = _integration.other_dev_server
loop = _integration.loop
client = _integration.client
run = _integration.run
task_queue = _integration.task_queue
c_programs = _integration.c_programs
workflow_workers = _integration.workflow_workers
workflow_worker = _integration.workflow_worker
restartable_server = _integration.restartable_server
