/* SPDX-License-Identifier: MIT */
/* fuzz_recipe: libFuzzer target for the recipe loader and compiler.
 *
 * Each input is a recipe: it goes through the YAML loader (limits, merge
 * keys, aliases), the strict decoder, both substitution phases and the
 * compiler, and a successful plan is rendered as JSON and as shell.  The
 * limits are lowered so a slow input shows up as a timeout rather than
 * hiding behind the production limits.  Built-in pipelines come from
 * $BUILDERD_PIPELINE_DIR or ./pipelines (make fuzz runs from the top). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/util.h"
#include "recipe/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bd_pipeline_cache *cache;
	static const struct bd_yaml_limits lim = {
		.max_bytes = 1 << 20,
		.max_depth = 64,
		.max_nodes = 50000,
	};
	const char *dir = getenv("BUILDERD_PIPELINE_DIR");
	struct bd_diags d = { .max = 50 };
	struct bd_recipe_opts o = {
		.arch = size && (data[0] & 1) ? "aarch64" : "x86_64",
		.builtin_dir = dir && *dir ? dir : "pipelines",
		.diags = &d,
		.limits = &lim,
	};
	struct bd_plan *plan = NULL;
	struct bd_err err = { 0 };

	if (!cache)
		cache = bd_pipeline_cache_new();
	o.cache = cache;
	if (bd_recipe_compile_buffer("fuzz.yaml", (const char *)data, size, &o, &plan, &err) == 0) {
		struct bd_buf b = { 0 };
		bd_plan_to_json(plan, &b);
		bd_plan_to_shell(plan, &b);
		bd_buf_free(&b);
		bd_plan_free(plan);
	}
	bd_diags_free(&d);
	return 0;
}
