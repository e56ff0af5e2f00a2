"""The library's shape, checked on the built objects (docs/ARCHITECTURE.md, "Modules and layers").

    python check_layers.py <build dir> <src dir>

Edges: file A -> file B when A includes B (a header under src/) or A's object calls or reads a
symbol B's object defines (nm). Callbacks passed as pointers are not edges: that is how a runner
plugs into the task port without the task naming it.

Fails (exit 1, with the offending files) when
  - files call or include each other in a loop, directly or through others;
  - the directories of src/ do (the layers must form a chain of "uses", never a circle);
  - a directory uses one it must not (LAYERS below);
  - a file outside src/worker/ includes worker/worker_internal.h.
"""
import collections
import os
import re
import subprocess
import sys

# Which directories each directory of src/ may use (besides itself). The task port (activity/) is
# a leaf under converter/ and core/; runners (executor/, loop/) and the test environment plug into
# it and see nothing of the worker; the worker is the hub that wires everything.
LAYERS = {
    "core": set(),
    "transport": {"core"},
    "converter": {"core"},
    "proto": set(),
    "activity": {"core", "converter"},
    "client": {"core", "converter", "transport"},
    "loop": {"core", "activity"},
    "executor": {"core", "converter", "activity"},
    "testing": {"core", "converter", "activity"},
    "worker": {"core", "converter", "transport", "activity", "client", "loop", "executor"},
}
PRIVATE_HEADER = "worker/worker_internal.h"


def object_edges(build, src, graph):
    root = os.path.join(build, "CMakeFiles", "temporal_objects.dir", "src")
    defined, used = {}, collections.defaultdict(set)
    objects = []
    for dirpath, _, names in os.walk(root):
        objects += [os.path.join(dirpath, n) for n in names if n.endswith(".c.o")]
    # An incremental build keeps the objects of sources since deleted: they are not the library.
    objects = [o for o in objects if os.path.exists(os.path.join(src, os.path.relpath(o, root)[: -len(".o")]))]
    if not objects:
        sys.exit(f"no objects under {root}: build first")
    for obj in objects:
        source = os.path.relpath(obj, root)[: -len(".o")]
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[0] == "U":
                used[source].add(fields[1])
            elif len(fields) == 3 and fields[1] in "TDBR":
                defined[fields[2]] = source
    for source, symbols in used.items():
        for symbol in symbols:
            target = defined.get(symbol)
            if target and target != source:
                graph[source].add(target)
    return len(objects)


def include_edges(src, graph):
    include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
    for dirpath, _, names in os.walk(src):
        for n in names:
            if not n.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, n)
            rel = os.path.relpath(path, src)
            with open(path, encoding="utf-8") as f:
                for target in include.findall(f.read()):
                    if os.path.exists(os.path.join(src, target)):
                        graph[rel].add(target)


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    counter = 0
    nodes = sorted(set(graph) | {v for vs in graph.values() for v in vs})
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main():
    build, src = sys.argv[1], sys.argv[2]
    graph = collections.defaultdict(set)
    count = object_edges(build, src, graph)
    include_edges(src, graph)
    problems = []
    for component in cycles(graph):
        problems.append("files in a loop: " + " -> ".join(component))
    dirs = collections.defaultdict(set)
    for a, targets in graph.items():
        for b in targets:
            da, db = a.split("/")[0], b.split("/")[0]
            if da != db:
                dirs[da].add(db)
                if da in LAYERS and db not in LAYERS[da]:
                    problems.append(f"{da}/ must not use {db}/: {a} -> {b}")
                elif da not in LAYERS:
                    problems.append(f"{da}/ is not in LAYERS of {__file__}: say what it may use")
    for component in cycles(dirs):
        problems.append("directories in a loop: " + " -> ".join(component))
    for a, targets in graph.items():
        if PRIVATE_HEADER in targets and not a.startswith("worker/"):
            problems.append(f"{a} includes {PRIVATE_HEADER}")
    for p in sorted(set(problems)):
        print("FAIL", p)
    if problems:
        return 1
    edges = sum(len(t) for t in graph.values())
    print(f"ok: {count} objects, {edges} edges, no loops; directories: "
          + "; ".join(f"{d} -> {', '.join(sorted(t))}" for d, t in sorted(dirs.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
