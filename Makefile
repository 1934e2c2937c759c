# builderd: one non-recursive Makefile for every binary, library and test.
#
#   make                 build builderctl, builderd, builder-sandbox
#   make check           install test dependencies, build, run unit + e2e
#                        (+ escape suite as root), then unit tests under
#                        ASan/UBSan; last line "N passed, N failed"
#   make asan            ASan/UBSan build of the unit tests in build/asan
#   make demo            the main job (README)
#   make fuzz FUZZER=apk_read FUZZ_SECONDS=60
#                        run one libFuzzer target for a given time
#   make install         PREFIX=/usr/local DESTDIR=
#   make format-check    clang-format --dry-run on every C file
#   make bench-sandbox   builder-sandbox start-up time against bwrap
#   make clean
#
# Each top-level folder is a module with one third-party library behind it
# (docs: ../shared/docs/DESIGN.md); sources are found by wildcard, so adding
# a .c file to a module needs no change here.  Quiet unless V=1.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/builderd
DATADIR ?= $(PREFIX)/share/builderd
DESTDIR ?=
BUILD ?= build
CC ?= cc
PKG_CONFIG ?= pkg-config
SANITIZE ?= 0
VERSION ?= 0.1.0

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wswitch-enum -Wpointer-arith -Wvla -Wcast-qual -Wimplicit-fallthrough

ifeq ($(SANITIZE),1)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDOPT := -fsanitize=address,undefined
else
OPT := -O2 -g -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
LDOPT := -pie -Wl,-z,relro,-z,now -Wl,--as-needed
endif

BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -I. $(WARN) $(OPT) -MMD -MP \
	-DBD_VERSION='"$(VERSION)"' -DBD_DATADIR='"$(DATADIR)"' -DBD_LIBEXECDIR='"$(LIBEXECDIR)"'
CFLAGS ?=
LDFLAGS ?=

# pkg-config modules owned by each folder (one library, one folder)
PKG_common :=
PKG_apk := libcrypto zlib libarchive
PKG_recipe := yaml-0.1 libpcre2-8
PKG_sandbox := libseccomp libcap
PKG_proto := jansson libcurl
PKG_builderd := sqlite3 libevent
PKG_builderctl :=
PKG_tests := cmocka

pkgcflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkglibs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

