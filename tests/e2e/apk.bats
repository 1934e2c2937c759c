#!/usr/bin/env bats
# End-to-end scenarios for the offline APK toolkit verbs:
# keygen -> pack -> index -> verify -> inspect, tampering, trust, vectors.

load helpers

setup() {
	W=$(mktemp -d)
	export SOURCE_DATE_EPOCH=1700000000
}

teardown() {
	rm -rf "$W"
}

# pack NAME VERSION OUT [extra args]: pack $W/root with key $W/keys/test.rsa
pack() {
	local name=$1 ver=$2 out=$3
	shift 3
	"$BCTL" pack --root "$W/root" --name "$name" --version "$ver" --arch x86_64 \
		--description "e2e $name" --license MIT --key "$W/keys/test.rsa" -o "$out" "$@"
}

setup_repo() {
	make_tree "$W/root"
	"$BCTL" keygen --name test --dir "$W/keys" --bits 2048 >/dev/null
	mkdir -p "$W/trusted" "$W/repo/x86_64"
	cp "$W/keys/test.rsa.pub" "$W/trusted/"
}

@test "keygen writes a 0600 private key and an SPKI public key" {
	run "$BCTL" keygen --name mykey --dir "$W"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$W/mykey.rsa")" = 600 ]
	grep -q 'BEGIN PUBLIC KEY' "$W/mykey.rsa.pub"
	run openssl rsa -in "$W/mykey.rsa" -noout -text
	[[ $output == *"4096 bit"* ]]
	# refuses to overwrite
	run "$BCTL" keygen --name mykey --dir "$W"
	[ "$status" -eq 1 ]
	[[ $output == *"already exists"* ]]
}

@test "keygen -> pack -> index -> verify -> inspect" {
	setup_repo
	run pack hello 1.0-r0 "$W/repo/x86_64/hello-1.0-r0.apk" --depends "busybox so:libc.musl-x86_64.so.1"
	[ "$status" -eq 0 ]
	run "$BCTL" index --key "$W/keys/test.rsa" --description "e2e repo" \
		-o "$W/repo/x86_64/APKINDEX.tar.gz" "$W/repo/x86_64/hello-1.0-r0.apk"
	[ "$status" -eq 0 ]
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/repo/x86_64/hello-1.0-r0.apk" "$W/repo/x86_64/APKINDEX.tar.gz"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == *"hello-1.0-r0.apk: OK (package hello-1.0-r0, key test.rsa.pub)" ]]
	[[ ${lines[1]} == *"APKINDEX.tar.gz: OK (index, 1 packages, key test.rsa.pub)" ]]
	run "$BCTL" inspect "$W/repo/x86_64/hello-1.0-r0.apk"
	[ "$status" -eq 0 ]
	[[ $output == *"depend       so:libc.musl-x86_64.so.1"* ]]
	[[ $output == *"2 0777          0 usr/bin/hi -> hello"* ]]
	run "$BCTL" inspect --json "$W/repo/x86_64/APKINDEX.tar.gz"
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["kind"] == "index" and d["valid"], d
assert d["description"] == "e2e repo"
p = d["packages"][0]
assert p["name"] == "hello" and p["version"] == "1.0-r0" and p["arch"] == "x86_64"
assert p["depends"] == ["busybox", "so:libc.musl-x86_64.so.1"]
assert p["checksum"].startswith("Q1") and len(p["checksum"]) == 30
'
}

@test "two packs of the same tree are byte-identical" {
	setup_repo
	pack hello 1.0-r0 "$W/a.apk"
	touch "$W/root/usr/bin/hello" "$W/root/etc/hello/hello.conf"
	pack hello 1.0-r0 "$W/b.apk"
	cmp "$W/a.apk" "$W/b.apk"
	# and a different epoch changes the bytes
	SOURCE_DATE_EPOCH=1700000001 pack hello 1.0-r0 "$W/c.apk"
	! cmp -s "$W/a.apk" "$W/c.apk"
}

