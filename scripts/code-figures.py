#!/usr/bin/env python3
"""Figures of the library's sources: files, median and largest file (lines), functions over N lines.

    scripts/code-figures.py [SRC_DIR=src] [N=80]

A function is counted from the line that opens its body at file scope to its closing brace, in
code formatted as .clang-format says (the format check keeps it so). Comments and strings do not
count braces.
"""
import os
import re
import statistics
import sys

STRIP = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//.*$|/\*.*?\*/')


def functions(lines):
    """(first line, length) of each function body at file scope."""
    depth, start, in_comment, header = 0, None, False, ""
    for i, raw in enumerate(lines):
        line = raw
        if in_comment:
            if "*/" not in line:
                continue
            line, in_comment = line.split("*/", 1)[1], False
        line = STRIP.sub("", line)
        if "/*" in line:
            line, in_comment = line.split("/*", 1)[0], True
        stripped = line.strip()
        if depth == 0:
            if stripped.startswith("#") or not stripped:
                header = ""
                continue
            header += " " + stripped
            if "{" in stripped and "(" in header and not re.match(r"\s*(typedef|struct|union|enum)\b", header) \
                    and "=" not in header.split("(")[0]:
                start = i
        depth += line.count("{") - line.count("}")
        if depth == 0:
            if start is not None and "}" in line:
                yield start, i - start + 1
                start = None
            if stripped.endswith((";", "}")):
                header = ""


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "src"
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 80
    sizes, long_functions, count = [], [], 0
    for root, _, names in os.walk(src):
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            sizes.append((len(lines), os.path.relpath(path, src)))
            for start, length in functions(lines):
                count += 1
                if length > limit:
                    long_functions.append((length, f"{os.path.relpath(path, src)}:{start + 1}"))
    sizes.sort()
    print(f"files {len(sizes)}, lines {sum(s for s, _ in sizes)}, median {statistics.median(s for s, _ in sizes)}, "
          f"largest {sizes[-1][0]} ({sizes[-1][1]})")
    print(f"functions {count}, over {limit} lines: {len(long_functions)}")
    for length, where in sorted(long_functions, reverse=True):
        print(f"  {length} {where}")


if __name__ == "__main__":
    main()
