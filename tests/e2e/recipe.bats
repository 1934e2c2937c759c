#!/usr/bin/env bats
# recipe.bats: builderctl lint and render end to end: usage, one test per
# error class (message and position), golden plans, the built-in pipelines
# (every script parses, the split pipelines move the right files), and the
# whole Wolfi corpus for x86_64 and aarch64.

bats_require_minimum_version 1.5.0

load recipe_helpers

setup() {
	recipe_setup
}

teardown() {
	recipe_teardown
}

# ------------------------------------------------------------ usage

@test "lint and render print usage on --help" {
	run "$BCTL" lint --help
	[ "$status" -eq 0 ]
	[[ $output == "Usage: builderctl lint "* ]]
	run "$BCTL" render --help
	[ "$status" -eq 0 ]
	[[ $output == "Usage: builderctl render "* ]]
}

@test "bad usage exits 2 with a clear message" {
	run "$BCTL" lint
	[ "$status" -eq 2 ]
	[[ $output == *"no recipe given"* ]]
	run "$BCTL" lint --arch sparc64 "$DATA/errors/ok.yaml"
	[ "$status" -eq 2 ]
	[[ $output == *'unknown architecture "sparc64"'* ]]
	run "$BCTL" lint --pipeline-dir "$TMP/nope" "$DATA/errors/ok.yaml"
	[ "$status" -eq 2 ]
	[[ $output == *"--pipeline-dir $TMP/nope: not a directory"* ]]
	run "$BCTL" lint --frobnicate "$DATA/errors/ok.yaml"
	[ "$status" -eq 2 ]
	run "$BCTL" render "$DATA/errors/ok.yaml" "$DATA/errors/ok.yaml"
	[ "$status" -eq 2 ]
	[[ $output == *"only one recipe at a time"* ]]
	run "$BCTL" render
	[ "$status" -eq 2 ]
}

@test "lint: a good recipe prints nothing and exits 0" {
	lint_in "$DATA/errors" ok.yaml
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "lint: a missing file is an error naming it" {
	lint_in "$DATA/errors" ok.yaml no-such.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "no-such.yaml: cannot read: No such file or directory" ]
}

@test "lint: other files are still checked after a bad one" {
	lint_in "$DATA/errors" undefined-var.yaml ok.yaml bad-if.yaml
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} == undefined-var.yaml:* ]]
	[[ ${lines[2]} == bad-if.yaml:* ]]
}

# ------------------------------------------------------------ error classes

@test "error: YAML syntax" {
	lint_in "$DATA/errors" syntax.yaml syntax2.yaml
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "syntax.yaml:5:1: YAML syntax error: found unexpected end of stream while scanning a quoted scalar that starts at line 3, column 12" ]
	[ "${lines[1]}" = "syntax2.yaml:6:4: YAML syntax error: did not find expected '-' indicator while parsing a block collection that starts at line 5, column 3" ]
}

@test "error: unknown keys, each reported" {
	lint_in "$DATA/errors" unknown-key.yaml
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = 'unknown-key.yaml:5:3: unknown key "dependecies" in package (did you mean "dependencies"?)' ]
	[ "${lines[1]}" = 'unknown-key.yaml:10:5: unknown key "workdir" in pipeline[0]' ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "error: missing required input" {
	lint_in "$DATA/errors" missing-input.yaml
	[ "$status" -eq 1 ]
	[ "$output" = 'missing-input.yaml:6:5: required input "repository" for pipeline "git-checkout" is missing' ]
}

@test "error: undeclared input" {
	lint_in "$DATA/errors" undeclared-input.yaml
	[ "$status" -eq 1 ]
	[ "$output" = 'undeclared-input.yaml:9:7: undefined input "jobs" to pipeline "autoconf/make" (its inputs: dir, opts, targets)' ]
}

@test "error: bad checksum and commit lengths" {
	lint_in "$DATA/errors" checksum.yaml
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "checksum.yaml:9:24: expected-sha256 must be 64 hexadecimal digits, found 16" ]
	[ "${lines[1]}" = 'checksum.yaml:13:24: expected-commit must be 40 hexadecimal digits; "not-a-commit" is not hexadecimal' ]
}

@test "error: undefined variables, at their place in the script" {
	lint_in "$DATA/errors" undefined-var.yaml
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "undefined-var.yaml:8:45: runs: variable vars.nope not defined" ]
	[ "${lines[1]}" = "undefined-var.yaml:9:16: runs: variable targets.subpkgdir not defined" ]
}

@test "error: malformed variable reference" {
	lint_in "$DATA/errors" malformed-ref.yaml
	[ "$status" -eq 1 ]
	[ "$output" = 'malformed-ref.yaml:7:12: runs: malformed variable reference (expected ${{ name }})' ]
}

