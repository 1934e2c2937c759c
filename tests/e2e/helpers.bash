# helpers.bash: shared setup for the bats scenarios.
#
# tests/run exports BUILDERD_BIN (built binaries), BUILDERD_TOP and
# BUILDERD_SHARED (the reference folder, may be empty).

BCTL="${BUILDERD_BIN:-$BATS_TEST_DIRNAME/../../build/bin}/builderctl"
TOP="${BUILDERD_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"

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
