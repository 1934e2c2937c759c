#!/usr/bin/env bats
# sbom.bats: SPDX 2.3 documents checked by a real JSON-Schema validator
# (Debian's python3-jsonschema) through tests/e2e/spdx_validate.py: melange's
# documents from ../shared/vectors, builderd's own (apk/sbom.c, written by
# the test tool sbom-gen without a daemon), and mutated documents that must
# fail for the reason each test names.
#
# The schema is ours (tests/data/spdx/README.md).  With $BUILDERD_SPDX_SCHEMA
# pointing to the official spdx-schema.json, the tests that accept documents
# use that one instead; the tests that expect a rejection always use ours,
# since their messages are ours.

load helpers

OURS=$TOP/tests/data/spdx/spdx-2.3.schema.json
VALIDATOR=$TOP/tests/e2e/spdx_validate.py
SBOM_GEN=${BUILDERD_BIN:-$TOP/build/bin}/../tests/tools/sbom-gen
# 2023-11-14T22:13:20Z
SDE=1700000000
CREATED=2023-11-14T22:13:20Z

setup() {
	# Debian's interpreter, where python3-jsonschema is installed (a
	# python3 found first on PATH may be another one)
	PY=/usr/bin/python3
	[[ -x $PY ]] || PY=python3
	if ! "$PY" -c 'import jsonschema' 2>/dev/null; then
		echo "python3-jsonschema is missing: run scripts/install-deps" >&2
		return 1
	fi
	# as tests/run does, when bats runs this file directly
	if [[ -z ${BUILDERD_SHARED:-} && -d $TOP/../shared ]]; then
		BUILDERD_SHARED=$(cd "$TOP/../shared" && pwd)
	fi
	W=$BATS_TEST_TMPDIR
}

need_sbom_gen() {
	[[ -x $SBOM_GEN ]] || skip "run make check-build first (no $SBOM_GEN)"
}

# extract_sboms APK...: unpack each package below $W/x/ and print the paths
# of the SBOMs inside (one or more per package, or the test fails)
extract_sboms() {
	local apk d n
	for apk in "$@"; do
		d=$W/x/$(basename "$apk" .apk)
		mkdir -p "$d"
		tar -xzf "$apk" -C "$d" 2>/dev/null
		n=$(find "$d/var/lib/db/sbom" -name '*.spdx.json' 2>/dev/null | wc -l)
		if ((n == 0)); then
			echo "no SBOM in $apk" >&2
			return 1
		fi
		find "$d/var/lib/db/sbom" -name '*.spdx.json' | sort
	done
}

# build_json FILE: a build as the job runner describes it to apk/sbom.c: a
# main package with a fetch and a git-checkout source, three subpackages,
# and an environment whose package names hold characters SPDXIDs cannot
# ("libstdc++", "py3_foo" beside "py3-foo", "a@b"), with real digests
build_json() {
	local tarball=$W/gcc-13.2.0.tar.xz sha256 sha512 recipe
	printf 'not really gcc\n' >"$tarball"
	sha256=$(sha256sum "$tarball" | cut -d' ' -f1)
	sha512=$(sha512sum "$tarball" | cut -d' ' -f1)
	recipe=$(printf 'package:\n  name: libstdc++\n' | sha256sum | cut -d' ' -f1)
	cat >"$1" <<EOF
{"arch": "x86_64", "source_date_epoch": $SDE,
 "recipe": {"name": "libstdc++.yaml", "sha256": "$recipe"},
 "packages": [
  {"name": "libstdc++", "version": "13.2.0-r0",
   "license": "GPL-3.0-or-later WITH GCC-exception-3.1",
   "description": "GNU C++ standard library", "url": "https://gcc.gnu.org/"},
  {"name": "libstdc++-dev", "version": "13.2.0-r0", "license": "GPL-3.0-or-later"},
  {"name": "py3_foo", "version": "13.2.0-r0", "url": "not a url"},
  {"name": "a@b", "version": "13.2.0-r0"}
 ],
 "sources": [
  {"kind": "fetch", "uri": "file://$tarball", "sha256": "$sha256", "sha512": "$sha512",
   "name": "gcc", "version": "13.2.0"},
  {"kind": "git", "uri": "https://example.org/gcc.git",
   "commit": "0123456789abcdef0123456789abcdef01234567",
   "name": "libstdc++", "version": "releases/gcc-13.2.0"}
 ],
 "env": [
  {"name": "libstdc++", "version": "13.1.0-r0", "checksum": "Q1yNnp4TDPl4sEx3Jfw/Ot3u7JWUU="},
  {"name": "py3_foo", "version": "1.0-r0"},
  {"name": "py3-foo", "version": "1.0-r0"},
  {"name": "a@b", "version": "2-r1"},
  {"name": "busybox", "version": "1.36.1-r0", "checksum": "$sha256"}
 ]}
EOF
}

