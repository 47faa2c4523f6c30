# SPDX-License-Identifier: GPL-2.0
# sdp: `make` builds net/sdp/sdp.ko against KDIR (default: the installed
# Debian headers). `make check` runs every check (last line: "N passed, N
# failed[, N skipped]"); see README.md for the other targets.
KVER ?= $(shell ls /lib/modules 2>/dev/null | grep -- '-amd64$$' | sort -V | tail -1)
KDIR ?= /lib/modules/$(KVER)/build
export KVER

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-[ ! -f tools/selftests/Makefile ] || $(MAKE) -C tools/selftests clean
	rm -rf build

# everything; prints "N passed, N failed[, N skipped]" last
check:
	@scripts/check.sh

# checkpatch --strict on the module, the KUnit tests and the uapi header
checkpatch:
	@scripts/check.sh --only checkpatch

# only the in-guest parts, against the last builds in build/mod-*
check-guests:
	@scripts/check.sh --only kunit,selftests-debug,selftests-stock,selftests-stock-2g

# the debug kernel (cached under /var/cache/sdp) and the modules for it
debug-kernel:
	@scripts/debug-kernel.sh

debug-modules:
	@scripts/check.sh --only build-debug

# rxe without sdp: perftest over loopback in one stock guest
smoke:
	scripts/vm.sh --kernel stock --no-sdp --log smoke --cmd \
	  'rdma link show && ibv_devices && { ib_send_bw -d rxe0 -R -n 100 & sleep 2; ib_send_bw -d rxe0 -R -n 100 $$SDP_PEER; }'

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh

.PHONY: all modules clean check checkpatch check-guests debug-kernel \
	debug-modules smoke demo bench
