#!/usr/bin/env bats
# End-to-end scenarios for builderd + builderctl: real builds in the
# sandbox, publishing, failures, cancel, priorities, dedup, crash recovery,
# concurrency, authorisation, hostile requests, lossless log following.
# Needs root (the daemon creates user namespaces and cgroups).

load helpers

setup() {
	if [[ $(id -u) -ne 0 ]]; then
		skip "builderd needs root"
	fi
	D=$(mktemp -d /tmp/bd-e2e.XXXXXX)
}

teardown() {
	[[ -z ${ESCDIR:-} ]] || rm -rf "$ESCDIR"
	if [[ -n ${HTTPPID:-} ]]; then
		kill "$HTTPPID" 2>/dev/null || true
		wait "$HTTPPID" 2>/dev/null || true
	fi
	cleanup_daemon
}

# publish_hooks_variant NAME LINE: the bootstrap test's hooks recipe as
# package NAME, the `rm /etc/remove-me` of its .post-install replaced by LINE
# (no '|' or '&' in it), built and published
publish_hooks_variant() {
	sed -e "s/name: hooks/name: $1/" -e "s|rm /etc/remove-me|$2|" "$D/hooks.yaml" >"$D/$1.yaml"
	grep -qF -- "$2" "$D/$1.yaml"
	run "$BCTL" submit --wait "$D/$1.yaml"
	[ "$status" -eq 0 ]
}

# env_fails_with PKG VERSION MESSAGE: the bootstrap test's onlypkgs recipe
# at VERSION with PKG instead of hooks in its environment fails, its error
# containing MESSAGE
env_fails_with() {
	sed -e "s/      - hooks/      - $1/" -e "s/version: 1.0.0/version: $2/" \
		"$D/onlypkgs.yaml" >"$D/$1-env.yaml"
	run "$BCTL" submit --wait "$D/$1-env.yaml"
	[ "$status" -eq 1 ]
	[[ $(job_field "${lines[0]}" '["error"]') == *"$3"* ]]
}

# serve_http DIR: a loopback HTTP server for DIR; sets HTTPURL
serve_http() {
	local port
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$1" "$port" >"$D/http.log" 2>&1 &
	HTTPPID=$!
	HTTPURL=http://127.0.0.1:$port
	for _ in $(seq 100); do
		curl -sf -o /dev/null "$HTTPURL/" && return 0
		sleep 0.05
	done
	return 1
}

