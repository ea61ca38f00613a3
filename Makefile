# kdebug — one hand-written Makefile.  `make V=1` shows the commands.
PREFIX    ?= /usr/local
CC        ?= cc
PKGS       = jansson libarchive libmnl libelf nettle
CFLAGS    ?= -O2 -g
KD_CFLAGS  = -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
             -Ilib $(shell pkg-config --cflags $(PKGS))
LIBS       = $(shell pkg-config --libs $(PKGS))
ifdef SANITIZE
KD_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS   += -fsanitize=$(SANITIZE)
endif
KD_CFLAGS += -DKDEBUG_DATADIR='"$(abspath .)"' -DKDEBUG_INSTALL_DATADIR='"$(PREFIX)/share/kdebug"'

ifneq ($(V),1)
Q = @
quiet = @printf '  %-7s %s\n' $(1) $(2);
endif

# Rebuild everything when the flags change (e.g. SANITIZE=... after a plain build).
FLAGS_NOW := $(CC) $(CFLAGS) $(KD_CFLAGS) $(LDFLAGS)
FLAGS_OLD := $(file <.build-flags)
ifneq ($(FLAGS_NOW),$(FLAGS_OLD))
$(file >.build-flags,$(FLAGS_NOW))
endif

.build-flags: ;

# scripts/: the gdb Python and the guest's shell, embedded as C strings
# (lib/scripts.c, generated; see scripts/embed.awk and lib/scripts.h).
GDB_SCRIPTS   = $(sort $(wildcard scripts/gdb/*.py))
GUEST_SCRIPTS = $(sort $(wildcard scripts/guest/*))
GUEST_SHELL   = scripts/guest/rcS scripts/guest/exec-agent scripts/guest/udhcpc.script
SCRIPTS       = $(GDB_SCRIPTS) $(GUEST_SCRIPTS)

LIB_SRC  = $(sort $(wildcard lib/*.c) lib/scripts.c)
CMD_SRC  = $(sort $(wildcard src/*.c))
UNIT_SRC = $(sort $(wildcard t/unit/test-*.c))
LIB_OBJ  = $(LIB_SRC:.c=.o)
CMD_OBJ  = $(CMD_SRC:.c=.o)
UNIT_BIN = $(UNIT_SRC:.c=.t)

all: kdebug

lib/libkdebug.a: $(LIB_OBJ)
	$(call quiet,AR,$@)$(AR) rcs $@ $^

kdebug: $(CMD_OBJ) lib/libkdebug.a
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) lib/libkdebug.a $(LIBS)

lib/scripts.c: scripts/embed.awk $(SCRIPTS)
	$(call quiet,GEN,$@)awk -f scripts/embed.awk $(SCRIPTS) >$@.tmp && mv $@.tmp $@

%.o: %.c .build-flags
	$(call quiet,CC,$@)$(CC) $(CFLAGS) $(KD_CFLAGS) -MMD -MP -c -o $@ $<

t/unit/%.t: t/unit/%.o lib/libkdebug.a .build-flags
	$(call quiet,LINK,$@)$(CC) $(LDFLAGS) -o $@ $< lib/libkdebug.a $(LIBS)

t/unit/%.o: KD_CFLAGS += -It/unit

unit: $(UNIT_BIN)

# Every test: C unit tests and end-to-end scripts, TAP, through prove.
# T=... narrows the set, e.g. `make check T=t/t0100-rootfs.sh`.
T ?= $(UNIT_BIN) $(sort $(wildcard t/t[0-9]*.sh))
check: lint kdebug $(UNIT_BIN)
	prove --exec '' $(PROVE_OPTS) $(T)

# The scripts: Python compiles, shellcheck (the guest's /bin/sh is BusyBox's,
# so `busybox sh -n` too).
lint:
	$(call quiet,PYCOMP,scripts/gdb)PYTHONPYCACHEPREFIX=$(CURDIR)/.pycache python3 -m py_compile $(GDB_SCRIPTS)
	$(call quiet,SHCHECK,scripts/guest)shellcheck $(GUEST_SHELL)
	$(call quiet,SH-N,scripts/guest)for f in $(GUEST_SHELL); do busybox sh -n "$$f" || exit 1; done

# Fuzzing (fuzz/README): each fuzz/fuzz-NAME.c is a libFuzzer harness, built
# with clang and its sanitizers against lib/ compiled into fuzz/obj/ (never
# the objects or .build-flags of the normal build), then run for
# FUZZ_SECONDS each, one after the other, from the seeds in fuzz/corpus/NAME.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  ?= -O1 -g
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_KD_FLAGS = $(filter-out -Werror,$(KD_CFLAGS)) -Wno-string-plus-int -Ifuzz $(FUZZ_SAN)
FUZZ_NAMES    = $(patsubst fuzz/fuzz-%.c,%,$(sort $(wildcard fuzz/fuzz-*.c)))
FUZZ_BIN      = $(FUZZ_NAMES:%=fuzz/bin/fuzz-%)
FUZZ_LIB_OBJ  = $(patsubst lib/%.c,fuzz/obj/%.o,$(LIB_SRC))
FUZZ_FLAGS_NOW = $(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_KD_FLAGS)

fuzz/obj/.flags: FORCE
	@mkdir -p fuzz/obj fuzz/bin
	@if [ x'$(FUZZ_FLAGS_NOW)' != x"$$(cat $@ 2>/dev/null)" ]; then echo '$(FUZZ_FLAGS_NOW)' >$@; fi

fuzz/obj/%.o: lib/%.c fuzz/obj/.flags
	$(call quiet,FUZZCC,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_KD_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

fuzz/obj/fuzz-%.o: fuzz/fuzz-%.c fuzz/obj/.flags
	$(call quiet,FUZZCC,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_KD_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

fuzz/obj/libkdebug.a: $(FUZZ_LIB_OBJ)
	$(call quiet,AR,$@)$(AR) rcs $@ $^

fuzz/bin/fuzz-%: fuzz/obj/fuzz-%.o fuzz/obj/libkdebug.a
	$(call quiet,LINK,$@)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< fuzz/obj/libkdebug.a $(LIBS)

fuzz-build: $(FUZZ_BIN)

# Every harness for FUZZ_SECONDS; fails when one finds a crash, leak or UB.
fuzz: fuzz-build
	sh fuzz/run $(FUZZ_SECONDS) $(FUZZ_NAMES)

# What CI runs: five seconds each.
fuzz-smoke: fuzz-build
	sh fuzz/run 5 $(FUZZ_NAMES)

install: kdebug
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/kdebug/configs \
		$(DESTDIR)$(PREFIX)/share/kdebug/scripts/gdb $(DESTDIR)$(PREFIX)/share/kdebug/scripts/guest
	install -m 755 kdebug $(DESTDIR)$(PREFIX)/bin/kdebug
	install -m 644 configs/*.config $(DESTDIR)$(PREFIX)/share/kdebug/configs/
	install -m 644 $(GDB_SCRIPTS) $(DESTDIR)$(PREFIX)/share/kdebug/scripts/gdb/
	install -m 644 $(GUEST_SCRIPTS) $(DESTDIR)$(PREFIX)/share/kdebug/scripts/guest/

clean:
	$(RM) -r .pycache
	$(RM) -r fuzz/obj fuzz/bin
	$(RM) .build-flags kdebug lib/scripts.c lib/libkdebug.a lib/*.o src/*.o t/unit/*.o t/unit/*.t lib/*.d src/*.d t/unit/*.d

# The README's first command: configure Debian's linux-source-6.1 with the
# minimal debug profile, build it, boot it and hit the tutorial's breakpoint.
quickstart: kdebug
	./kdebug config
	./kdebug build
	./kdebug run --break ip_rcv --exec 'ping -c1 127.0.0.1' --expect-hit

.PHONY: all unit check lint install clean quickstart fuzz fuzz-build fuzz-smoke FORCE
.SECONDARY:
-include $(wildcard lib/*.d src/*.d t/unit/*.d fuzz/obj/*.d)
