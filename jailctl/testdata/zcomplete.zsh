# zsh -f zcomplete.zsh COMPDIR LINE...: completes each LINE in an
# interactive zsh on a pseudo-terminal (zpty) with compinit and the
# completion functions in COMPDIR, and prints one line per LINE: the
# candidates offered, sorted, space-separated.
zmodload zsh/zpty || exit 1
compdir=$1; shift
zpty z zsh -f -i || exit 1
# readto PATTERN: read the pseudo-terminal until what was read matches.
readto() {
  out=
  zpty -r z out "$1"
}
# Keys are typed only once the line editor shows its prompt: typed
# earlier, the terminal (not yet raw) would take TAB and ^U itself.
zpty -w z 'PS1="@@ZLE-READY@@"; RPS1=""; unsetopt zle_bracketed_paste beep 2>/dev/null'
zpty -w z "fpath=(${(q)compdir} \$fpath); autoload -Uz compinit; compinit -u -D"
# Every candidate a completion function adds is printed as <word>.
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a h; local w; builtin compadd -A h "$@"; (( $#h )) || return 1; for w in $h; do print -rn -- " <$w> "; done; builtin compadd "$@" }'
zpty -w z 'zstyle ":completion:*" list-prompt ""; zstyle ":completion:*" menu no; LISTMAX=10000; print SETUP-DONE'
readto '*SETUP-DONE'$'\r''*@@ZLE-READY@@*' || exit 1
n=0
for line in "$@"; do
  (( n++ ))
  zpty -w -n z "$line"$'\t'
  zpty -w z $'\C-u'"print END$n-MARK"
  readto "*END$n-MARK"$'\r''*@@ZLE-READY@@*' || exit 1
  words=( ${(M)${(s: :)${out//[$'\r\n']/ }}:#<*>} )
  words=( ${(u)${(o)words}} )
  print -r -- ${(j: :)${words//[<>]/}}
done
zpty -d z