daemon_pubkey_dir() {
	mkdir -p "$D/trusted"
	cp "$D"/state/keys/*.rsa.pub "$D/trusted/"
	echo "$D/trusted"
}

@test "submit -> succeeded: packages and index verify with the daemon's key; subpackages published" {
	start_daemon --workers 1
	run "$BCTL" submit --wait "$TOP/recipes/hello-shell.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	id=${lines[0]}
	[ "$(job_field "$id" '["state"]')" = succeeded ]
	keys=$(daemon_pubkey_dir)
	repo=$D/state/repo/$(uname -m)
	[ -f "$repo/hello-shell-1.2.0-r0.apk" ]
	[ -f "$repo/hello-shell-doc-1.2.0-r0.apk" ]
	run "$BCTL" verify --keys-dir "$keys" "$repo/APKINDEX.tar.gz" "$repo/hello-shell-1.2.0-r0.apk" \
		"$repo/hello-shell-doc-1.2.0-r0.apk"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == *"OK (index, 2 packages"* ]]
	run "$BCTL" inspect "$repo/hello-shell-1.2.0-r0.apk"
	[[ $output == *"usr/bin/hello"* ]]
	[[ $output != *"usr/share/doc"* ]]
	[[ $output == *"depend       busybox"* ]]
	run "$BCTL" inspect "$repo/hello-shell-doc-1.2.0-r0.apk"
	[[ $output == *"usr/share/doc/hello-shell/README"* ]]
	run "$BCTL" repo
	[ "${#lines[@]}" -eq 2 ]
	# the log has a start marker and a result for every step
	run "$BCTL" logs "$id"
	[[ $output == *"==> [1/5] generate the program"* ]]
	[[ $output == *"<== [1/5] generate the program: ok"* ]]
	[[ $output == *"<== publish: ok"* ]]
	# index entries carry what the packages say (C: equals the package identity)
	c_pkg=$("$BCTL" inspect --json "$repo/hello-shell-1.2.0-r0.apk" | python3 -c 'import json,sys; print(json.load(sys.stdin)["identity"])')
	"$BCTL" inspect --json "$repo/APKINDEX.tar.gz" | grep -q "\"checksum\": \"$c_pkg\""
}

@test "a C program from a file:// tarball with its sha256, built with the host toolchain" {
	"$TOP/scripts/make-hello-c-tarball" /var/tmp/builderd-examples >/dev/null
	start_daemon --workers 1
	run "$BCTL" submit --wait "$TOP/recipes/hello-c.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	repo=$D/state/repo/$(uname -m)
	mkdir "$D/x"
	tar -xzf "$repo/hello-c-1.0-r0.apk" -C "$D/x" 2>/dev/null
	[ "$("$D/x/usr/bin/hello")" = "hello from C, built by builderd" ]
	# the SBOM: SPDX 2.3, the package, the recipe, the verified source, the base layer
	python3 - "$D/x/var/lib/db/sbom/hello-c-1.0-r0.spdx.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["spdxVersion"] == "SPDX-2.3" and d["dataLicense"] == "CC0-1.0", d
assert d["SPDXID"] == "SPDXRef-DOCUMENT" and d["name"] == "apk-hello-c-1.0-r0"
for k in ("documentNamespace", "creationInfo", "packages", "relationships", "documentDescribes"):
    assert k in d, k
assert d["creationInfo"]["created"].endswith("Z")
pk = {p["SPDXID"]: p for p in d["packages"]}
main = pk["SPDXRef-Package-hello-c"]
assert main["versionInfo"] == "1.0-r0" and main["licenseDeclared"] == "MIT"
assert main["externalRefs"][0]["referenceLocator"].startswith("pkg:apk/builderd/hello-c@1.0-r0?arch=")
for p in d["packages"]:
    for k in ("SPDXID", "name", "downloadLocation", "filesAnalyzed"):
        assert k in p, (k, p)
src = [p for p in d["packages"] if p.get("primaryPackagePurpose") == "SOURCE"]
assert len(src) == 1, src
assert src[0]["downloadLocation"] == "file:///var/tmp/builderd-examples/hello-c-1.0.tar.gz"
assert {"algorithm": "SHA256", "checksumValue": "8fe5c46e71dcf5352e452ca7609fb246161d8c5c51a020f7c23fdad77580bc7c"} in src[0]["checksums"]
rel = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"]) for r in d["relationships"]}
assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Package-hello-c") in rel
assert ("SPDXRef-Package-hello-c", "DESCRIBED_BY", "SPDXRef-Recipe") in rel
assert ("SPDXRef-Package-hello-c", "GENERATED_FROM", src[0]["SPDXID"]) in rel
assert any(t == "BUILD_DEPENDENCY_OF" for _, t, _ in rel)
ids = {p["SPDXID"] for p in d["packages"]} | {"SPDXRef-DOCUMENT"}
assert all(a in ids and b in ids for a, _, b in rel), "dangling relationship"
PY
	# and against the SPDX 2.3 schema (tests/data/spdx) with Debian's jsonschema
	/usr/bin/python3 "$TOP/tests/e2e/spdx_validate.py" "$D/x/var/lib/db/sbom/hello-c-1.0-r0.spdx.json"
	# automatic dependencies and provides from the ELF binary built in the sandbox
	run "$BCTL" inspect "$repo/hello-c-1.0-r0.apk"
	[[ $output == *"depend       so:libc.so.6"* ]]
	[[ $output == *"provides     cmd:hello=1.0-r0"* ]]
	"$BCTL" inspect --json "$repo/APKINDEX.tar.gz" | grep -q '"so:libc.so.6"\|"so:ld-linux-x86-64.so.2"' 
	# a wrong checksum stops the build before anything runs
	sed 's/expected-sha256: 8fe5/expected-sha256: 0fe5/' "$TOP/recipes/hello-c.yaml" >"$D/bad.yaml"
	run "$BCTL" submit --wait "$D/bad.yaml"
	[ "$status" -eq 1 ]
	id=${lines[0]}
	run "$BCTL" status "$id"
	[[ $output == *"sha256 mismatch"* ]]
	[[ $output == *"failed at  fetch hello-c-1.0.tar.gz"* ]]
}

@test "side files travel with the recipe and land in the workspace" {
	start_daemon --workers 1
	mkdir -p "$D/withfiles/sub"
	echo "patched content" >"$D/withfiles/fix.patch"
	echo "nested" >"$D/withfiles/sub/extra.conf"
	cat >"$D/withfiles.yaml" <<'EOR'
package:
  name: withfiles
  version: 1.0.0
  epoch: 0
  description: uses its side files
  copyright:
    - license: MIT
pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/share/withfiles
      cat fix.patch sub/extra.conf > ${{targets.destdir}}/usr/share/withfiles/both
EOR
	run "$BCTL" submit --wait "$D/withfiles.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	mkdir "$D/x"
	tar -xzf "$D/state/repo/$(uname -m)/withfiles-1.0.0-r0.apk" -C "$D/x" 2>/dev/null
	[ "$(cat "$D/x/usr/share/withfiles/both")" = "patched content
nested" ]
	# --source-dir overrides the default directory
	mkdir "$D/other"
	echo "other patch" >"$D/other/fix.patch"
	echo "other nested" >"$D/other/extra.conf"
	mkdir "$D/other/sub" && mv "$D/other/extra.conf" "$D/other/sub/"
	sed 's/version: 1.0.0/version: 1.0.1/' "$D/withfiles.yaml" >"$D/withfiles2.yaml"
	run "$BCTL" submit --wait --source-dir "$D/other" "$D/withfiles2.yaml"
	[ "$status" -eq 0 ]
}

@test "a failing recipe fails, naming the step in the status and the log" {
	start_daemon --workers 1
	run "$BCTL" submit --wait "$TOP/recipes/failing.yaml"
	[ "$status" -eq 1 ]
	id=${lines[0]}
	[ "$(job_field "$id" '["state"]')" = failed ]
	[ "$(job_field "$id" '["failed_step"]')" = compile ]
	[[ $(job_field "$id" '["error"]') == *"step 2/4 (compile): exit status 3"* ]]
	run "$BCTL" logs "$id"
	[[ $output == *"this step fails"* ]]
	[[ $output == *"<== [2/4] compile: failed"* ]]
	[[ $output != *"not printed"* ]]
	# nothing was published
	[ ! -e "$D/state/repo/$(uname -m)/failing-example-0.1.0-r0.apk" ]
	# retry queues a new job that fails the same way
	run "$BCTL" retry "$id"
	[ "$status" -eq 0 ]
	nid=${lines[0]}
	[ "$nid" -ne "$id" ]
	wait_state "$nid" failed
	[ "$(job_field "$nid" '["retry_of"]')" = "$id" ]
}

@test "cancel of a running job leaves no process and no workspace" {
	start_daemon --workers 1
	r=$(recipe sleeper "echo started; sleep 300")
	id=$("$BCTL" submit "$r")
	wait_step "$id" 1
	sleep 0.5
	pgrep -f "sleep 300" >/dev/null
	[ -d "$D/state/work/$id" ]
	run "$BCTL" cancel "$id"
	[ "$status" -eq 0 ]
	wait_state "$id" cancelled 30
	# the whole tree is gone: no sleep, no runner, no sandbox, no workspace
	! pgrep -f "sleep 300"
	! pgrep -f "run-job $D/state/work/$id"
	[ ! -e "$D/state/work/$id" ]
	# nor its cgroups, in any hierarchy
	! ls -d /sys/fs/cgroup/*/builderd/job-"$id" /sys/fs/cgroup/builderd/job-"$id" 2>/dev/null
	# and a finished job cannot be cancelled again
	run "$BCTL" cancel "$id"
	[ "$status" -eq 1 ]
	[[ $output == *"already cancelled"* ]]
}

