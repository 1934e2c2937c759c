# recipe_helpers.bash: shared setup for the recipe engine's bats tests.

recipe_setup() {
	# tests/run exports these; run directly, bats finds the tree it is in
	TOP=${BUILDERD_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
	BCTL=${BUILDERD_BIN:-$TOP/build/bin}/builderctl
	if [[ -z ${BUILDERD_SHARED:-} && -d $TOP/../shared ]]; then
		BUILDERD_SHARED=$(cd "$TOP/../shared" && pwd)
	fi
	DATA=$TOP/tests/data/recipe
	# the built-in pipelines of this tree, whatever the binary's location
	export BUILDERD_PIPELINE_DIR=$TOP/pipelines
	TMP=$(mktemp -d "${BATS_TMPDIR:-/tmp}/bd-recipe.XXXXXX")
}

recipe_teardown() {
	[[ -n ${TMP:-} ]] && rm -rf "$TMP"
}

# skip_without_corpus: the Wolfi corpus lives in ../shared
skip_without_corpus() {
	if [[ -z ${BUILDERD_SHARED:-} || ! -d $BUILDERD_SHARED/corpus/wolfi/recipes ]]; then
		skip "BUILDERD_SHARED is not set: no Wolfi corpus (../shared) to test against"
	fi
	CORPUS=$BUILDERD_SHARED/corpus/wolfi
}

# lint_in DIR ARGS...: run builderctl lint from DIR (so file names in
# messages are the short ones the tests compare)
lint_in() {
	local dir=$1
	shift
	cd "$dir" && run "$BCTL" lint "$@"
}