@test "a data byte changed (gzip still valid) fails verify on the datahash" {
	setup_repo
	pack hello 1.0-r0 "$W/good.apk"
	python3 "$TOP/tests/e2e/apktamper.py" data "$W/good.apk" "$W/bad.apk"
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/bad.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"bad.apk: BAD signature: "* ]]
	[[ $output == *"file checksum mismatch"* || $output == *"datahash mismatch"* ]]
	# same files, other compressed bytes: only the datahash can tell
	python3 "$TOP/tests/e2e/apktamper.py" recompress "$W/good.apk" "$W/re.apk"
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/re.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"re.apk: BAD signature: datahash mismatch: .PKGINFO says "* ]]
}

@test "a control byte changed (gzip still valid) fails verify on the signature" {
	setup_repo
	pack hello 1.0-r0 "$W/good.apk"
	python3 "$TOP/tests/e2e/apktamper.py" control "$W/good.apk" "$W/bad.apk"
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/bad.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"bad.apk: BAD signature: signature does not verify with key test.rsa.pub"* ]]
}

@test "an index signed by an unknown key is UNTRUSTED" {
	setup_repo
	pack hello 1.0-r0 "$W/hello-1.0-r0.apk"
	"$BCTL" keygen --name rogue --dir "$W/keys" --bits 2048 >/dev/null
	"$BCTL" index --key "$W/keys/rogue.rsa" -o "$W/APKINDEX.tar.gz" "$W/hello-1.0-r0.apk"
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/APKINDEX.tar.gz"
	[ "$status" -eq 1 ]
	[[ $output == *"APKINDEX.tar.gz: UNTRUSTED: signed by rogue.rsa.pub, no such public key"* ]]
}

@test "an unsigned index is UNTRUSTED" {
	setup_repo
	pack hello 1.0-r0 "$W/hello-1.0-r0.apk"
	"$BCTL" index --key "$W/keys/test.rsa" -o "$W/signed.tar.gz" "$W/hello-1.0-r0.apk"
	python3 "$TOP/tests/e2e/apktamper.py" unsign "$W/signed.tar.gz" "$W/APKINDEX.tar.gz"
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/APKINDEX.tar.gz"
	[ "$status" -eq 1 ]
	[[ $output == *"APKINDEX.tar.gz: UNTRUSTED: not signed"* ]]
}

@test "a key with the trusted name but other bits is a BAD signature" {
	setup_repo
	pack hello 1.0-r0 "$W/hello.apk"
	mkdir "$W/impostor"
	"$BCTL" keygen --name test --dir "$W/impostor" --bits 2048 >/dev/null
	mkdir "$W/trusted2"
	cp "$W/impostor/test.rsa.pub" "$W/trusted2/"
	run "$BCTL" verify --keys-dir "$W/trusted2" "$W/hello.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"BAD signature"* ]]
}

@test "SHA-1 (.SIGN.RSA.) and SHA-512 signatures verify" {
	setup_repo
	pack hello 1.0-r0 "$W/sha1.apk" --sign-type RSA
	pack hello 1.0-r0 "$W/sha512.apk" --sign-type RSA512
	run "$BCTL" inspect --json "$W/sha1.apk"
	[[ $output == *'"key": "test.rsa.pub"'* && $output == *'"type": "RSA"'* ]]
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/sha1.apk" "$W/sha512.apk"
	[ "$status" -eq 0 ]
}

@test "the output policy names the offending path" {
	setup_repo
	mkfifo "$W/root/etc/hello/pipe"
	run pack hello 1.0-r0 "$W/x.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"etc/hello/pipe: FIFO; only regular files, directories, symlinks and hardlinks may be packaged"* ]]
	[ ! -e "$W/x.apk" ]
	rm "$W/root/etc/hello/pipe"
	ln -s ../../../../etc/shadow "$W/root/etc/hello/escape"
	run pack hello 1.0-r0 "$W/x.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"etc/hello/escape: symlink target ../../../../etc/shadow escapes the package root"* ]]
	rm "$W/root/etc/hello/escape"
	chmod 4755 "$W/root/usr/bin/hello"
	run pack hello 1.0-r0 "$W/x.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"usr/bin/hello: setuid/setgid bit set"* ]]
	run pack hello 1.0-r0 "$W/x.apk" --allow-setuid
	[ "$status" -eq 0 ]
}