@test "higher priority runs first" {
	start_daemon --workers 0
	a=$("$BCTL" submit --priority 0 "$(recipe low "sleep 1")")
	b=$("$BCTL" submit --priority 10 "$(recipe high "sleep 1")")
	c=$("$BCTL" submit --priority 5 "$(recipe mid "sleep 1")")
	stop_daemon
	start_daemon --workers 1
	run "$BCTL" wait "$a" "$b" "$c"
	[ "$status" -eq 0 ]
	sa=$(job_field "$a" '["started_at"]')
	sb=$(job_field "$b" '["started_at"]')
	sc=$(job_field "$c" '["started_at"]')
	[ "$sb" -lt "$sc" ]
	[ "$sc" -lt "$sa" ]
}

@test "identical submissions attach to the queued job" {
	start_daemon --workers 0
	r=$(recipe twin)
	a=$("$BCTL" submit "$r")
	run "$BCTL" submit --json "$r"
	[ "$status" -eq 0 ]
	[[ $output == *"\"attached\": true"* ]]
	[[ $output == *"\"id\": $a,"* ]]
	# another arch is another build
	b=$("$BCTL" submit --arch aarch64 "$r")
	[ "$b" -ne "$a" ]
	# and a different recipe too
	c=$("$BCTL" submit "$(recipe twin2)")
	[ "$c" -ne "$a" ]
	[ "$(job_field "$a" '["events"][1]["state"]')" = attached ]
}

