# Sourced by the scripts in scripts/. `needs [--root] NAME...` returns when this machine has root (with
# --root) and every program NAME (on PATH; a NAME starting with / is a file that must exist), and
# otherwise stops the script as skipped: one line "SCRIPT: skipped: needs WHAT (Debian packages ...)"
# and exit status 77, which automake's test harness reads as SKIP and EndToEndIT as a skipped test.
# Programs and their packages come from scripts/lib/test-deps, as for the tests' Needs helper.

# skip LINE: stops the script as skipped, saying why.
skip() {
    echo "$(basename "$0"): skipped: $1"
    echo "$(basename "$0"): sudo scripts/install-test-deps installs everything the tests and scripts need" >&2
    exit 77
}

needs() {
    local list name program package known missing=() packages=()
    list="$(dirname "${BASH_SOURCE[0]}")/test-deps"
    if [ "${1:-}" = --root ]; then
        shift
        [ "$(id -u)" -eq 0 ] || missing+=(root)
    fi
    for name in "$@"; do
        known=""
        while read -r program package _; do
            [ "$program" = "$name" ] && { known=$package; break; }
        done < <(grep -v '^#' "$list")
        if [ -z "$known" ]; then
            echo "$(basename "$0"): '$name' is not in scripts/lib/test-deps: add it there with its Debian package" >&2
            exit 2
        fi
        case $name in
            /*) [ -e "$name" ] && continue ;;
            *) command -v "$name" >/dev/null 2>&1 && continue ;;
        esac
        missing+=("$name")
        case " ${packages[*]} " in *" $known "*) ;; *) [ "$known" = - ] || packages+=("$known") ;; esac
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local line="needs ${missing[0]}" m
    for m in "${missing[@]:1}"; do line+=", $m"; done
    if [ ${#packages[@]} -eq 1 ]; then
        line+=" (Debian package ${packages[0]})"
    elif [ ${#packages[@]} -gt 1 ]; then
        line+=" (Debian packages ${packages[*]})"
    fi
    skip "$line"
}
