#!/bin/bash
# Sources the bash completion and asks it, as bash would on Tab, what it offers.
# $1: completions/concur.bash  $2: the concur binary
set -u
source "$1"
concur=$2
fails=0
complete_line() {  # words...; the last word is the one being completed
  COMP_WORDS=("$concur" "$@")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMPREPLY=()
  _concur
  printf '%s\n' "${COMPREPLY[@]}"
}
expect() {  # description, expected word, words...
  local what=$1 want=$2; shift 2
  if ! complete_line "$@" | grep -qxF -- "$want"; then
    echo "FAIL: $what: '$want' not offered for: $*"; complete_line "$@" | head -20; fails=$((fails + 1))
  fi
}
expect_not() {
  local what=$1 unwanted=$2; shift 2
  if complete_line "$@" | grep -qxF -- "$unwanted"; then
    echo "FAIL: $what: '$unwanted' offered for: $*"; fails=$((fails + 1))
  fi
}
expect "subcommand" run ""
expect "subcommand prefix" demo d
expect_not "subcommand prefix" run d
expect "top-level option" --version --v
expect "run option" --timeout run --ti
expect "run option" --joblog run --jobl
expect "demo option" --quick demo --q
expect_not "run options are not demo's" --joblog demo --jobl
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/jobs.txt"; mkdir "$tmp/builddir"
expect "file argument" "$tmp/jobs.txt" run --jobs-file "$tmp/jo"
expect "directory argument" "$tmp/builddir" run --cwd "$tmp/b"
expect_not "directory argument takes no files" "$tmp/jobs.txt" run --cwd "$tmp/jo"
expect "files after --" "$tmp/jobs.txt" run -- gzip "$tmp/jo"
# Every option the help lists is offered.
for opt in $("$concur" run --help | grep -oE '(^|[ ,])--[A-Za-z][-A-Za-z0-9]*' | sed -E 's/^[ ,]//' | sort -u); do
  expect "every run option" "$opt" run "$opt"
done
[ "$fails" -eq 0 ] && echo "completion: all checks passed"
exit "$fails"