@test "kill -9 of builderd during a build: after restart the job completes exactly once" {
	start_daemon --workers 1
	r=$(recipe survivor "sleep 3")
	id=$("$BCTL" submit "$r")
	wait_step "$id" 1
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	DPID=
	# the runner and its sandbox die with the daemon
	sleep 1
	! pgrep -f "run-job $D/state/work/$id"
	# an environment layer a dead runner was building, and its overlay dir
	mkdir -p "$D/state/cache/layers/apk-0123.tmp.AbCdEf/usr" \
		"$D/state/cache/layers/apk-0123.tmp.AbCdEf.ovl.GhIjKl/upper"
	start_daemon --workers 1
	[ -z "$(ls -d "$D"/state/cache/layers/apk-0123.tmp.* 2>/dev/null)" ]
	[ -d "$D/state/cache/layers/busybox" ]
	wait_state "$id" succeeded 60
	[ "$(job_field "$id" '["attempts"]')" -eq 2 ]
	run "$BCTL" status "$id"
	[[ $output == *"builderd restarted while the job was running; requeued"* ]]
	repo=$D/state/repo/$(uname -m)
	[ "$(ls "$repo"/*.apk | wc -l)" -eq 1 ]
	keys=$(daemon_pubkey_dir)
	run "$BCTL" verify --keys-dir "$keys" "$repo/APKINDEX.tar.gz" "$repo"/*.apk
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == *"OK (index, 1 packages"* ]]
}

@test "50 concurrent submissions from 5 clients: all accepted, all finish, ids unique" {
	start_daemon --workers 2
	pids=()
	for c in 1 2 3 4 5; do
		(
			for i in $(seq 1 10); do
				"$BCTL" submit "$(recipe "conc-$c-$i")" >>"$D/ids.$c" || echo FAIL >>"$D/ids.$c"
			done
		) &
		pids+=($!)
	done
	# only the clients: the daemon is a background job of this shell too
	wait "${pids[@]}"
	cat "$D"/ids.* >"$D/ids"
	! grep -q FAIL "$D/ids"
	[ "$(wc -l <"$D/ids")" -eq 50 ]
	[ "$(sort -u "$D/ids" | wc -l)" -eq 50 ]
	run "$BCTL" wait $(cat "$D/ids")
	echo "$output" | grep -v succeeded || true
	[ "$status" -eq 0 ]
	[ "$(ls "$D/state/repo/$(uname -m)"/*.apk | wc -l)" -eq 50 ]
	keys=$(daemon_pubkey_dir)
	run "$BCTL" verify --keys-dir "$keys" "$D/state/repo/$(uname -m)/APKINDEX.tar.gz"
	[[ $output == *"OK (index, 50 packages"* ]]
}

@test "a uid outside the allowed group is refused; a member may submit" {
	getent group builderd-e2e >/dev/null || groupadd -r builderd-e2e
	gid=$(getent group builderd-e2e | cut -d: -f3)
	printf 'socket_mode = 0666\n' >"$D/open.conf"
	start_daemon --workers 0 --socket-group builderd-e2e --config "$D/open.conf"
	r=$(recipe guarded)
	chmod 755 "$D"
	chmod 644 "$r"
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$BCTL" submit "$r"
	[ "$status" -eq 1 ]
	[[ $output == *"uid 65534 may not submit jobs"* ]]
	[[ $output == *"HTTP 403"* ]]
	run setpriv --reuid=65534 --regid=65534 --groups="$gid" "$BCTL" submit "$r"
	[ "$status" -eq 0 ]
	id=${lines[0]}
	[ "$(job_field "$id" '["submitter_uid"]')" -eq 65534 ]
	# only the submitter or root may cancel
	run setpriv --reuid=65533 --regid=65533 --groups="$gid" "$BCTL" cancel "$id"
	[ "$status" -eq 1 ]
	[[ $output == *"belongs to uid 65534"* ]]
	run setpriv --reuid=65534 --regid=65534 --groups="$gid" "$BCTL" cancel "$id"
	[ "$status" -eq 0 ]
	stop_daemon
	# with the default 0660 socket, outsiders cannot even connect
	start_daemon --workers 0 --socket-group builderd-e2e
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$BCTL" list
	[ "$status" -eq 3 ]
	[[ $output == *"permission denied"* ]]
	[ "$(stat -c %a "$BUILDERD_SOCKET")" = 660 ]
	[ "$(stat -c %G "$BUILDERD_SOCKET")" = builderd-e2e ]
}

@test "malformed requests get 4xx JSON errors and the daemon stays up" {
	printf 'max_body = 64K\n' >"$D/small.conf"
	start_daemon --workers 0 --config "$D/small.conf"
	run api POST /v1/jobs -H 'Content-Type: application/json' --data '{not json'
	[[ $output == "400 "*'"code":"bad_request"'*"invalid JSON"* ]]
	run api POST /v1/jobs -H 'Content-Type: text/plain' --data '{}'
	[[ $output == "415 "* ]]
	run api POST /v1/jobs -H 'Content-Type: application/json' --data '{"recipe":"x","bogus":1}'
	[[ $output == "400 "*"unknown field 'bogus'"* ]]
	run api POST /v1/jobs -H 'Content-Type: application/json' --data '{"recipe":"package: [\n"}'
	[[ $output == "400 "*"recipe.yaml:"* ]]
	run api POST /v1/jobs -H 'Content-Type: application/json' \
		--data '{"recipe":"x","files":[{"path":"../../etc/passwd","content":""}]}'
	[[ $output == "400 "*"not a safe relative path"* ]]
	head -c 100000 /dev/zero | tr '\0' 'a' >"$D/big"
	run api POST /v1/jobs -H 'Content-Type: application/json' --data-binary @"$D/big"
	[[ $output == "413 "* ]]
	run api GET /v1/nowhere
	[[ $output == "404 "*'"not_found"'* ]]
	run api GET /v1/jobs/abc
	[[ $output == "404 "* ]]
	run api GET /v1/jobs/999
	[[ $output == "404 "*"job 999 does not exist"* ]]
	run api PUT /v1/jobs
	[[ $output == 4* ]]
	run api GET '/v1/jobs?limit=0'
	[[ $output == "400 "* ]]
	run api GET '/v1/jobs?state=bogus'
	[[ $output == "400 "* ]]
	# raw garbage on the socket
	printf 'GARBAGE\r\n\r\n' | timeout 5 nc -U "$BUILDERD_SOCKET" >"$D/raw" || true
	grep -q "400" "$D/raw"
	# still healthy, and a good submission still works
	run api GET /v1/health
	[[ $output == "200 "*'"status":"ok"'* ]]
	run "$BCTL" submit "$(recipe still-fine)"
	[ "$status" -eq 0 ]
}

@test "logs -f of a running job yields exactly the bytes of the final log file" {
	start_daemon --workers 1
	r=$(recipe chatty 'for i in $(seq 1 3000); do echo "line $i of chatty output, padded to be a little longer"; done
sleep 1
for i in $(seq 1 3000); do echo "second burst $i"; done >&2')
	id=$("$BCTL" submit "$r")
	# a slow reader: the daemon must neither drop nor duplicate
	"$BCTL" logs -f "$id" | (sleep 2; cat) >"$D/followed"
	wait_state "$id" succeeded
	cmp "$D/followed" "$D/state/logs/$id.log"
	# from an offset, too
	"$BCTL" logs -f --from-offset 1000 "$id" >"$D/tail"
	tail -c +1001 "$D/state/logs/$id.log" | cmp - "$D/tail"
	grep -q "second burst 3000" "$D/followed"
}

@test "SIGTERM lets running jobs finish within the grace period, else requeues them" {
	printf 'grace_period = 1\n' >"$D/grace.conf"
	start_daemon --workers 1 --config "$D/grace.conf"
	id=$("$BCTL" submit "$(recipe slowpoke "sleep 30")")
	wait_step "$id" 1
	stop_daemon
	start_daemon --workers 0
	[ "$(job_field "$id" '["state"]')" = queued ]
	# the interrupted attempt was not counted
	[ "$(job_field "$id" '["attempts"]')" -eq 0 ]
	run "$BCTL" status "$id"
	[[ $output == *"builderd stopping; requeued (attempt not counted)"* ]]
}

@test "metrics count jobs and published bytes" {
	start_daemon --workers 1
	"$BCTL" submit --wait "$(recipe metered)" >/dev/null
	run curl -s --unix-socket "$BUILDERD_SOCKET" http://x/metrics
	[[ $output == *'builderd_builds_total{result="succeeded"} 1'* ]]
	[[ $output == *'builderd_jobs{state="succeeded"} 1'* ]]
	[[ $output == *"builderd_published_packages_total 1"* ]]
	[[ $output == *'builderd_job_run_seconds_count 1'* ]]
	! [[ $output == *"builderd_published_bytes_total 0"$'\n'* ]]
}

@test "builderctl reports an unreachable daemon with status 3" {
	run "$BCTL" list --socket "$D/nothing.sock"
	[ "$status" -eq 3 ]
	[[ $output == *"$D/nothing.sock does not exist"* ]]
}

@test "the same recipe built on two daemons with the same key is byte-identical" {
	start_daemon --workers 1
	first_d=$D
	id=$("$BCTL" submit --wait --source-date-epoch 1700000000 "$TOP/recipes/hello-shell.yaml")
	key=$(ls "$D"/state/keys/*.rsa)
	stop_daemon
	D=$(mktemp -d /tmp/bd-e2e.XXXXXX)
	second_d=$D
	start_daemon --workers 1 --key "$key"
	"$BCTL" submit --wait --source-date-epoch 1700000000 "$TOP/recipes/hello-shell.yaml" >/dev/null
	[ "$(job_field 1 '["source_date_epoch"]')" -eq 1700000000 ]
	for f in hello-shell-1.2.0-r0.apk hello-shell-doc-1.2.0-r0.apk; do
		cmp "$first_d/state/repo/$(uname -m)/$f" "$second_d/state/repo/$(uname -m)/$f"
	done
	rm -rf "$first_d"
	[ -n "$id" ]
}

@test "rebuild-check: a reproducible build is identical, a non-reproducible one is caught" {
	start_daemon --workers 1
	id=$("$BCTL" submit --wait "$TOP/recipes/hello-shell.yaml")
	run "$BCTL" rebuild-check "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"job $id is reproducible"* ]]
	# a build that embeds something random cannot be reproduced
	r=$(recipe clocky 'cat /proc/sys/kernel/random/uuid > stamp')
	sed -i 's|      echo clocky > |      cat stamp > |' "$r"
	cid=$("$BCTL" submit --wait "$r")
	run "$BCTL" rebuild-check "$cid"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"not reproducible: clocky-1.0.0-r0.apk differs from job $cid"* ]]
	# nothing was published by the checks
	[ "$(ls "$D/state/repo/$(uname -m)"/*.apk | wc -l)" -eq 3 ]
	run "$BCTL" rebuild-check 999
	[ "$status" -eq 1 ]
}

@test "bootstrap: a busybox package from the base rootfs, then a build in a rootfs made only of packages" {
	need_shared
	# no host paths in the sandbox: the rootfs is the packages alone
	BD_NO_TOOLCHAIN=1 start_daemon --workers 1
	cat >"$D/busybox.yaml" <<'EOR'
package:
  name: busybox
  version: 1.36.0
  epoch: 0
  description: busybox from the base rootfs; its applet links come from .post-install
  copyright:
    - license: GPL-2.0-only
  scriptlets:
    post-install: |
      #!/bin/busybox sh
      /bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
      /bin/busybox --install -s
pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/bin
      cp /bin/busybox ${{targets.destdir}}/bin/busybox
      chmod 755 ${{targets.destdir}}/bin/busybox
EOR
	run "$BCTL" submit --wait "$D/busybox.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	# install scripts and a trigger, as apk runs them
	cat >"$D/hooks.yaml" <<'EOR'
package:
  name: hooks
  version: 1.0.0
  epoch: 0
  description: install scripts and a trigger
  copyright:
    - license: MIT
  dependencies:
    runtime:
      - busybox
  scriptlets:
    pre-install: |
      #!/bin/sh
      mkdir -p /etc
      echo "pre $1 $(test -e /usr/share/hooks/a/x && echo late || echo early)" >>/etc/hooks.log
    post-install: |
      #!/bin/sh
      echo "post $1 $(cat /usr/share/hooks/a/x)" >>/etc/hooks.log
      rm /etc/remove-me
      # what apk's root does in scripts: accounts and files owned by them
      [ -e /etc/passwd ] || echo 'root:x:0:0:root:/root:/bin/sh' >/etc/passwd
      [ -e /etc/group ] || echo 'root:x:0:' >/etc/group
      # (Debian's busybox-static has no adduser or install applets)
      echo 'svc:x:321:321:svc:/var/lib/svc:/bin/false' >>/etc/passwd
      echo 'svc:x:321:' >>/etc/group
      mkdir -p /var/lib/svc && chown svc:svc /var/lib/svc && chmod 750 /var/lib/svc
    trigger:
      paths:
        - /usr/share/hooks/*
      script: |
        #!/bin/sh
        echo "trigger $*" >>/etc/hooks.log
pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/share/hooks/a ${{targets.destdir}}/usr/share/hooks/b
      mkdir -p ${{targets.destdir}}/etc
      echo hello >${{targets.destdir}}/usr/share/hooks/a/x
      echo bye >${{targets.destdir}}/etc/remove-me
EOR
	run "$BCTL" submit --wait "$D/hooks.yaml"
	[ "$status" -eq 0 ]
	publish_hooks_variant badscript 'exit 3'
	publish_hooks_variant fifoscript 'mkfifo /etc/fifo'
	publish_hooks_variant deepscript \
		'mkdir -p /deep; cd /deep; i=0; while [ $i -lt 1100 ]; do mkdir d; cd d; i=$((i + 1)); done'
	key=$(ls "$D"/state/keys/*.rsa.pub)
	# builderd's repository as a file:// URL, the melange-built one and its
	# key over HTTP (the runner's libcurl fetcher)
	serve_http "$BUILDERD_SHARED/vectors/melange-repo"
	cat >"$D/onlypkgs.yaml" <<EOR
package:
  name: onlypkgs
  version: 1.0.0
  epoch: 0
  description: built in a rootfs made of packages only
  copyright:
    - license: MIT
environment:
  contents:
    repositories:
      - file://$D/state/repo
      - $HTTPURL
    keyring:
      - $key
      - $HTTPURL/keys/melange.rsa.pub
    packages:
      - busybox
      - replayout
      - hooks
pipeline:
  - runs: |
      # no base rootfs (its build user is absent); the packages are there
      ! grep -q '^build:' /etc/passwd
      grep -q '^svc:x:321:321:' /etc/passwd
      grep -q '^P:busybox$' /lib/apk/db/installed
      grep -q '^P:replayout$' /lib/apk/db/installed
      grep -q '^P:pretend-baselayout$' /lib/apk/db/installed
      grep -q '^R:busybox$' /lib/apk/db/installed
      # busybox's .post-install made the applet links
      test -L /bin/ls && test -L /usr/bin/env && test -L /bin/sh
      # hooks: pre-install before its files, post-install after, then the trigger
      cat /etc/hooks.log
      test "\$(cat /etc/hooks.log)" = "pre 1.0.0-r0 early
      post 1.0.0-r0 hello
      trigger /usr/share/hooks/a /usr/share/hooks/b"
      test ! -e /etc/remove-me
      grep -q ' /usr/share/hooks/\*$' /lib/apk/db/triggers
      tar -tf /lib/apk/db/scripts.tar | grep -q '^hooks-1.0.0-r0\.Q1.*\.trigger$'
      test "\$(stat -c %a /lib/apk/exec)" = 700
      tar -tf /lib/apk/db/scripts.tar | grep -q '^busybox-1.36.0-r0\.Q1.*\.post-install$'
      cat /etc/apk/world
      mkdir -p \${{targets.destdir}}/usr/share/onlypkgs
      cp /etc/os-release \${{targets.destdir}}/usr/share/onlypkgs/os-release
EOR
	run "$BCTL" submit --follow "$D/onlypkgs.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"environment: 4 packages, layer apk-"*"(built"* ]]
	# the script's chown landed in the layer as the id inside, not the host's
	layer=$(ls -d "$D"/state/cache/layers/apk-*/var/lib/svc)
	[ "$(stat -c %u:%g:%a "$layer")" = 321:321:750 ]
	# the scripts are gone from lib/apk/exec/, kept in scripts.tar
	[ -z "$(ls -A "${layer%/var/lib/svc}/lib/apk/exec")" ]
	grep -q '"GET /x86_64/APKINDEX.tar.gz HTTP' "$D/http.log"
	grep -q '"GET /x86_64/replayout-1.0.0-r0.apk HTTP' "$D/http.log"
	grep -q '"GET /keys/melange.rsa.pub HTTP' "$D/http.log"
	# the resolved set is recorded on the job
	id=${lines[0]}
	run "$BCTL" status "$id"
	[[ $output == *"env        busybox 1.36.0-r0 Q1"* ]]
	[[ $output == *"env        replayout 1.0.0-r0 Q11/HhSewwwOXgl0r0ffb0O0BRtYc="* ]]
	# the same environment again is ready from the cache
	sed 's/version: 1.0.0/version: 1.0.1/' "$D/onlypkgs.yaml" >"$D/onlypkgs2.yaml"
	run "$BCTL" submit --follow "$D/onlypkgs2.yaml"
	[ "$status" -eq 0 ]
	[[ $output == *"environment: 4 packages, layer apk-"*"(cached"* ]]
	# the SBOM lists the environment's packages
	mkdir "$D/x"
	tar -xzf "$D/state/repo/$(uname -m)/onlypkgs-1.0.0-r0.apk" -C "$D/x" 2>/dev/null
	grep -q '"name": "replayout"' "$D/x/var/lib/db/sbom/onlypkgs-1.0.0-r0.spdx.json"
	grep -q '"name": "busybox"' "$D/x/var/lib/db/sbom/onlypkgs-1.0.0-r0.spdx.json"
	/usr/bin/python3 "$TOP/tests/e2e/spdx_validate.py" "$D/x/var/lib/db/sbom/onlypkgs-1.0.0-r0.spdx.json"
	# an index signed by a key outside the keyring is an error, not a warning
	sed "s|      - $key||" "$D/onlypkgs.yaml" | sed 's/version: 1.0.0/version: 1.0.2/' >"$D/untrusted.yaml"
	run "$BCTL" submit --wait "$D/untrusted.yaml"
	[ "$status" -eq 1 ]
	id=${lines[0]}
	[[ $(job_field "$id" '["error"]') == *"environment"* ]]
	# a package's absolute symlink (etc/apk -> /tmp/...) resolves inside the
	# layer when builderd writes etc/apk/world and keys, never on the host
	esc=/tmp/bd-e2e-escape.$$.$RANDOM
	cat >"$D/evil.yaml" <<EOR