# ---------------------------------------------------------------- modules
# Library modules: every .c except the ones that hold a main().
LIBMODS := common apk recipe sandbox proto builderd
MAINS := builderd/main.c sandbox/builder-sandbox.c sandbox/seccomp-gen.c
$(foreach m,$(LIBMODS),$(eval SRCS_$(m) := $(filter-out $(MAINS),$(wildcard $(m)/*.c))))
$(foreach m,$(LIBMODS),$(eval OBJS_$(m) := $(SRCS_$(m):%.c=$(BUILD)/obj/%.o)))
$(foreach m,$(LIBMODS),$(eval LIB_$(m) := $(BUILD)/lib/libbd_$(m).a))

# link order: dependents first
LINK_LIBS := $(foreach m,builderd proto recipe sandbox apk common,$(if $(SRCS_$(m)),$(LIB_$(m))))
ALL_PKGS := $(PKG_apk) $(PKG_recipe) $(PKG_sandbox) $(PKG_proto) $(PKG_builderd) $(PKG_builderctl)
ALL_PKGLIBS := $(call pkglibs,$(ALL_PKGS))

# per-module compile flags (pattern-specific variables)
$(foreach m,$(LIBMODS) builderctl,$(eval $(BUILD)/obj/$(m)/%.o: MODFLAGS := $(call pkgcflags,$(PKG_$(m)))))
$(BUILD)/obj/tests/%.o: MODFLAGS := $(call pkgcflags,$(PKG_tests) $(ALL_PKGS))

# ---------------------------------------------------------------- binaries
BIN_builderctl := $(BUILD)/bin/builderctl
SRCS_builderctl := $(wildcard builderctl/*.c)
BINS := $(BIN_builderctl)
ifneq ($(wildcard builderd/main.c),)
BINS += $(BUILD)/bin/builderd
endif
ifneq ($(wildcard sandbox/builder-sandbox.c),)
BINS += $(BUILD)/bin/builder-sandbox
endif

# ---------------------------------------------------------------- tests
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_HELPERS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJS := $(UNIT_HELPERS:%.c=$(BUILD)/obj/%.o)
TEST_PROGS_SRCS := $(wildcard tests/progs/*.c)
TEST_PROGS := $(TEST_PROGS_SRCS:tests/progs/%.c=$(BUILD)/tests/progs/%)
# test-only tools linked against the libraries (never installed)
TEST_TOOLS_SRCS := $(wildcard tests/tools/*.c)
TEST_TOOLS := $(TEST_TOOLS_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)

# builder-sandbox's escape tests: a second build with -DBD_SANDBOX_TESTING,
# the only one that accepts --test-disable (control runs with a protection
# off); never installed.  And the busybox rootfs the tests run in.
ifneq ($(wildcard sandbox/builder-sandbox.c),)
SANDBOX_TESTING := $(BUILD)/tests/bin/builder-sandbox-testing
SANDBOX_TESTING_OBJS := $(SRCS_sandbox:%.c=$(BUILD)/obj/testing/%.o) \
	$(BUILD)/obj/testing/sandbox/builder-sandbox.o
ROOTFS_BUSYBOX := $(BUILD)/rootfs/busybox/bin/busybox
endif

.SECONDARY:
.DELETE_ON_ERROR:

.PHONY: all check check-build test asan unit-tests fuzz fuzz-build install clean format format-check deps \
	bench-sandbox demo

all: $(BINS)

$(BUILD)/obj/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(MODFLAGS) $(CFLAGS) -c -o $@ $<

$(foreach m,$(LIBMODS),$(eval $(LIB_$(m)): $(OBJS_$(m))))
$(BUILD)/lib/%.a:
	$(call say,AR,$@)
	@mkdir -p $(@D)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN_builderctl): $(SRCS_builderctl:%.c=$(BUILD)/obj/%.o) $(LINK_LIBS)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDOPT) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LINK_LIBS) $(ALL_PKGLIBS)

$(BUILD)/bin/builderd: $(BUILD)/obj/builderd/main.o $(LINK_LIBS)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDOPT) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(ALL_PKGLIBS)

# builder-sandbox's seccomp filter is compiled at build time (sandbox/seccomp-gen.c)
SECCOMP_GEN := $(BUILD)/tools/seccomp-gen
SECCOMP_BPF_O := $(BUILD)/obj/gen/seccomp-bpf.o

$(SECCOMP_GEN): $(BUILD)/obj/sandbox/seccomp-gen.o $(LIB_sandbox) $(LIB_common)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDOPT) $(LDFLAGS) -o $@ $< $(LIB_sandbox) $(LIB_common) $(call pkglibs,$(PKG_sandbox))

$(BUILD)/gen/seccomp-bpf.c: $(SECCOMP_GEN)
	$(call say,GEN,$@)
	@mkdir -p $(@D)
	$(Q)$(SECCOMP_GEN) >$@.tmp && mv $@.tmp $@

$(SECCOMP_BPF_O): $(BUILD)/gen/seccomp-bpf.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/bin/builder-sandbox: $(BUILD)/obj/sandbox/builder-sandbox.o $(SECCOMP_BPF_O) $(LINK_LIBS)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDOPT) $(LDFLAGS) -o $@ $< $(SECCOMP_BPF_O) $(LINK_LIBS) $(ALL_PKGLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o $(UNIT_HELPER_OBJS) $(LINK_LIBS)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDOPT) $(LDFLAGS) -o $@ $< $(UNIT_HELPER_OBJS) $(LINK_LIBS) $(ALL_PKGLIBS) \
		$(call pkglibs,$(PKG_tests))

$(BUILD)/tests/tools/%: $(BUILD)/obj/tests/tools/%.o $(LINK_LIBS)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDOPT) $(LDFLAGS) -o $@ $< $(LINK_LIBS) $(ALL_PKGLIBS)

# small static probe programs used by e2e and escape tests
$(BUILD)/tests/progs/%: tests/progs/%.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -std=c11 -D_GNU_SOURCE -O1 -static -Wall -Werror -o $@ $<

$(BUILD)/obj/testing/%.o: %.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE_CFLAGS) -DBD_SANDBOX_TESTING $(call pkgcflags,$(PKG_sandbox)) $(CFLAGS) -c -o $@ $<

$(SANDBOX_TESTING): $(SANDBOX_TESTING_OBJS) $(SECCOMP_BPF_O) $(LIB_common)
	$(call say,LINK,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDOPT) $(LDFLAGS) -o $@ $(SANDBOX_TESTING_OBJS) $(SECCOMP_BPF_O) $(LIB_common) \
		$(call pkglibs,$(PKG_sandbox))

$(ROOTFS_BUSYBOX): scripts/mkrootfs-busybox
	$(call say,ROOTFS,$(@D:%/bin=%))
	$(Q)scripts/mkrootfs-busybox $(@D:%/bin=%)

bench-sandbox: all $(ROOTFS_BUSYBOX)
	$(Q)BUILD=$(BUILD) tests/bench/sandbox-start

unit-tests: $(UNIT_BINS) $(TEST_TOOLS)

check-build: all unit-tests $(TEST_PROGS) $(SANDBOX_TESTING) $(ROOTFS_BUSYBOX)

deps:
	$(Q)scripts/install-deps

# `check` installs what the tests need, then re-enters make so that the
# pkg-config queries above see the freshly installed libraries.
check: deps
	$(Q)$(MAKE) --no-print-directory test

test: check-build
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 unit-tests
	$(Q)BUILD=$(BUILD) tests/run

# the README's main job
demo: all
	$(Q)scripts/demo

asan:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=1 unit-tests

# ---------------------------------------------------------------- fuzzing
# clang libFuzzer builds of tests/fuzz/fuzz_<name>.c against the sources
# (not the hardened archives) so coverage instrumentation reaches them.
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
	-DBD_VERSION='"$(VERSION)"' -DBD_DATADIR='"$(DATADIR)"'
FUZZ_LIB_SRCS := $(SRCS_common) $(SRCS_apk) $(SRCS_recipe)
FUZZ_SECONDS ?= 60

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_SRCS)
	$(call say,FUZZCC,$<)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) $(call pkgcflags,$(PKG_apk) $(PKG_recipe)) -o $@ $< \
		$(FUZZ_LIB_SRCS) $(call pkglibs,$(PKG_apk) $(PKG_recipe))

fuzz-build: $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

fuzz: $(BUILD)/fuzz/fuzz_$(FUZZER)
	@test -n "$(FUZZER)" || { echo "usage: make fuzz FUZZER=<$(FUZZ_NAMES)> [FUZZ_SECONDS=60]"; exit 2; }
	@mkdir -p $(BUILD)/fuzz/corpus-$(FUZZER)
	$(BUILD)/fuzz/fuzz_$(FUZZER) -max_total_time=$(FUZZ_SECONDS) -max_len=1048576 \
		-rss_limit_mb=2048 -print_final_stats=1 $(BUILD)/fuzz/corpus-$(FUZZER) \
		$(wildcard tests/fuzz/corpus/$(FUZZER))

# ---------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(BIN_builderctl) $(DESTDIR)$(BINDIR)/builderctl
	$(if $(wildcard $(BUILD)/bin/builderd),install -m 0755 $(BUILD)/bin/builderd $(DESTDIR)$(BINDIR)/builderd)
	$(if $(wildcard $(BUILD)/bin/builder-sandbox),install -m 0755 $(BUILD)/bin/builder-sandbox $(DESTDIR)$(BINDIR)/builder-sandbox)
	$(if $(wildcard pipelines),cp -R pipelines $(DESTDIR)$(DATADIR)/)

# ---------------------------------------------------------------- format
C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build/*')

format:
	clang-format -i $(C_FILES)

format-check:
	$(Q)clang-format --dry-run --Werror $(C_FILES) && echo "format-check: $(words $(C_FILES)) files clean"

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
