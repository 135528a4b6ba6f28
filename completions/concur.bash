# bash completion for concur(1).
# Options are read from `concur COMMAND --help` at completion time, so this file never drifts
# from the CLI: whatever the help lists, Tab offers. Options that take a file or a directory
# complete paths.
_concur_options() {  # $1: the command ("" for the top level)
  local cmd=$1
  # shellcheck disable=SC2086
  "${COMP_WORDS[0]}" $cmd --help 2>/dev/null | grep -oE '(^|[ ,])--?[A-Za-z][-A-Za-z0-9]*' |
    sed -E 's/^[ ,]//' | sort -u
}

_concur() {
  local cur prev cmd i
  COMPREPLY=()
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      run | demo) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$(_concur_options '')" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "run demo" -- "$cur")
    fi
    return 0
  fi
  # After `--` or a `:::` the words belong to the job's command: complete files.
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -- | ::: | :::: ) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
    esac
  done
  case $prev in
    --jobs-file | --joblog | --json | --junit | --html | --history | --sshloginfile | --gtest)
      mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return 0 ;;
    --results | --cwd | --ctest | --pytest)
      mapfile -t COMPREPLY < <(compgen -d -- "$cur"); return 0 ;;
    --halt)
      mapfile -t COMPREPLY < <(compgen -W "never soon,fail=1 now,fail=1" -- "$cur"); return 0 ;;
    --partition)
      mapfile -t COMPREPLY < <(compgen -W "slice:1/2 hash:1/2" -- "$cur"); return 0 ;;
  esac
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_concur_options "$cmd")" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
  return 0
}
complete -o filenames -F _concur concur
