#!/usr/bin/env bats
# builderctl resolve: signed repositories as paths and file:// URLs, trust
# failures, unsatisfiable worlds, verified downloads into the cache, the
# real Alpine v3.16 index, and a repository built here with pack + index.

load helpers

setup() {
	W=$(mktemp -d)
	export SOURCE_DATE_EPOCH=1700000000
}

teardown() {
	rm -rf "$W"
}

melange() {
	need_shared
	MREPO=$VEC/melange-repo
	MKEY=$MREPO/keys/melange.rsa.pub
}

@test "resolve: usage" {
	run "$BCTL" resolve --help
	[ "$status" -eq 0 ]
	[[ $output == *"Usage: builderctl resolve --repo"* ]]
	run "$BCTL" resolve foo
	[ "$status" -eq 2 ]
	[[ $output == *"at least one --repo is required"* ]]
	run "$BCTL" resolve --repo /nonexistent foo
	[ "$status" -eq 2 ]
	[[ $output == *"--keyring"* ]]
	run "$BCTL" resolve --repo /x --keyring /y
	[ "$status" -eq 2 ]
	[[ $output == *"no package given"* ]]
	run "$BCTL" resolve --repo /x --keyring /y --fetch foo
	[ "$status" -eq 2 ]
	[[ $output == *"--fetch needs --cache"* ]]
	run "$BCTL" resolve --repo ftp://host/x --keyring /y foo
	[ "$status" -eq 2 ]
	[[ $output == *"unsupported URL scheme"* ]]
	run "$BCTL" resolve --bogus
	[ "$status" -eq 2 ]
}

@test "resolve: melange repository as a path and as a file:// URL" {
	melange
	run "$BCTL" resolve --repo "$MREPO" --keyring "$MKEY" --arch x86_64 replayout
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "pretend-baselayout 1.0.0-r0 x86_64 2930 Q1m6wB0UFePGN8Drz82pC8y2uAiu8= $MREPO" ]
	[ "${lines[1]}" = "replayout 1.0.0-r0 x86_64 2961 Q11/HhSewwwOXgl0r0ffb0O0BRtYc= $MREPO" ]
	[ "${lines[2]}" = "2 packages, 5891 bytes" ]
	run "$BCTL" resolve --repo "file://$MREPO/" --keyring "$MREPO/keys" --deps replayout
	[ "$status" -eq 0 ]
	[ "${lines[2]}" = "  pretend-baselayout -> pretend-baselayout-1.0.0-r0" ]
	[[ ${lines[1]} == *" file://$MREPO" ]]
}

@test "resolve: an index signed by a key outside the keyring fails" {
	melange
	run "$BCTL" resolve --repo "$MREPO" --keyring "$VEC/keys-alpine" replayout
	[ "$status" -eq 1 ]
	[[ $output == *"repository $MREPO: $MREPO/x86_64/APKINDEX.tar.gz: UNTRUSTED: signed by melange.rsa.pub, no such public key in the keyring"* ]]
	run "$BCTL" resolve --repo "$MREPO" --keyring "$W/missing.rsa.pub" replayout
	[ "$status" -eq 1 ]
	[[ $output == *"keyring"* ]]
}

@test "resolve: unsatisfiable worlds say what and why" {
	melange
	run "$BCTL" resolve --repo "$MREPO" --keyring "$MKEY" custom-ca-certificates
	[ "$status" -eq 1 ]
	[[ $output == *"custom-ca-certificates (required by world) is a virtual name provided by custom-ca-certs-1-1.0.0-r0, custom-ca-certs-2-1.0.0-r0, none with a provider_priority"* ]]
	run "$BCTL" resolve --repo "$MREPO" --keyring "$MKEY" custom-ca-certificates custom-ca-certs-1
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	run "$BCTL" resolve --repo "$MREPO" --keyring "$MKEY" "replayout>1.0.0-r0"
	[ "$status" -eq 1 ]
	[[ $output == *"replayout>1.0.0-r0 (required by world) has no matching provider; available: replayout-1.0.0-r0"* ]]
	run "$BCTL" resolve --repo "$MREPO" --keyring "$MKEY" replayout '!pretend-baselayout'
	[ "$status" -eq 1 ]
	[[ $output == *"excluded by !pretend-baselayout (required by world)"* ]]
}

@test "resolve: remote repositories need the daemon's fetcher" {
	melange
	run "$BCTL" resolve --repo https://dl-cdn.alpinelinux.org/alpine/v3.16/main --keyring "$MKEY" busybox
	[ "$status" -eq 1 ]
	[[ $output == *"remote repositories need a fetcher (the daemon's)"* ]]
}