# gen_base: builderd's document for the main package above, as $BASE
gen_base() {
	need_sbom_gen
	build_json "$W/build.json"
	mkdir -p "$W/out"
	"$SBOM_GEN" "$W/build.json" "$W/out" >/dev/null
	BASE=$W/out/libstdc++-13.2.0-r0.spdx.json
}

# mutate NAME CODE: $W/NAME.json, $BASE changed by the Python CODE acting
# on d (the document)
mutate() {
	"$PY" - "$BASE" "$W/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=2)
PY
}

# reject DOC WANT [EVERY] [VALIDATOR OPTIONS...]: our schema rejects DOC;
# one error line is "DOC: WANT..." and every error line contains EVERY
# (default: WANT up to its first space, the JSON path), so the document
# fails for that reason only
reject() {
	local doc=$1 want=$2 every=${3:-${2%% *}} line
	shift 3 2>/dev/null || shift $#
	run "$PY" "$VALIDATOR" --schema "$OURS" "$@" "$doc"
	echo "$output"
	[ "$status" -eq 1 ]
	[ -n "$output" ]
	grep -qF -- "$doc: $want" <<<"$output"
	while IFS= read -r line; do
		[[ $line == "$doc: "*"$every"* ]] || {
			echo "another error: $line"
			return 1
		}
	done <<<"$output"
}

# ---------------------------------------------------------------- melange