@test "error: bad if expression" {
	lint_in "$DATA/errors" bad-if.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "bad-if.yaml:6:9: invalid if expression: expected '==' or '!=' at position 9, in: \"x86_64\" = 'x86_64'" ]
}

@test "error: file too large" {
	{ cat "$DATA/errors/ok.yaml"; head -c 5000000 /dev/zero | tr '\0' '#'; } >"$TMP/big.yaml"
	lint_in "$TMP" big.yaml
	[ "$status" -eq 1 ]
	[[ $output == "big.yaml:1:1: file is "*" bytes, larger than the limit of 4194304" ]]
}

@test "error: nesting too deep" {
	lint_in "$DATA/errors" too-deep.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "too-deep.yaml:6:68: nesting deeper than the limit of 64 levels" ]
}

@test "error: alias bomb fails fast" {
	lint_in "$DATA/errors" alias-bomb.yaml
	[ "$status" -eq 1 ]
	[ "$output" = 'alias-bomb.yaml:12:33: alias expansion makes the document larger than the limit of 250000 nodes (a "billion laughs" document?)' ]
}

@test "error: a pipeline that uses itself" {
	mkdir -p "$TMP/pd"
	printf 'pipeline:\n  - uses: loop-b\n' >"$TMP/pd/loop-a.yaml"
	printf 'pipeline:\n  - uses: loop-a\n' >"$TMP/pd/loop-b.yaml"
	printf 'package:\n  name: p\n  version: 1\n  epoch: 0\npipeline:\n  - uses: loop-a\n' >"$TMP/p.yaml"
	lint_in "$TMP" --pipeline-dir pd p.yaml
	[ "$status" -eq 1 ]
	[ "$output" = 'p.yaml:6:5: pipeline loop-b (pd/loop-b.yaml:2:11): pipeline "loop-a" uses itself (through loop-b)' ]
}

@test "error: pipelines expanding exponentially stop at the step limit" {
	mkdir -p "$TMP/pd"
	printf 'pipeline:\n  - runs: echo x\n' >"$TMP/pd/l0.yaml"
	for i in $(seq 1 12); do
		printf 'pipeline:\n' >"$TMP/pd/l$i.yaml"
		for _ in 1 2 3 4; do printf '  - uses: l%d\n' $((i - 1)) >>"$TMP/pd/l$i.yaml"; done
	done
	printf 'package:\n  name: p\n  version: 1\n  epoch: 0\npipeline:\n  - uses: l12\n' >"$TMP/p.yaml"
	lint_in "$TMP" --pipeline-dir pd p.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "p.yaml:6:5: the recipe expands to more than 100000 steps (pipelines using pipelines?)" ]
}

@test "error: a range that multiplies the recipe beyond the limit" {
	python3 - "$TMP/r.yaml" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("package:\n  name: p\n  version: 1\n  epoch: 0\ndata:\n  - name: d\n    items:\n")
    for i in range(3000):
        f.write("      k%d: v\n" % i)
    f.write("subpackages:\n")
    for j in range(50):
        f.write("  - name: p-%d-${{range.key}}\n    range: d\n    pipeline:\n"
                "      - runs: echo ${{range.value}}\n" % j)
EOF
	lint_in "$TMP" r.yaml
	[ "$status" -eq 1 ]
	[ "$output" = 'r.yaml:3042:12: range "d" expands the recipe beyond the limit of 250000 nodes (3000 items)' ]
}

@test "error: duplicate mapping key" {
	lint_in "$DATA/errors" dup-key.yaml
	[ "$status" -eq 1 ]
	[ "$output" = 'dup-key.yaml:8:5: mapping key "name" already defined at line 7' ]
}

@test "error: wrong types keep yaml.v3's rules" {
	lint_in "$DATA/errors" types.yaml
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = 'types.yaml:4:10: package.epoch: expected a non-negative integer, found the quoted string "1"' ]
	[ "${lines[1]}" = "types.yaml:7:15: environment.contents.packages: expected a sequence of strings, found a string" ]
	[ "${lines[2]}" = 'types.yaml:9:12: update.enabled: expected true or false, found "maybe"' ]
}

@test "error: unknown pipeline" {
	lint_in "$DATA/errors" not-found.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "not-found.yaml:6:11: pipeline \"autoconf/mkae\" not found (looked for autoconf/mkae.yaml in $TOP/pipelines)" ]
}