package:
  name: evil
  version: 1.0.0
  epoch: 0
  description: ships etc/apk as a symlink to a host path
  copyright:
    - license: MIT
pipeline:
  - runs: |
      mkdir -p \${{targets.destdir}}/etc \${{targets.destdir}}$esc
      ln -s $esc \${{targets.destdir}}/etc/apk
EOR
	# the host directory exists: a write that followed the link would land there
	mkdir "$esc"
	ESCDIR=$esc
	run "$BCTL" submit --wait "$D/evil.yaml"
	[ "$status" -eq 0 ]
	sed -e 's/      - hooks/      - evil/' -e 's/version: 1.0.0/version: 1.0.4/' \
		-e '/^  - runs: |/,$d' "$D/onlypkgs.yaml" >"$D/evilenv.yaml"
	cat >>"$D/evilenv.yaml" <<EOR
  - runs: |
      test "\$(readlink /etc/apk)" = $esc
      mkdir -p \${{targets.destdir}}/usr/share/evilenv
EOR
	run "$BCTL" submit --wait "$D/evilenv.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$(ls -A "$esc")" ]
	ls "$D"/state/cache/layers/apk-*"$esc"/world "$D"/state/cache/layers/apk-*"$esc"/keys/*.rsa.pub
	# a failing install script fails the environment, naming package and script
	env_fails_with badscript 1.0.3 "badscript-1.0.0-r0.post-install exited with status 3"
	# what a script leaves is held to extraction's rules: no FIFOs
	env_fails_with fifoscript 1.0.5 "fifoscript-1.0.0-r0.post-install: /etc/fifo: the script made a FIFO"
	# and bounded: a tree deeper than 1,024 levels is refused, not recursed into
	env_fails_with deepscript 1.0.6 \
		"deepscript-1.0.0-r0.post-install: the script left a tree deeper than 1024 levels: /deep/d/d/"
	# nothing half-built is left in the layer cache
	[ -z "$(ls -d "$D"/state/cache/layers/*.tmp.* 2>/dev/null)" ]
}

@test "recipe tests run in a fresh guest before publication; a failing test fails the job" {
	start_daemon --workers 1
	cat >"$D/tested.yaml" <<'EOR'
package:
  name: tested
  version: 1.0.0
  epoch: 0
  description: a package with a test
  copyright:
    - license: MIT
pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/bin
      printf '#!/bin/sh\necho tested-ok\n' > ${{targets.destdir}}/usr/bin/tested
      chmod 755 ${{targets.destdir}}/usr/bin/tested
test:
  pipeline:
    - name: runs the installed program
      runs: |
        # a fresh guest: the package is installed, the build workspace is not
        test ! -e /home/build/melange-out
        [ "$(tested)" = tested-ok ]
EOR
	run "$BCTL" submit --follow "$D/tested.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"==> [3/3] test tested: runs the installed program"* ]]
	[[ $output == *"<== [3/3] test tested: runs the installed program: ok"* ]]
	# a failing test: nothing is published, the failing test step is named
	sed -e 's/version: 1.0.0/version: 1.0.1/' -e 's/= tested-ok ]/= something-else ]/' \
		"$D/tested.yaml" >"$D/broken.yaml"
	run "$BCTL" submit --wait "$D/broken.yaml"
	[ "$status" -eq 1 ]
	id=${lines[0]}
	[ "$(job_field "$id" '["failed_step"]')" = "test tested: runs the installed program" ]
	[ ! -e "$D/state/repo/$(uname -m)/tested-1.0.1-r0.apk" ]
	# --skip-tests builds and publishes it anyway, and says so on the job
	run "$BCTL" submit --wait --skip-tests "$D/broken.yaml"
	[ "$status" -eq 0 ]
	id=${lines[0]}
	[ "$(job_field "$id" '["skip_tests"]')" = True ]
	[ -e "$D/state/repo/$(uname -m)/tested-1.0.1-r0.apk" ]
}

@test "SOURCE_DATE_EPOCH comes from the git-checkout commit time" {
	git init -q "$D/src"
	echo "int x;" >"$D/src/x.c"
	git -C "$D/src" add x.c
	GIT_COMMITTER_DATE="@1600000000 +0000" GIT_AUTHOR_DATE="@1600000000 +0000" \
		git -C "$D/src" -c user.name=t -c user.email=t@t commit -q -m one
	commit=$(git -C "$D/src" rev-parse HEAD)
	chmod -R a+rX "$D/src" "$D"
	start_daemon --workers 1
	cat >"$D/gitted.yaml" <<EOR
package:
  name: gitted
  version: 1.0.0
  epoch: 0
  description: from git
  copyright:
    - license: MIT
pipeline:
  - uses: git-checkout
    with:
      repository: $D/src
      expected-commit: $commit
      destination: src
  - runs: |
      test -f src/x.c
      mkdir -p \${{targets.destdir}}/usr/share/gitted
      cp src/x.c \${{targets.destdir}}/usr/share/gitted/
EOR
	run "$BCTL" submit --follow --source-date-epoch 1234 "$D/gitted.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"SOURCE_DATE_EPOCH=1600000000 from commit $commit"* ]]
	id=${lines[0]}
	[ "$(job_field "$id" '["source_date_epoch"]')" -eq 1600000000 ]
	run "$BCTL" inspect "$D/state/repo/$(uname -m)/gitted-1.0.0-r0.apk"
	[[ $output == *"builddate    1600000000"* ]]
	# a wrong expected-commit fails the step
	sed "s/expected-commit: $commit/expected-commit: 0123456789012345678901234567890123456789/; s/version: 1.0.0/version: 1.0.1/" \
		"$D/gitted.yaml" >"$D/badgit.yaml"
	run "$BCTL" submit --wait "$D/badgit.yaml"
	[ "$status" -eq 1 ]
	[[ $output == *"is not at the expected commit"* ]]
}