@test "sbom: every SBOM in the melange-built packages of the vectors validates" {
	need_shared
	mapfile -t docs < <(extract_sboms "$VEC"/melange-repo/*/*.apk)
	# one per package, four packages
	[ "${#docs[@]}" -eq 4 ]
	run "$PY" "$VALIDATOR" "${docs[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "sbom: an old melange SBOM (v0.3.0) fails for its two real deviations only" {
	# hello-wolfi's document names itself SPDXRef-DOCUMENT-apk-... (6.3
	# wants SPDXRef-DOCUMENT) and writes the category PACKAGE_MANAGER
	need_shared
	mapfile -t docs < <(extract_sboms "$VEC"/wolfi-unverifiable/hello-wolfi-2.12.1-r0.apk)
	doc=${docs[0]}
	run "$PY" "$VALIDATOR" --schema "$OURS" "$doc"
	echo "$output"
	[ "$status" -eq 1 ]
	grep -qF "$doc: \$.SPDXID: 'SPDXRef-DOCUMENT' was expected" <<<"$output"
	grep -qF "$doc: \$.packages[0].externalRefs[0].referenceCategory: \"PACKAGE_MANAGER\" is not one of" <<<"$output"
	while IFS= read -r line; do
		[[ $line == "$doc: \$.SPDXID: "* ||
			$line == "$doc: \$.packages[0].externalRefs[0].referenceCategory: "* ]] || {
			echo "another error: $line"
			return 1
		}
	done <<<"$output"
}

# ---------------------------------------------------------------- builderd

@test "sbom: builderd's documents (sources, subpackages, odd environment names) validate" {
	need_sbom_gen
	build_json "$W/build.json"
	mkdir "$W/out"
	run "$SBOM_GEN" "$W/build.json" "$W/out"
	echo "$output"
	[ "$status" -eq 0 ]
	mapfile -t docs <<<"$output"
	[ "${#docs[@]}" -eq 4 ]
	run "$PY" "$VALIDATOR" --created "$CREATED" "${docs[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# what they hold: both sources, and every environment package under
	# its real name with an SPDXID of its own
	"$PY" - "${docs[@]}" <<'PY'
import json, sys
for path in sys.argv[1:]:
    d = json.load(open(path))
    pk = d["packages"]
    src = [p for p in pk if p.get("primaryPackagePurpose") == "SOURCE"]
    assert [p["downloadLocation"].split(":")[0] for p in src] == ["file", "git+https"], src
    assert all(p.get("checksums") for p in src[:1]), src
    env = {p["name"]: p["SPDXID"] for p in pk if p["SPDXID"].startswith("SPDXRef-Environment-")}
    assert sorted(env) == ["a@b", "busybox", "libstdc++", "py3-foo", "py3_foo"], env
    assert len(set(env.values())) == 5, env
    assert env["py3-foo"] == "SPDXRef-Environment-py3-foo", env
PY
}

@test "sbom: builderd's document for a build with no sources and a base layer validates" {
	need_sbom_gen
	cat >"$W/build.json" <<'EOF'
{"arch": "aarch64", "source_date_epoch": 0,
 "recipe": {"name": "hello.yaml"},
 "packages": [{"name": "hello", "version": "1-r0"}],
 "env": [{"name": "base-layer", "version": "busybox"}]}
EOF
	mkdir "$W/out"
	"$SBOM_GEN" "$W/build.json" "$W/out"
	run "$PY" "$VALIDATOR" --created 1970-01-01T00:00:00Z "$W/out/hello-1-r0.spdx.json"
	echo "$output"
	[ "$status" -eq 0 ]
}

# ---------------------------------------------------------------- mutations

@test "sbom: the unchanged base document passes our schema" {
	gen_base
	mutate same 'pass'
	run "$PY" "$VALIDATOR" --schema "$OURS" --created "$CREATED" "$W/same.json"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "sbom: a document without spdxVersion fails" {
	gen_base
	mutate no-version 'del d["spdxVersion"]'
	reject "$W/no-version.json" "\$: 'spdxVersion' is a required property"
	mutate old-version 'd["spdxVersion"] = "SPDX-2.2"'
	reject "$W/old-version.json" "\$.spdxVersion: 'SPDX-2.3' was expected"
}

@test "sbom: a bad SPDXID fails, wherever it is used" {
	gen_base
	mutate bad-id '
old = d["documentDescribes"][0]
d = json.loads(json.dumps(d).replace(json.dumps(old), json.dumps("SPDXRef-Package-libstdc++")))'
	reject "$W/bad-id.json" \
		"\$.packages[0].SPDXID: 'SPDXRef-Package-libstdc++' does not match '^SPDXRef-[a-zA-Z0-9.-]+\$'" \
		"'SPDXRef-Package-libstdc++' does not match"
}

@test "sbom: a relationship to an unknown element fails" {
	gen_base
	mutate dangling 'd["relationships"].append({"spdxElementId": d["documentDescribes"][0],
	    "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-Nowhere"})'
	reject "$W/dangling.json" \
		'$.relationships[9].relatedSpdxElement: "SPDXRef-Nowhere" is not an element of this document'
	mutate docref 'd["relationships"].append({"spdxElementId": "DocumentRef-other:SPDXRef-x",
	    "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-Recipe"})'
	reject "$W/docref.json" \
		'$.relationships[9].spdxElementId: DocumentRef-other is not declared in externalDocumentRefs'
}

@test "sbom: what the spec allows in relationships passes (NOASSERTION, NONE, declared DocumentRef-)" {
	gen_base
	mutate allowed '
p = d["documentDescribes"][0]
d["externalDocumentRefs"] = [{"externalDocumentId": "DocumentRef-gcc",
    "spdxDocument": "https://example.org/spdx/gcc-13.2.0",
    "checksum": {"algorithm": "SHA1", "checksumValue": "d6a770ba38583ed4bb4525bd96e50461655d2758"}}]
d["relationships"] += [
    {"spdxElementId": p, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "NOASSERTION"},
    {"spdxElementId": p, "relationshipType": "RUNTIME_DEPENDENCY_OF", "relatedSpdxElement": "NONE"},
    {"spdxElementId": "DocumentRef-gcc:SPDXRef-Package-gcc", "relationshipType": "GENERATES",
     "relatedSpdxElement": p}]'
	run "$PY" "$VALIDATOR" --schema "$OURS" "$W/allowed.json"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "sbom: a bad creation date fails" {
	gen_base
	local bad i=0
	for bad in "2023-11-14 22:13:20Z" "2023-13-14T22:13:20Z" "2023-11-14T22:13:20" \
		"2023-11-14T24:00:00Z" "2023-11-14T22:13:20.5Z" "1700000000"; do
		i=$((i + 1))
		mutate "date$i" "d['creationInfo']['created'] = '$bad'"
		reject "$W/date$i.json" "\$.creationInfo.created: '$bad' does not match"
	done
	# well-formed, but not SOURCE_DATE_EPOCH
	reject "$BASE" '$.creationInfo.created: "2023-11-14T22:13:20Z" is not the expected "2023-11-14T22:13:21Z"' \
		'$.creationInfo.created:' --created 2023-11-14T22:13:21Z
}

@test "sbom: an unknown relationshipType fails" {
	gen_base
	mutate reltype 'd["relationships"][1]["relationshipType"] = "BUILT_FROM"'
	reject "$W/reltype.json" \
		'$.relationships[1].relationshipType: "BUILT_FROM" is not one of the 45 values SPDX 2.3 allows'
}

@test "sbom: an unknown checksum algorithm, or a digest of the wrong form, fails" {
	gen_base
	mutate alg 'd["packages"][1]["checksums"][0]["algorithm"] = "SHA-256"'
	reject "$W/alg.json" \
		'$.packages[1].checksums[0].algorithm: "SHA-256" is not one of the 17 values SPDX 2.3 allows'
	mutate short 'd["packages"][1]["checksums"][0]["checksumValue"] = 40 * "a"'
	reject "$W/short.json" "\$.packages[1].checksums[0].checksumValue: '$(printf 'a%.0s' {1..40})' is too short"
	mutate upper 'c = d["packages"][1]["checksums"][0]; c["checksumValue"] = c["checksumValue"].upper()'
	reject "$W/upper.json" '$.packages[1].checksums[0].checksumValue: ' '$.packages[1].checksums[0].checksumValue: '
	[[ $output == *"does not match '^[0-9a-f]+\$'"* ]]
}

@test "sbom: duplicate SPDXIDs, a namespace with '#', two described elements, unknown fields fail" {
	gen_base
	mutate dup 'd["packages"].append(dict(d["packages"][2]))'
	reject "$W/dup.json" \
		'$.packages[9].SPDXID: "SPDXRef-Source-1-gcc" is already the SPDXID of $.packages[2].SPDXID'
	mutate fragment 'd["documentNamespace"] += "#x"'
	reject "$W/fragment.json" '$.documentNamespace: ' '$.documentNamespace: '
	[[ $output == *"is not an absolute URI without '#'"* ]]
	mutate two 'd["documentDescribes"].append("SPDXRef-Recipe")'
	reject "$W/two.json" '$: the document describes 2 elements' '$: the document describes 2'
	mutate extra 'd["packages"][0]["packageVersion"] = "1"'
	reject "$W/extra.json" \
		"\$.packages[0]: Additional properties are not allowed ('packageVersion' was unexpected)"
}

# ---------------------------------------------------------------- schemas

@test "sbom: \$BUILDERD_SPDX_SCHEMA replaces our schema, --schema wins over it" {
	gen_base
	# a draft-07 schema, as the official one is, that wants another version
	cat >"$W/other.schema.json" <<'EOF'
{"$schema": "http://json-schema.org/draft-07/schema#",
 "type": "object", "required": ["spdxVersion"],
 "properties": {"spdxVersion": {"const": "SPDX-9.9"}}}
EOF
	BUILDERD_SPDX_SCHEMA=$W/other.schema.json run "$PY" "$VALIDATOR" "$BASE"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$BASE: \$.spdxVersion: 'SPDX-9.9' was expected" ]
	BUILDERD_SPDX_SCHEMA=$W/other.schema.json run "$PY" "$VALIDATOR" --schema "$OURS" "$BASE"
	[ "$status" -eq 0 ]
	# an unusable schema is a usage error, not a verdict on the document
	echo '{"type": 12}' >"$W/broken.schema.json"
	run "$PY" "$VALIDATOR" --schema "$W/broken.schema.json" "$BASE"
	echo "$output"
	[ "$status" -eq 2 ]
}
