# helpers.bash: shared setup for the bats scenarios.
#
# tests/run exports BUILDERD_BIN (built binaries), BUILDERD_TOP and
# BUILDERD_SHARED (the reference folder, may be empty).

BCTL="${BUILDERD_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/builderctl"
TOP="${BUILDERD_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
# run directly (not through tests/run), ../shared is found as tests/run finds it
if [[ -z ${BUILDERD_SHARED:-} && -d $TOP/../shared ]]; then
	BUILDERD_SHARED=$(cd "$TOP/../shared" && pwd)
fi

# need_shared: skip the test when ../shared is absent
need_shared() {
	if [[ -z ${BUILDERD_SHARED:-} || ! -d $BUILDERD_SHARED/vectors ]]; then
		skip "BUILDERD_SHARED is not set and ../shared is absent"
	fi
	VEC=$BUILDERD_SHARED/vectors
}

# make_tree DIR: a small package tree
make_tree() {
	mkdir -p "$1/usr/bin" "$1/etc/hello"
	printf '#!/bin/sh\necho hello\n' >"$1/usr/bin/hello"
	chmod 0755 "$1/usr/bin/hello"
	ln -s hello "$1/usr/bin/hi"
	echo "greeting = hello" >"$1/etc/hello/hello.conf"
}

# ---------------------------------------------------------------- daemon

BUILDERD="${BUILDERD_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/builderd"

# host toolchain paths bound read-only into sandboxes (for C builds)
host_toolchain_args() {
	local p
	[[ -n ${BD_NO_TOOLCHAIN:-} ]] && return 0
	for p in /usr /lib /lib64 /etc/alternatives; do
		[[ -e $p ]] && printf -- '--extra-ro-path\n%s\n' "$p"
	done
}

# start_daemon [builderd options...]: a daemon on a fresh state dir.
# Sets D (its directory), DPID, BUILDERD_SOCKET.
start_daemon() {
	D=${D:-$(mktemp -d /tmp/bd-e2e.XXXXXX)}
	export BUILDERD_SOCKET=$D/sock
	mapfile -t tc < <(host_toolchain_args)
	"$BUILDERD" --state-dir "$D/state" --socket "$BUILDERD_SOCKET" --foreground \
		--log-level debug "${tc[@]}" "$@" >>"$D/daemon.log" 2>&1 &
	DPID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		if curl -sf --unix-socket "$BUILDERD_SOCKET" http://x/v1/health >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$DPID" 2>/dev/null; then
			echo "builderd exited early:" >&2
			cat "$D/daemon.log" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "builderd did not come up" >&2
	cat "$D/daemon.log" >&2
	return 1
}

# stop_daemon: SIGTERM and wait (graceful stop)
stop_daemon() {
	if [[ -n ${DPID:-} ]] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		local i
		for ((i = 0; i < 600; i++)); do
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	DPID=
}

# cleanup_daemon: stop and remove everything
cleanup_daemon() {
	stop_daemon
	if [[ -n ${D:-} && -d $D ]]; then
		rm -rf "$D"
	fi
	D=
}

# api METHOD PATH [curl args]: raw API call, prints "STATUS BODY"
api() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$D/api.out" -w '%{http_code}' -X "$m" --unix-socket "$BUILDERD_SOCKET" \
		"http://builderd$p" "$@"
	printf ' '
	cat "$D/api.out"
}

# job_field ID FIELD: one field of a job (python3 for the JSON)
job_field() {
	"$BCTL" status --json "$1" | python3 -c "import json,sys; v=json.load(sys.stdin)$2; print('' if v is None else v)"
}

# wait_state ID STATE [seconds]: poll until the job reaches STATE
wait_state() {
	local id=$1 want=$2 t=${3:-60} i s
	for ((i = 0; i < t * 10; i++)); do
		s=$(job_field "$id" '["state"]')
		[[ $s == "$want" ]] && return 0
		sleep 0.1
	done
	echo "job $id is $s, not $want after ${t}s" >&2
	"$BCTL" status "$id" >&2
	return 1
}

# wait_step ID N: wait until a running job reaches step N
wait_step() {
	local id=$1 n=$2 i s
	for ((i = 0; i < 600; i++)); do
		s=$("$BCTL" status --json "$id" | python3 -c 'import json,sys; j=json.load(sys.stdin); print((j["step"] or {}).get("index", 0) if j["state"]=="running" else -1)')
		[[ $s -ge $n ]] && return 0
		sleep 0.1
	done
	return 1
}

# recipe NAME [SCRIPT]: write $D/NAME.yaml, a one-step recipe
recipe() {
	local name=$1 script=${2:-"echo building $1"}
	cat >"$D/$name.yaml" <<EOR
package:
  name: $name
  version: 1.0.0
  epoch: 0
  description: e2e test package $name
  copyright:
    - license: MIT
pipeline:
  - name: build
    runs: |
$(printf '%s\n' "$script" | sed 's/^/      /')
      mkdir -p \${{targets.destdir}}/usr/share/$name
      echo $name > \${{targets.destdir}}/usr/share/$name/marker
EOR
	echo "$D/$name.yaml"
}