@test "every real vector verifies with its keys" {
	need_shared
	run "$BCTL" verify --keys-dir "$VEC/melange-repo/keys" "$VEC"/melange-repo/x86_64/*
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	run "$BCTL" verify --keys-dir "$VEC/keys-alpine" "$VEC/alpine-3.16/APKINDEX.tar.gz" \
		"$VEC/alpine-3.16/alpine-baselayout-3.2.0-r23.apk"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == *"OK (index, 4929 packages"* ]]
	run "$BCTL" verify --keys-dir "$VEC/apko-rsa256-index" "$VEC/apko-rsa256-index/APKINDEX.tar.gz"
	[ "$status" -eq 0 ]
	run "$BCTL" verify --keys-dir "$VEC/apko-multisig-index/keys" "$VEC/apko-multisig-index/APKINDEX.tar.gz"
	[ "$status" -eq 0 ]
	# same key name, different key: must not verify
	run "$BCTL" verify --keys-dir "$VEC/melange-repo/keys" "$VEC/wolfi-unverifiable/hello-wolfi-2.12.1-r0.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"BAD signature"* ]]
}

@test "apkdump.py agrees with our identity, datahash and signature" {
	need_shared
	setup_repo
	pack hello 1.0-r0 "$W/hello.apk" --depends "busybox"
	"$BCTL" index --key "$W/keys/test.rsa" -o "$W/APKINDEX.tar.gz" "$W/hello.apk"
	dump=$(python3 "$BUILDERD_SHARED/tools/apkdump.py" "$W/hello.apk" --keys-dir "$W/trusted")
	ours=$("$BCTL" inspect --json "$W/hello.apk")
	id=$(echo "$ours" | python3 -c 'import json,sys; print(json.load(sys.stdin)["identity"])')
	dh=$(echo "$ours" | python3 -c 'import json,sys; print(json.load(sys.stdin)["datahash"])')
	[[ $dump == *"identity C: = $id"* ]]
	[[ $dump == *"datahash    = $dh"* ]]
	[[ $dump == *"| datahash = $dh"* ]]
	[[ $dump == *"Verified OK"* ]]
	[[ $dump != *"Verification failure"* ]]
	# control and signature members carry no end-of-archive blocks
	[ "$(echo "$dump" | grep -c 'trailing zero blocks: 0')" -eq 2 ]
	idx=$(python3 "$BUILDERD_SHARED/tools/apkdump.py" "$W/APKINDEX.tar.gz" --keys-dir "$W/trusted")
	[[ $idx == *"Verified OK"* ]]
	run "$BCTL" inspect --json "$W/APKINDEX.tar.gz"
	[[ $output == *"\"checksum\": \"$id\""* ]]
}

@test "usage errors exit 2, --help exits 0" {
	run "$BCTL" pack --root /nonexistent
	[ "$status" -eq 2 ]
	[[ $output == *"--root, --name, --version, --key and -o are required"* ]]
	run "$BCTL" verify /tmp/x
	[ "$status" -eq 2 ]
	[[ $output == *"--keys-dir is required"* ]]
	run "$BCTL" vercmp 1.0
	[ "$status" -eq 2 ]
	run "$BCTL" nosuchverb
	[ "$status" -eq 2 ]
	for v in keygen pack index verify inspect vercmp; do
		run "$BCTL" "$v" --help
		[ "$status" -eq 0 ]
		[[ $output == "Usage: builderctl $v"* ]]
	done
	run "$BCTL" vercmp 1.0 1.0-r0
	[ "$output" = "<" ]
}

@test "corrupt and foreign files fail with the file named" {
	setup_repo
	head -c 100 /dev/urandom >"$W/junk.apk"
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/junk.apk" "$W/missing.apk"
	[ "$status" -eq 1 ]
	[[ ${lines[0]} == "$W/junk.apk: "* ]]
	[[ ${lines[1]} == "$W/missing.apk: IO ERROR: open $W/missing.apk: No such file or directory" ]]
	pack hello 1.0-r0 "$W/ok.apk"
	head -c 700 "$W/ok.apk" >"$W/short.apk"
	run "$BCTL" verify --keys-dir "$W/trusted" "$W/short.apk"
	[ "$status" -eq 1 ]
	[[ $output == *"short.apk: "*"truncated"* ]]
}