@test "resolve --fetch: packages verified into the cache; a corrupted copy is refused" {
	melange
	cp -r "$MREPO" "$W/repo"
	chmod -R u+w "$W/repo"
	run "$BCTL" resolve --repo "$W/repo" --keyring "$MKEY" --cache "$W/cache" --fetch replayout
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == *" $W/cache/d7f1e149ec30c0e5e0974af47df6f43b4051b587.apk" ]]
	cmp "$W/cache/d7f1e149ec30c0e5e0974af47df6f43b4051b587.apk" "$MREPO/x86_64/replayout-1.0.0-r0.apk"
	[ "$(ls "$W/cache" | wc -l)" -eq 2 ]
	rm -rf "$W/cache"
	python3 "$TOP/tests/e2e/apktamper.py" recompress "$MREPO/x86_64/replayout-1.0.0-r0.apk" \
		"$W/repo/x86_64/replayout-1.0.0-r0.apk"
	run "$BCTL" resolve --repo "$W/repo" --keyring "$MKEY" --cache "$W/cache" --fetch replayout
	[ "$status" -eq 1 ]
	[[ $output == *"package replayout-1.0.0-r0: $W/repo/x86_64/replayout-1.0.0-r0.apk: datahash mismatch"* ]]
	[ ! -e "$W/cache/d7f1e149ec30c0e5e0974af47df6f43b4051b587.apk" ]
	cp "$MREPO/x86_64/custom-ca-certs-1-1.0.0-r0.apk" "$W/repo/x86_64/replayout-1.0.0-r0.apk"
	run "$BCTL" resolve --repo "$W/repo" --keyring "$MKEY" --cache "$W/cache" --fetch replayout
	[ "$status" -eq 1 ]
	[[ $output == *"checksum mismatch: the index says C:Q11/HhSewwwOXgl0r0ffb0O0BRtYc=, the package is C:Q1L7EnY9Q9b23ejRHAmb0g09QaLEo="* ]]
}

@test "resolve: build-base from the real Alpine v3.16 index" {
	need_shared
	mkdir -p "$W/alpine/x86_64"
	ln -s "$VEC/alpine-3.16/APKINDEX.tar.gz" "$W/alpine/x86_64/APKINDEX.tar.gz"
	run "$BCTL" resolve --repo "$W/alpine" --keyring "$VEC/keys-alpine" --arch x86_64 build-base
	[ "$status" -eq 0 ]
	for p in gcc musl-dev binutils make libc-dev fortify-headers patch g++ file musl; do
		grep -q "^$p " <<<"$output"
	done
	[[ ${lines[-2]} == "build-base 0.5-r3 x86_64 "* ]]
	[[ ${lines[-1]} == "21 packages, "* ]]
	# same input, same output
	run "$BCTL" resolve --repo "$W/alpine" --keyring "$VEC/keys-alpine" --arch x86_64 build-base
	first=$output
	run "$BCTL" resolve --repo "$W/alpine" --keyring "$VEC/keys-alpine" --arch x86_64 build-base
	[ "$output" = "$first" ]
	run "$BCTL" resolve --repo "$W/alpine" --keyring "$VEC/keys-alpine" --arch x86_64 build-base nvme-cli
	[ "$status" -eq 1 ]
	[[ $output == *"nvme-cli (required by world) has no provider"* ]]
}

@test "resolve: a repository made with pack + index, noarch and a tagged repository" {
	"$BCTL" keygen --name test --dir "$W/keys" --bits 2048 >/dev/null
	make_tree "$W/root"
	mkdir -p "$W/main/x86_64" "$W/main/noarch" "$W/extra/x86_64"
	"$BCTL" pack --root "$W/root" --name hello --version 1.0-r0 --arch x86_64 \
		--depends "hello-data" --key "$W/keys/test.rsa" -o "$W/main/x86_64/hello-1.0-r0.apk" >/dev/null
	"$BCTL" pack --root "$W/root" --name hello-data --version 1.0-r0 --arch noarch \
		--key "$W/keys/test.rsa" -o "$W/main/noarch/hello-data-1.0-r0.apk" >/dev/null
	"$BCTL" pack --root "$W/root" --name hello --version 2.0-r0 --arch x86_64 \
		--depends "hello-data" --key "$W/keys/test.rsa" -o "$W/extra/x86_64/hello-2.0-r0.apk" >/dev/null
	"$BCTL" index --key "$W/keys/test.rsa" -o "$W/main/x86_64/APKINDEX.tar.gz" \
		"$W/main/x86_64/hello-1.0-r0.apk" "$W/main/noarch/hello-data-1.0-r0.apk" >/dev/null
	"$BCTL" index --key "$W/keys/test.rsa" -o "$W/extra/x86_64/APKINDEX.tar.gz" \
		"$W/extra/x86_64/hello-2.0-r0.apk" >/dev/null
	run "$BCTL" resolve --repo "$W/main" --repo "@extra $W/extra" --keyring "$W/keys/test.rsa.pub" \
		--arch x86_64 --cache "$W/cache" --fetch hello
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "hello-data 1.0-r0 noarch "* ]]
	[[ ${lines[1]} == "hello 1.0-r0 x86_64 "*" $W/main $W/cache/"*".apk" ]]
	run "$BCTL" resolve --repo "$W/main" --repo "@extra $W/extra" --keyring "$W/keys/test.rsa.pub" \
		--arch x86_64 --cache "$W/cache" --fetch hello@extra
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == "hello 2.0-r0 x86_64 "*" $W/extra $W/cache/"*".apk" ]]
	[ "$(ls "$W/cache" | wc -l)" -eq 3 ]
}