@test "error: assertions are checked for the target architecture" {
	lint_in "$DATA/errors" --arch x86_64 assertion.yaml
	[ "$status" -eq 0 ]
	lint_in "$DATA/errors" --arch ppc64le assertion.yaml
	[ "$status" -eq 1 ]
	[ "$output" = "assertion.yaml:7:7: assertion failed: 1 of the nested steps must run, but 0 would run on ppc64le" ]
}

@test "several independent problems are all reported, without follow-on noise" {
	lint_in "$DATA/errors" several.yaml
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = 'several.yaml:6:24: package: provider-priority must be an integer, found "high"' ]
	[ "${lines[1]}" = "several.yaml:11:12: var-transforms[0] (major): regular expression \"^(\\d+)\\.(?=\\d)\" uses lookahead, which Go's RE2 syntax (used by melange) does not support" ]
	[ "${lines[2]}" = 'several.yaml:17:7: undefined input "prefix" to pipeline "autoconf/configure" (its inputs: dir, host, build, opts)' ]
	[ "${lines[3]}" = "several.yaml:20:12: runs: variable vars.missing not defined" ]
	[ "${lines[4]}" = 'several.yaml:22:11: subpackage "hello" has the same name as the main package' ]
	[ "${lines[5]}" = 'several.yaml:24:15: uses "../evil": a pipeline name must be relative and must not contain ".."' ]
	[ "${lines[6]}" = 'several.yaml:26:12: subpackages[1] (hello-dev) uses undefined range "nothing" (no data entry has that name)' ]
	# the failed var-transform's uses (line 19) are not reported again
	[ "${#lines[@]}" -eq 7 ]
}

@test "render reports problems on stderr and prints no plan" {
	cd "$DATA/errors"
	run --separate-stderr "$BCTL" render undefined-var.yaml
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == "undefined-var.yaml:8:45: runs: variable vars.nope not defined"* ]]
}

# ------------------------------------------------------------ golden plans

golden() { # NAME ARCH
	cd "$DATA/golden"
	run --separate-stderr "$BCTL" render --json --arch "$2" "$1.yaml"
	[ "$status" -eq 0 ]
	diff -u "$1.$2.json" <(printf '%s\n' "$output")
}

@test "golden: autoconf (fetch, patch, configure/make/install, strip, docs split)" {
	golden autoconf x86_64
}

@test "golden: cmake (git-checkout, nested steps in a working directory)" {
	golden cmake x86_64
}

@test "golden: go (go/build with deps and ldflags, go/build/v2 with nested strip)" {
	golden go x86_64
}

@test "golden: python (python/build, python/install, python/import tests)" {
	golden python x86_64
}

@test "golden: split/* subpackages" {
	golden split x86_64
}

@test "golden: range subpackages in sorted key order" {
	golden range x86_64
}

@test "golden: vars and var-transforms" {
	golden var-transforms x86_64
}

@test "golden: if: on x86_64 and aarch64" {
	golden if x86_64
	golden if aarch64
}

@test "golden: the shell rendering" {
	cd "$DATA/golden"
	run --separate-stderr "$BCTL" render --arch x86_64 autoconf.yaml
	[ "$status" -eq 0 ]
	diff -u autoconf.x86_64.sh <(printf '%s\n' "$output")
}

# ------------------------------------------------------------ pipelines

@test "every built-in pipeline is exercised and every script parses as sh" {
	command -v busybox >/dev/null || skip "busybox is not installed"
	cd "$DATA"
	# each pipeline file is used by builtins.yaml
	for f in $(cd "$TOP/pipelines" && find . -name '*.yaml' | sed 's|^\./||; s|\.yaml$||'); do
		grep -q "uses: $f\$" builtins.yaml || {
			echo "builtins.yaml does not use $f"
			return 1
		}
	done
	run --separate-stderr "$BCTL" render --json builtins.yaml
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$TMP/plan.json"
	python3 - "$TMP/plan.json" <<'EOF'
import json, subprocess, sys
plan = json.load(open(sys.argv[1]))
steps = plan["steps"] + [s for t in plan["tests"] for s in t["steps"]]
kinds = [s["kind"] for s in steps]
assert kinds.count("fetch") == 1 and kinds.count("git-checkout") == 1, kinds
for s in steps:
    if s["kind"] == "shell":
        r = subprocess.run(["busybox", "sh", "-n", "-c", s["runs"]], capture_output=True, text=True)
        if r.returncode:
            sys.exit("%s (%s): %s" % (s["uses"], s["location"], r.stderr))
EOF
}

