#!/usr/bin/env bash
# Checks that the C and C++ sources are formatted as .clang-format says (clang-format-14, the one
# scripts/setup-system.sh installs: another version formats some lines differently).
#
#   scripts/check-format.sh [FILE ...]
#
# Without arguments: every .c, .h and .cpp file under src/ include/ tests/ examples/ bench/, tracked
# or new (git ls-files; files git ignores, such as build directories, are left out). Generated code
# (protoc-c's, under the build directory) is not in the tree, and neither is third-party code; a
# path matching EXCLUDE below is skipped. Exits 1 naming each file that differs, with its first few
# differences; `clang-format-14 -i FILE` fixes one.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CLANG_FORMAT="${CLANG_FORMAT:-clang-format-14}"
# Paths (extended regex) that are not ours to format.
EXCLUDE='^$'

command -v "$CLANG_FORMAT" >/dev/null || {
  echo "check-format: $CLANG_FORMAT not found (scripts/setup-system.sh installs it)" >&2
  exit 2
}

if [ $# -gt 0 ]; then
  files=("$@")
elif git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
    'src/*.[ch]' 'include/*.h' 'tests/*.[ch]' 'examples/*.[ch]' 'bench/*.[ch]' \
    'src/*.cpp' 'tests/*.cpp' 'examples/*.cpp' 'bench/*.cpp' | grep -Ev "$EXCLUDE" | sort -u)
else
  mapfile -t files < <(find src include tests examples bench -type f \
    \( -name '*.c' -o -name '*.h' -o -name '*.cpp' \) 2>/dev/null | grep -Ev "$EXCLUDE" | sort)
fi

bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue # listed by git but deleted in the work tree
  if ! out=$("$CLANG_FORMAT" --dry-run --Werror --ferror-limit=3 "$f" 2>&1); then
    bad+=("$f")
    printf '%s\n' "$out" >&2
  fi
done

if [ ${#bad[@]} -gt 0 ]; then
  echo >&2
  echo "check-format: ${#bad[@]} of ${#files[@]} files differ from .clang-format ($CLANG_FORMAT -i FILE fixes one):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted as .clang-format says"
