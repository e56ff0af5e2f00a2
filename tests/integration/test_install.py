"""The installed library as a user gets it: `cmake --install` into a prefix, then the hello example
built outside the tree twice, once with pkg-config (temporal-c.pc) and once with CMake's
find_package(temporal-c), and run against the dev server."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD_DIR, SOURCE_DIR


def sanitized_build() -> bool:
    cache = BUILD_DIR / "CMakeCache.txt"
    if not cache.is_file():
        return False
    for line in cache.read_text(errors="replace").splitlines():
        if line.startswith("TEMPORAL_SANITIZE:") and line.split("=", 1)[1].strip():
            return True
    return False


pytestmark = pytest.mark.skipif(
    sanitized_build(), reason="a sanitizer build's library needs the sanitizer runtime in every user"
)


def sh(*cmd, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    prefix = tmp_path_factory.mktemp("prefix")
    sh("cmake", "--install", BUILD_DIR, "--prefix", prefix)
    return prefix


def libdir(prefix: Path) -> Path:
    (pc,) = prefix.glob("**/pkgconfig/temporal-c.pc")
    return pc.parent.parent


def run_installed_hello(c_programs, dev_server, task_queue, worker: Path, client: Path, prefix: Path):
    env = {"LD_LIBRARY_PATH": str(libdir(prefix))}
    c_programs.start(str(worker), "--target", dev_server, "--task-queue", task_queue, env=env)
    done = c_programs.run(str(client), "--target", dev_server, "--task-queue", task_queue, env=env)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert done.stdout.splitlines() == [
        'say_hello_activity("World") -> "Hello, World!"  [sync, thread pool]',
        'say_hello_async("World") -> "Hello, World!"  [async, event loop]',
        'say_hello_process("World") -> "Hello, World!"  [sync, process pool]',
        'my-activity("World") -> "Hello, World!"  [sync, thread pool]',
    ]


def test_installed_files(installed):
    assert (installed / "include" / "temporal" / "temporal.h").is_file()
    lib = libdir(installed)
    assert (lib / "libtemporal-c.a").is_file()
    assert any(lib.glob("libtemporal-c.so*"))
    assert (lib / "cmake" / "temporal-c" / "temporal-c-config.cmake").is_file()
    # The licence travels with the library.
    installed_license = installed / "share" / "licenses" / "temporal-c" / "LICENSE"
    assert installed_license.read_text() == (SOURCE_DIR / "LICENSE").read_text()
    assert "MIT License" in installed_license.read_text()


HELLO = SOURCE_DIR / "examples" / "hello"
# Each program's sources: hello_worker's activities live in hello_activities.c.
HELLO_SOURCES = {
    "hello_worker": ["hello_worker.c", "hello_activities.c"],
    "hello_client": ["hello_client.c"],
}


# The README's advice for strict ISO C: -std=c11 needs a POSIX feature-test macro (libuv's uv.h
# uses pthread types); gnu11, the compilers' default, needs nothing.
@pytest.mark.parametrize("std", [[], ["-std=c11", "-D_POSIX_C_SOURCE=200809L"], ["-std=c11", "-D_DEFAULT_SOURCE"]],
                         ids=["default", "c11-posix", "c11-default-source"])
def test_pkg_config_build(installed, tmp_path, c_programs, dev_server, task_queue, std):
    env = {**os.environ, "PKG_CONFIG_PATH": str(libdir(installed) / "pkgconfig")}
    flags = sh("pkg-config", "--cflags", "--libs", "temporal-c", env=env).stdout.split()
    cc = os.environ.get("CC", "cc")
    out = {}
    for name, sources in HELLO_SOURCES.items():
        out[name] = tmp_path / name
        sh(cc, *std, "-Wall", "-Wextra", "-Werror", *(HELLO / src for src in sources), "-o", out[name], *flags)
    run_installed_hello(c_programs, dev_server, task_queue, out["hello_worker"], out["hello_client"],
                        installed)


def test_cmake_find_package_build(installed, tmp_path, c_programs, dev_server, task_queue):
    project = tmp_path / "user"
    project.mkdir()
    for src in HELLO.glob("*.[ch]"):
        shutil.copy(src, project)
    (project / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\n"
        "project(user C)\n"
        "set(CMAKE_C_STANDARD 11)\n"
        "set(CMAKE_C_EXTENSIONS OFF)  # -std=c11: strict ISO C, so a POSIX feature-test macro\n"
        "find_package(temporal-c 0.1 REQUIRED)\n"
        "add_executable(hello_worker hello_worker.c hello_activities.c)\n"
        "add_executable(hello_client hello_client.c)\n"
        "foreach(p hello_worker hello_client)\n"
        "  target_compile_definitions(${p} PRIVATE _POSIX_C_SOURCE=200809L)\n"
        "  target_link_libraries(${p} PRIVATE temporal::temporal-c)\n"
        "endforeach()\n"
    )
    build = tmp_path / "user-build"
    sh("cmake", "-S", project, "-B", build, f"-DCMAKE_PREFIX_PATH={installed}")
    sh("cmake", "--build", build)
    run_installed_hello(c_programs, dev_server, task_queue, build / "hello_worker",
                        build / "hello_client", installed)
