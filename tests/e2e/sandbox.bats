#!/usr/bin/env bats
# builder-sandbox as the job runner uses it: exit statuses, errors, the JSON
# result, environment, workspace, overlay dir, signals, and a host-toolchain
# C compile inside the sandbox.  Needs root (skipped otherwise).

setup() {
	[[ $(id -u) -eq 0 ]] || skip "needs root"
	# absolute: some tests change directory (run directly, bats finds the tree)
	TOP=${BUILDERD_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
	SB=${BUILDERD_BIN:-$TOP/build/bin}/builder-sandbox
	ROOTFS=$TOP/${BUILD:-build}/rootfs/busybox
	[[ -x $SB && -x $ROOTFS/bin/busybox ]] || skip "run make check-build first"
	CGP=/builderd-e2e-test
	WS=$BATS_TEST_TMPDIR/ws
	mkdir -p "$WS"
	chown 101000:101000 "$WS"
	chmod 0700 "$WS"
}

teardown() {
	rmdir /sys/fs/cgroup/*"$CGP" /sys/fs/cgroup/unified"$CGP" 2>/dev/null || true
}

sb() {
	"$SB" --layer "$ROOTFS" --cgroup-parent "$CGP" "$@"
}

@test "the step's exit status is builder-sandbox's" {
	run sb -- /bin/sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "a step killed by a signal exits 128+N and the result names the signal" {
	run sb --result-fd 3 -- /bin/sh -c 'kill -TERM $$' 3>"$BATS_TEST_TMPDIR/r"
	[ "$status" -eq 143 ]
	grep -q '"status":"signaled","exit_code":143,"signal":15' "$BATS_TEST_TMPDIR/r"
}

@test "a sandbox failure exits 125 naming the operation and path" {
	run "$SB" --layer /nonexistent-layer -- /bin/true
	[ "$status" -eq 125 ]
	[[ $output == *"layer /nonexistent-layer: No such file or directory"* ]]
	run sb --bind /nonexistent-ws /home/build -- /bin/true
	[ "$status" -eq 125 ]
	[[ $output == *"bind source /nonexistent-ws"* ]]
	run sb -- /bin/no-such-command
	[ "$status" -eq 125 ]
	[[ $output == *"execvp /bin/no-such-command: No such file or directory"* ]]
	run sb --chdir /no/such/dir -- /bin/true
	[ "$status" -eq 125 ]
	[[ $output == *"chdir /no/such/dir"* ]]
}

@test "usage errors exit 125, --help exits 0" {
	run "$SB" --frobnicate
	[ "$status" -eq 125 ]
	[[ $output == *"unknown option --frobnicate"* ]]
	run "$SB" --help
	[ "$status" -eq 0 ]
	[[ $output == *"--result-fd"* ]]
}

@test "the JSON result has every field, and a setup error in it" {
	sb --result-fd 3 -- /bin/true 3>"$BATS_TEST_TMPDIR/ok"
	python3 - "$BATS_TEST_TMPDIR/ok" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
want = ["version", "status", "exit_code", "signal", "oom", "timed_out", "cancelled",
        "pids_limit_hit", "wall_seconds", "cpu_seconds", "user_seconds", "system_seconds",
        "peak_memory_bytes", "cgroup", "reason", "error"]
assert list(r) == want, list(r)
assert r["status"] == "exited" and r["exit_code"] == 0 and r["error"] is None
PY
	run "$SB" --layer /nonexistent --result-fd 3 -- /bin/true 3>"$BATS_TEST_TMPDIR/bad"
	grep -q '"status":"setup_failed","exit_code":125' "$BATS_TEST_TMPDIR/bad"
	grep -q '"error":"layer /nonexistent: No such file or directory"' "$BATS_TEST_TMPDIR/bad"
}

@test "a clean environment: PATH, HOME and --env only" {
	FOO=leak run sb --env A=1 --env B='x y' -- /bin/sh -c 'env | sort'
	[ "$status" -eq 0 ]
	[[ $output != *FOO* ]]
	[[ $output == *"A=1"* ]]
	[[ $output == *"B=x y"* ]]
	[[ $output == *"HOME=/home/build"* ]]
	[[ $output == *"PATH=/usr/local/sbin"* ]]
}

@test "identity: uid/gid 1000 by default, hostname, chdir, --uid 0" {
	run sb --bind "$WS" /home/build --hostname jobhost --chdir /home/build -- \
		/bin/sh -c 'id -u; id -g; hostname; pwd'
	[ "$output" = "$(printf '1000\n1000\njobhost\n/home/build')" ]
	run sb --uid 0 --gid 0 -- /bin/sh -c 'id -u; grep CapEff /proc/self/status'
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "CapEff:	0000000000000000" ]
}

@test "--root-caps: root with every id mapped and only the file capabilities, for install scripts" {
	ovl=$BATS_TEST_TMPDIR/ovl
	mkdir "$ovl"
	run sb --root-caps --overlay-dir "$ovl" --keep-upper -- /bin/sh -c '
		set -e
		id -u; id -g
		cat /proc/self/uid_map /proc/self/gid_map
		grep -E "^Cap(Eff|Bnd|Amb)" /proc/self/status
		mkdir -p /var/lib/svc && chown 100:101 /var/lib/svc
		touch /x && chown 65535:65535 /x
		# DAC override: root reads a file it does not own, mode 000
		echo hi >/y && chown 100 /y && chmod 000 /y && cat /y
		# what root inside still may not do
		! mount -t tmpfs none /mnt 2>/dev/null
		! chmod u+s /x 2>/dev/null
		! hostname other 2>/dev/null
		! ip link set lo down 2>/dev/null
		echo done'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ] && [ "${lines[1]}" = 0 ]
	[[ ${lines[2]} =~ ^\ +0\ +100000\ +65536$ ]]
	[[ ${lines[3]} =~ ^\ +0\ +100000\ +65536$ ]]
	# chown dac_override dac_read_search fowner fsetid setgid setuid, nothing else
	[[ ${lines[4]} == "CapEff:"*"00000000000000df" ]]
	[[ ${lines[5]} == "CapBnd:"*"00000000000000df" ]]
	[[ ${lines[6]} == "CapAmb:"*"0000000000000000" ]]
	[ "${lines[8]}" = done ]
	# the ids land on the host as base + id
	[ "$(stat -c %u:%g "$ovl/upper/var/lib/svc")" = 100100:100101 ]
	[ "$(stat -c %u:%g "$ovl/upper/x")" = 165535:165535 ]
	# without it, sandbox root owns nothing but itself and has no capability
	run sb --uid 0 --gid 0 -- /bin/sh -c 'grep ^CapEff /proc/self/status; touch /x; chown 100 /x'
	[ "$status" -ne 0 ]
	[[ ${lines[0]} == "CapEff:"*"0000000000000000" ]]
	# it runs as root or not at all
	run "$SB" --layer "$ROOTFS" --root-caps --uid 1000 -- /bin/true
	[ "$status" -eq 125 ]
	[[ $output == *"--root-caps runs as uid and gid 0"* ]]
}

@test "files the step writes in /home/build belong to the slot uid and are readable by root" {
	run sb --bind "$WS" /home/build -- /bin/sh -c 'umask 077; echo secret-out >/home/build/out; mkdir /home/build/d'
	[ "$status" -eq 0 ]
	[ "$(stat -c '%u %a' "$WS/out")" = "101000 600" ]
	[ "$(cat "$WS/out")" = secret-out ]
	run sb --host-id-base 300000 --bind "$BATS_TEST_TMPDIR" /mnt -- /bin/sh -c 'touch /mnt/x'
	[ "$status" -ne 0 ] # a root-owned dir is not the step's
}

@test "stdin and stdout are the caller's" {
	run bash -c "echo piped | $SB --layer $ROOTFS --cgroup-parent $CGP -- /bin/cat"
	[ "$output" = piped ]
}

@test "host toolchain: cc compiles and runs a C program inside" {
	[[ -x /usr/bin/cc ]] || skip "no host cc"
	printf '#include <stdio.h>\nint main(void) { printf("%%d\\n", 6 * 7); return 0; }\n' >"$WS/t.c"
	chown 101000:101000 "$WS/t.c"
	run sb --bind "$WS" /home/build --chdir /home/build \
		--ro-bind /usr /usr --ro-bind /lib /lib --ro-bind /lib64 /lib64 \
		--ro-bind /etc/alternatives /etc/alternatives --tmpfs-size 256M -- \
		/bin/sh -c 'cc -O2 -o t t.c && ./t'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = 42 ]
	[ "$(stat -c %u "$WS/t")" = 101000 ]
}

@test "overlay dir: upper kept with --keep-upper, removed without; work always removed" {
	ov=$BATS_TEST_TMPDIR/ov
	run sb --uid 0 --overlay-dir "$ov" --keep-upper -- /bin/sh -c 'echo kept >/step-file'
	[ "$status" -eq 0 ]
	[ "$(cat "$ov/upper/step-file")" = kept ]
	[ ! -e "$ov/work" ]
	# the kept upper is the next step's starting point
	run sb --uid 0 --overlay-dir "$ov" -- /bin/cat /step-file
	[ "$output" = kept ]
	[ ! -e "$ov/upper" ]
	[ ! -e "$ov/work" ]
	[ ! -e "$ROOTFS/step-file" ]
}

@test "the overlay dir may not be inside a writable bind" {
	run sb --bind "$WS" /home/build --overlay-dir "$WS/ov" -- /bin/true
	[ "$status" -eq 125 ]
	[[ $output == *"overlaps the writable bind"* ]]
}

@test "mount points missing from the layers come from a skeleton layer" {
	mkdir -p "$BATS_TEST_TMPDIR/data"
	echo hello >"$BATS_TEST_TMPDIR/data/f"
	run sb --ro-bind "$BATS_TEST_TMPDIR/data" /opt/new/deep/dir \
		--ro-bind "$BATS_TEST_TMPDIR/data/f" /etc/single-file -- \
		/bin/sh -c 'cat /opt/new/deep/dir/f /etc/single-file'
	[ "$output" = "$(printf 'hello\nhello')" ]
	run sb --ro-root --ro-bind "$BATS_TEST_TMPDIR/data" /opt/new -- /bin/cat /opt/new/f
	[ "$output" = hello ]
}

@test "--ro-root makes the root read-only; /tmp stays writable" {
	run sb --ro-root -- /bin/sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok'
	[[ $output == *"Read-only file system"* ]]
	[[ $output == *tmp-ok* ]]
}

@test "SIGINT to builder-sandbox reaches the step" {
	"$SB" --layer "$ROOTFS" --cgroup-parent "$CGP" -- \
		/bin/sh -c 'trap "echo got-int; exit 3" INT; sleep 5 & wait' >"$BATS_TEST_TMPDIR/o" &
	pid=$!
	sleep 0.5
	kill -INT "$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 3 ]
	grep -q got-int "$BATS_TEST_TMPDIR/o"
}

@test "the rootfs is writable through idmapped layers; the host layer is not touched" {
	run sb -- /bin/sh -c 'mkdir -p /var/tmp/k && echo b >/var/tmp/k/f && cat /var/tmp/k/f; ls -ld /etc'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = b ]
	[[ ${lines[1]} == *" root "*" root "* ]] # host root's files are sandbox root's
	run sb --uid 0 -- /bin/sh -c 'echo changed >>/etc/hosts && tail -1 /etc/hosts'
	[ "$output" = changed ]
	run grep -c changed "$ROOTFS/etc/hosts"
	[ "$output" = 0 ]
	[ ! -e "$ROOTFS/var/tmp/k" ]
}

@test "layers stack lowest first" {
	low=$BATS_TEST_TMPDIR/low high=$BATS_TEST_TMPDIR/high
	mkdir -p "$low/opt" "$high/opt"
	echo low >"$low/opt/a"
	echo low >"$low/opt/b"
	echo high >"$high/opt/b"
	run sb --layer "$low" --layer "$high" -- /bin/cat /opt/a /opt/b
	[ "$output" = "$(printf 'low\nhigh')" ]
}

@test "v1-only cgroup layout: limits, freezer kill on timeout, cleanup (test build)" {
	SBT=$TOP/${BUILD:-build}/tests/bin/builder-sandbox-testing
	[[ -x $SBT ]] || skip "no testing build"
	for c in memory pids cpu freezer; do
		[[ -d /sys/fs/cgroup/$c ]] || skip "no v1 $c hierarchy on this host"
	done
	cg=$BATS_TEST_TMPDIR/cgroot
	mkdir -p "$cg"
	# a private mount namespace: the fake cgroup root never reaches the host
	run unshare -m --propagation private bash -c '
		mount -t tmpfs none "$0" && cd "$0" || exit 99
		for c in memory pids cpu freezer; do
			mkdir $c && mount --bind /sys/fs/cgroup/$c $c || exit 98
		done
		BD_SANDBOX_TEST_CGROUP_ROOT=$0 "$1" --layer "$2" --cgroup-parent "$3" \
			--memory 64M --pids 32 --timeout 1 --result-fd 3 \
			-- /bin/sh -c "sleep 1009 & while :; do :; done" 3>&1 2>/dev/null
		ls -d $0/*$3/sb-* 2>/dev/null | wc -l' "$cg" "$SBT" "$ROOTFS" "$CGP"
	echo "$output"
	[[ ${lines[0]} == *'"timed_out":true'* ]]
	[[ ${lines[0]} == *'"cgroup":"v1"'* ]]
	[ "${lines[1]}" = 0 ]
	[ "$(pgrep -fc 'sleep 1009')" = 0 ]
	rmdir /sys/fs/cgroup/{memory,pids,cpu,freezer}"$CGP" 2>/dev/null || true
}
