# bash completion for jailctl, jls and jexec.                 -*- shell-script -*-
# Jail names come from the state directory (--state-dir, $JAILS_STATE_DIR,
# or /var/lib/jails), services from the jail's /etc/service.

_jailctl_commands='create set start run stop restart destroy list status svc exec attach apply logs stats collector help'

# Flags that take a value, by command; the value is the next word.
_jailctl_valued='--state-dir --root --profile --port --services --hostname --mount --memory --cpus --pids --net --timeout -u --user -n --since --listen --rotate-size --keep --syslog --syslog-facility --max-conns -j -U --collector'

_jailctl_flags() {
    case $1 in
    create) echo --root --profile --port --services --hostname --autostart --mount --memory --cpus --pids --net --allow-unreserved-ports ;;
    start | stop | restart) echo --all --timeout ;;
    destroy) echo --force ;;
    list) echo -d -v -n -q -j --json ;;
    status) echo --json ;;
    exec) echo -l -t -u -U -- ;;
    attach) echo -u ;;
    apply) echo --ephemeral -u ;;
    logs) echo -f -n --since --json ;;
    stats) echo --json --prometheus --http --collector ;;
    collector) echo --listen --rotate-size --keep --syslog --syslog-facility --max-conns ;;
    esac
}

# _jailctl_lib prints the lib directory of the instance the command line names.
_jailctl_lib() {
    local dir=${JAILS_STATE_DIR-} i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        --state-dir | -state-dir) dir=${words[i + 1]} ;;
        --state-dir=* | -state-dir=*) dir=${words[i]#*=} ;;
        esac
    done
    if [[ -n $dir ]]; then
        printf '%s\n' "$dir/lib"
    else
        printf '%s\n' /var/lib/jails
    fi
}

_jailctl_jails() {
    local lib f
    lib=$(_jailctl_lib)
    for f in "$lib"/*/jail.toml; do
        [[ -e $f ]] || continue
        f=${f%/jail.toml}
        printf '%s\n' "${f##*/}"
    done
}

_jailctl_services() {
    local lib d
    lib=$(_jailctl_lib)
    for d in "$lib/$1"/rw/etc/service/*/; do
        [[ -d $d ]] || continue
        d=${d%/}
        printf '%s\n' "${d##*/}"
    done
}

# Words are split on blanks: jail and service names have none.
_jailctl_reply() {
    COMPREPLY=($(compgen -W "$1" -- "$cur"))
}

_jailctl() {
    local cur prev words cword
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
    cur=${words[cword]}
    prev=${words[cword - 1]}
    COMPREPLY=()

    # The command, and where it is; jls and jexec are list and exec.
    local cmd= cmdi=0 i
    case ${words[0]##*/} in
    jls) cmd=list ;;
    jexec) cmd=exec ;;
    *)
        for ((i = 1; i < cword; i++)); do
            case ${words[i]} in
            --state-dir | -state-dir) ((i++)) ;;
            -*) ;;
            *)
                cmd=${words[i]} cmdi=$i
                break
                ;;
            esac
        done
        ;;
    esac

    case $prev in
    --state-dir | -state-dir | --root | --services)
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    --profile)
        _jailctl_reply 'low medium high'
        return
        ;;
    --net)
        _jailctl_reply 'host none'
        return
        ;;
    --syslog-facility)
        _jailctl_reply 'kern user mail daemon auth syslog lpr news uucp cron authpriv ftp local0 local1 local2 local3 local4 local5 local6 local7'
        return
        ;;
    -u | -U | --user)
        COMPREPLY=($(compgen -u -- "$cur"))
        return
        ;;
    -j)
        _jailctl_reply "$(_jailctl_jails)"
        return
        ;;
    -n)
        [[ $cmd == list ]] || return # jls -n is a switch; logs -n takes a number
        ;;
    --port | --hostname | --mount | --memory | --cpus | --pids | --timeout | --since | --listen | --rotate-size | --keep | --syslog | --max-conns | --collector)
        return
        ;;
    esac

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            _jailctl_reply '--state-dir --debug --version --help'
        else
            _jailctl_reply "$_jailctl_commands"
        fi
        return
    fi

    # The positional arguments so far, without flags and their values.
    local pos=() w
    for ((i = cmdi + 1; i < cword; i++)); do
        w=${words[i]}
        if [[ " $_jailctl_valued " == *" $w "* ]]; then
            ((i++))
        elif [[ $w != -* || $w == - ]]; then
            pos+=("$w")
        fi
    done
    local n=${#pos[@]}

    # -n takes a value only in logs; in list it is a switch.
    if [[ $cmd == list ]]; then
        pos=()
        for ((i = cmdi + 1; i < cword; i++)); do
            w=${words[i]}
            if [[ $w == -j ]]; then ((i++)); elif [[ $w != -* ]]; then pos+=("$w"); fi
        done
        n=${#pos[@]}
    fi

    # After exec's command or apply's script everything is the command's.
    case $cmd in
    exec) if ((n >= 2)); then
        if ((n == 2)); then COMPREPLY=($(compgen -c -- "$cur")); fi
        [[ -n ${COMPREPLY[*]} ]] || COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi ;;
    apply) if ((n >= 2)); then
        COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi ;;
    esac

    if [[ $cur == -* ]]; then
        _jailctl_reply "$(_jailctl_flags "$cmd")"
        return
    fi

    case $cmd in
    start | stop | restart)
        _jailctl_reply "$(_jailctl_jails)"
        ;;
    run | destroy | status | attach | stats)
        ((n == 0)) && _jailctl_reply "$(_jailctl_jails)"
        ;;
    list)
        _jailctl_reply 'jid name state hostname path profile net ports memory cpus pids autostart procs uptime'
        ;;
    help)
        ((n == 0)) && _jailctl_reply "$_jailctl_commands"
        ;;
    set)
        if ((n == 0)); then
            _jailctl_reply "$(_jailctl_jails)"
        else
            _jailctl_reply 'memory= cpus= pids= profile= net= hostname= root= ports= mounts= autostart= allow_unreserved_ports= logs.buffer= logs.line_max= logs.rotate_size= logs.keep='
            compopt -o nospace 2>/dev/null
        fi
        ;;
    exec)
        if ((n == 0)); then
            _jailctl_reply "$(_jailctl_jails)"
        else
            COMPREPLY=($(compgen -c -- "$cur"))
        fi
        ;;
    apply)
        if ((n == 0)); then
            _jailctl_reply "$(_jailctl_jails)"
        else
            COMPREPLY=($(compgen -f -- "$cur"))
            [[ - == "$cur"* ]] && COMPREPLY+=(-)
        fi
        ;;
    logs)
        case $n in
        0) _jailctl_reply "$(_jailctl_jails)" ;;
        1) _jailctl_reply "$(_jailctl_services "${pos[0]}")" ;;
        esac
        ;;
    svc)
        case $n in
        0) _jailctl_reply "$(_jailctl_jails)" ;;
        1) _jailctl_reply "$(_jailctl_services "${pos[0]}")" ;;
        2) _jailctl_reply 'up down restart once signal' ;;
        3) [[ ${pos[2]} == signal ]] && _jailctl_reply 'HUP INT QUIT KILL USR1 USR2 TERM CONT STOP TSTP WINCH' ;;
        esac
        ;;
    esac
}

complete -F _jailctl jailctl jls jexec
