# Shared by the scripts that run MiniVPN appliances in network namespaces (demo, test-relay, load, attack).
# Source it, then: netns_setup NAME...; copy_appliance DIR; start_appliance NS HOME; ctl NS HOME CMD...;
# mem PID for a process's memory after a full GC.
# Everything it makes is undone on exit (namespaces deleted, processes stopped), also on failure.
# Needs: $dist (the built distribution), $keep (1 to keep the work folder).

. "$(dirname "${BASH_SOURCE[0]}")/needs.sh"
needs --root # network namespaces, TUN devices
[ -x "$dist/bin/minivpn" ] || { echo "$(basename "$0"): no distribution at $dist: build it with 'mvn -B -DskipTests package'" >&2; exit 2; }

work=$(mktemp -d "/tmp/minivpn-$(basename "$0").XXXXXX")
pids=()
namespaces=()
passed=0 failed=0

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do timeout 15 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null; done
    for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null; done
    if [ "${keep:-0}" -eq 1 ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ok() { passed=$((passed + 1)); echo "  ok: $*"; }
bad() { failed=$((failed + 1)); echo "  FAILED: $*"; }
expect() { # expect WHAT ACTUAL WANTED
    if [ "$2" = "$3" ]; then ok "$1 ($2)"; else bad "$1: got '$2', wanted '$3'"; fi
}
result() { say "result"; echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }

# row WHAT GOAL SEEN PASSED(0|1|-): one row of the table that `table` prints, counted as ok or bad;
# "-" prints the figure beside its goal without judging it (MEASURED), as for timings that vary.
rows=()
row() {
    local verdict=FAIL
    [ "$4" = 1 ] && verdict=PASS
    [ "$4" = - ] && verdict=MEASURED
    rows+=("$1|$2|$3|$verdict")
    case $4 in
        1) ok "$1: $3" ;;
        -) echo "  measured: $1: $3 (goal: $2)" ;;
        *) bad "$1: expected $2, seen $3" ;;
    esac
}
is_eq() { [ "$1" = "$2" ] && echo 1 || echo 0; }
# table WHAT GOAL SEEN: the rows under these headings, then PASS or FAIL.
table() {
    say "the table"
    printf '\n%-60s | %-32s | %-60s | %s\n' "$1" "$2" "$3" RESULT
    printf '%.0s-' $(seq 1 166); echo
    local r what goal seen verdict
    for r in "${rows[@]}"; do
        IFS='|' read -r what goal seen verdict <<< "$r"
        printf '%-60s | %-32s | %-60s | %s\n' "$what" "$goal" "${seen:0:60}" "$verdict"
    done
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# netns_setup NAME...: fresh namespaces with loopback up, deleted on exit.
netns_setup() {
    local ns
    for ns in "$@"; do
        ip netns del "$ns" 2>/dev/null
        ip netns add "$ns"
        namespaces+=("$ns")
        in_ns "$ns" ip link set lo up
    done
}

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces, addressed and up.
link() {
    ip link add "$2" netns "$1" type veth peer name "$5" netns "$4"
    in_ns "$1" ip addr add "$3" dev "$2"
    in_ns "$4" ip addr add "$6" dev "$5"
    in_ns "$1" ip link set "$2" up
    in_ns "$4" ip link set "$5" up
}

# copy_appliance NAME: a fresh copy of the distribution at $work/NAME with a tun0 configuration.
copy_appliance() {
    cp -r "$dist" "$work/$1"
    rm -rf "$work/$1/run"
    printf 'name = tun0\nmtu = 1400\n' > "$work/$1/configs/org.minivpn.tun.linux-tun0.cfg"
}

# start_appliance NS HOME: bin/minivpn headless inside NS; waits until it is ready (bundles active,
# configs/ taken: what minivpn-ctl --wait-ready waits for), at most 30 s.
# Started with ip netns exec directly (not through a function), so that $! is the process itself.
start_appliance() {
    ip netns exec "$1" "$2/bin/minivpn" --headless > "$2/appliance.log" 2>&1 &
    pids+=($!)
    in_ns "$1" "$2/bin/minivpn-ctl" --wait-ready 30 && return 0
    echo "the appliance in $1 did not start:"; cat "$2/appliance.log"; exit 1
}

# ctl NS HOME COMMAND...: bin/minivpn-ctl inside NS.
ctl() { local ns=$1 home=$2; shift 2; in_ns "$ns" "$home/bin/minivpn-ctl" --timeout 60 "$@"; }

# tunnel_address NS HOME: the client's IPv4 tunnel address from vpn:status.
tunnel_address() { ctl "$1" "$2" vpn:status 2>/dev/null | awk '/^tunnel/ {sub("/.*", "", $2); print $2}'; }

# mem PID: "RSS HEAP COMMITTED" in KiB after a full GC (jcmd GC.run): VmRSS, the used young and old
# generations, and the heap the JVM has committed (RSS holds what of it was ever touched).
mem() {
    timeout 30 "${JAVA_HOME:+$JAVA_HOME/bin/}jcmd" "$1" GC.run >/dev/null 2>&1 || { echo "  jcmd could not reach process $1" >&2; echo "0 0 0"; return; }
    local rss heap
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status")
    heap=$(timeout 30 "${JAVA_HOME:+$JAVA_HOME/bin/}jstat" -gc "$1" | awk 'NR == 1 {for (i = 1; i <= NF; i++) col[$i] = i}
        NR == 2 {printf "%.0f %.0f", $col["S0U"] + $col["S1U"] + $col["EU"] + $col["OU"],
                 $col["S0C"] + $col["S1C"] + $col["EC"] + $col["OC"]}')
    echo "${rss:-0} ${heap:-0 0}"
}