@test "split pipelines move the right files" {
	command -v busybox >/dev/null || skip "busybox is not installed"
	out=$TMP/root/home/build/melange-out/demo
	mkdir -p "$out"/usr/{include/demo,lib/pkgconfig,lib/cmake/demo,share/man/man1,share/info,bin}
	touch "$out"/usr/include/demo/demo.h "$out"/usr/lib/libdemo.so.1.2 "$out"/usr/lib/libdemo.a \
		"$out"/usr/lib/libdemo.la "$out"/usr/lib/pkgconfig/demo.pc \
		"$out"/usr/lib/cmake/demo/demo-config.cmake "$out"/usr/share/man/man1/demo.1 \
		"$out"/usr/share/info/demo.info "$out"/usr/share/info/dir "$out"/usr/bin/demo \
		"$out"/usr/bin/demo-config
	ln -s libdemo.so.1.2 "$out"/usr/lib/libdemo.so.1
	ln -s libdemo.so.1 "$out"/usr/lib/libdemo.so
	"$BCTL" render --json "$DATA/split-tree.yaml" >"$TMP/plan.json"
	run python3 "$TOP/tests/e2e/run-plan-steps.py" "$TMP/plan.json" "$TMP/root"
	[ "$status" -eq 0 ]
	cd "$TMP/root/home/build/melange-out"
	find . \( -type f -o -type l \) | sort >"$TMP/got"
	cat >"$TMP/want" <<'EOF'
./demo-bin/usr/bin/demo
./demo-dev/usr/bin/demo-config
./demo-dev/usr/include/demo/demo.h
./demo-dev/usr/lib/cmake/demo/demo-config.cmake
./demo-dev/usr/lib/libdemo.a
./demo-dev/usr/lib/libdemo.so
./demo-dev/usr/lib/pkgconfig/demo.pc
./demo-doc/usr/share/info/demo.info
./demo-doc/usr/share/man/man1/demo.1
./demo/usr/lib/libdemo.so.1
./libdemo1/usr/lib/libdemo.so.1.2
EOF
	diff -u "$TMP/want" "$TMP/got"
	[ -L demo-dev/usr/lib/libdemo.so ]
}

@test "--pipeline-dir directories are searched first, in order" {
	mkdir -p "$TMP/a" "$TMP/b"
	printf 'pipeline:\n  - runs: echo custom strip A\n' >"$TMP/a/strip.yaml"
	printf 'pipeline:\n  - runs: echo custom strip B\n' >"$TMP/b/strip.yaml"
	printf 'package:\n  name: p\n  version: 1\n  epoch: 0\npipeline:\n  - uses: strip\n' >"$TMP/p.yaml"
	run "$BCTL" render --pipeline-dir "$TMP/b" --pipeline-dir "$TMP/a" "$TMP/p.yaml"
	[ "$status" -eq 0 ]
	[[ $output == *"echo custom strip B"* ]]
	[[ $output != *"custom strip A"* ]]
	run "$BCTL" render "$TMP/p.yaml"
	[[ $output == *"scanelf"* ]]
}

@test "BUILDERD_PIPELINE_DIR replaces the built-in directory" {
	mkdir -p "$TMP/builtin"
	printf 'inputs:\n  x:\n    default: "1"\npipeline:\n  - runs: echo mine ${{inputs.x}}\n' \
		>"$TMP/builtin/strip.yaml"
	printf 'package:\n  name: p\n  version: 1\n  epoch: 0\npipeline:\n  - uses: strip\n' >"$TMP/p.yaml"
	BUILDERD_PIPELINE_DIR=$TMP/builtin run "$BCTL" render "$TMP/p.yaml"
	[ "$status" -eq 0 ]
	[[ $output == *"echo mine 1"* ]]
}

@test "the built-in directory is found next to the binary without BUILDERD_PIPELINE_DIR" {
	printf 'package:\n  name: p\n  version: 1\n  epoch: 0\npipeline:\n  - uses: autoconf/make\n' >"$TMP/p.yaml"
	unset BUILDERD_PIPELINE_DIR
	run "$BCTL" lint "$TMP/p.yaml"
	[ "$status" -eq 0 ]
}

# ------------------------------------------------------------ the corpus

@test "corpus: every Wolfi recipe compiles for x86_64" {
	skip_without_corpus
	run "$BCTL" lint --no-warnings --arch x86_64 --pipeline-dir "$CORPUS/pipelines" "$CORPUS"/recipes/*.yaml
	[ -z "$output" ] || printf '%s\n' "$output" | head -20
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "corpus: every Wolfi recipe compiles for aarch64" {
	skip_without_corpus
	run "$BCTL" lint --no-warnings --arch aarch64 --pipeline-dir "$CORPUS/pipelines" "$CORPUS"/recipes/*.yaml
	[ -z "$output" ] || printf '%s\n' "$output" | head -20
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
