#!/bin/bash
# When the guest kernel dies or hangs: kdebug run's crash watch (QEMU's
# pvpanic device, the console, no-progress) stops the VM at the crash site,
# prints a symbolized report with gdb's view of every CPU, writes the crash
# directory and, with --dump, a vmcore that crash and drgn open.  Exit
# status 121 for a crash, 124 for a hang; a WARN is reported and the run
# goes on.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 gdb make gcc python3 crash drgn
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1
REL=$(cat "$KDIR/include/config/kernel.release")
KO=/lib/modules/$REL/kdebug/crashme/crashme.ko
line_of() { grep -n "$1" "$TEST_DIRECTORY/modules/crashme/crashme.c" | head -n 1 | cut -d: -f1; }
crashdir() { ls -d "$KDEBUG_CACHE_DIR"/crashes/"$1"-* | tail -n 1; }
# The crash directories this script makes (in the suite's shared cache) go with it.
VMS="sysrq sysrqj oops oops0 warn warns warni spin lockup hung late ia fine"
for vm in $VMS; do
	rm -rf "$KDEBUG_CACHE_DIR"/crashes/"$vm"-*
	test_cleanup "rm -rf '$KDEBUG_CACHE_DIR'/crashes/$vm-*"
done

test_expect_success 'sysrq crash: the report names sysrq_handle_crash with file:line, status 121, a vmcore' '
	test_expect_code 121 kdebug run -k "$KDIR" --name sysrq --memory 256 --timeout 240 --dump \
		--exec "echo c > /proc/sysrq-trigger" >out 2>err &&
	grep -q "^VM sysrq: the guest kernel crashed (panic): Kernel panic - not syncing: sysrq triggered crash; at sysrq_handle_crash (drivers/tty/sysrq.c:[0-9]*)" out &&
	grep -Eq "sysrq_handle_crash\+0x[0-9a-f]+/0x[0-9a-f]+ drivers/tty/sysrq.c:[0-9]+" out &&
	grep -q "== gdb: the stopped CPU" out &&
	grep -q "^rip " out &&
	grep -q "== gdb: every CPU ==" out &&
	grep -q "sysrq_handle_crash" out &&
	grep -q "== the kernel log, last lines (lx-dmesg) ==" out &&
	dir=$(crashdir sysrq) &&
	test -s "$dir/report.txt" && test -s "$dir/report.json" && test -s "$dir/console.log" &&
	test -s "$dir/vmcore" &&
	test_meta_field "$dir/meta.json" kind >kind && test "$(cat kind)" = panic &&
	grep -q "crash report in $dir/report.txt, vmcore $dir/vmcore" err &&
	! ls "$XDG_RUNTIME_DIR"/kdebug/sysrq 2>/dev/null
'

# sysrq_handle_crash() ends in a call of the noreturn panic(): its return
# address is the first byte of the next function, and crash 8.0.2 names the
# frame after that one (sysrq_reset_seq_param_set); the path is checked.
test_expect_success 'crash in batch mode on that vmcore: the crashing task, the sysrq path' '
	printf "bt\nquit\n" | kdebug crash sysrq >crash.out 2>crash.err &&
	grep -q "PANIC: \"Kernel panic - not syncing: sysrq triggered crash\"" crash.out &&
	sed -n "/^PID: .*COMMAND: \"sh\"/,\$p" crash.out >bt &&
	grep -q "\] panic at " bt && grep -q "\] __handle_sysrq at " bt && grep -q "\] write_sysrq_trigger at " bt
'

test_expect_success 'drgn reads init_task and the release from that vmcore' '
	printf "%s\n" "print(prog[\"init_task\"].comm.string_().decode())" \
		"print(prog[\"init_uts_ns\"].name.release.string_().decode())" >probe.py &&
	kdebug drgn sysrq -- probe.py >drgn.out 2>drgn.err &&
	grep -qx "swapper/0" drgn.out &&
	grep -qx "$REL" drgn.out
'

test_expect_success '--json: one JSON object with kind, message and symbolized frames' '
	test_expect_code 121 kdebug run -k "$KDIR" --name sysrqj --memory 256 --timeout 240 --json \
		--exec "echo c > /proc/sysrq-trigger" >out 2>err &&
	tail -n 1 out >report.json &&
	python3 - report.json <<-\EOF
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["kind"] == "panic", r["kind"]
	assert "sysrq triggered crash" in r["message"], r["message"]
	assert r["cpu"] == 0 and r["comm"] == "sh", (r["cpu"], r["comm"])
	f = [f for f in r["frames"] if f["function"] == "sysrq_handle_crash"][0]
	assert f["file"] == "drivers/tty/sysrq.c" and f["line"] > 0 and f["module"] is None, f
	assert "sysrq_handle_crash" in r["gdb"]["cpus"]
	assert r["vmcore"] is None and r["directory"]
	EOF
'

test_expect_success 'build the crash-test module' '
	cp -r "$TEST_DIRECTORY/modules/crashme" crashme &&
	kdebug module build crashme --kernel "$KDIR" >/dev/null 2>&1 &&
	test -f crashme/crashme.ko
'

test_expect_success 'a NULL dereference in a module: the report names the module function and its line' '
	test_expect_code 121 kdebug run -k "$KDIR" --name oops --memory 256 --timeout 240 --module "$PWD/crashme" \
		--dump --exec "insmod $KO mode=oops" >out 2>err &&
	grep -q "^VM oops: the guest kernel crashed (oops): BUG: kernel NULL pointer dereference" out &&
	grep -q "at crashme_deref \[crashme\] (.*crashme.c:$(line_of "the NULL dereference"))" out &&
	grep -Eq "^RIP: 0010:crashme_deref\+0x0/0x[0-9a-f]+ \[crashme\] .*crashme.c:$(line_of "the NULL dereference")" out &&
	grep -q "^then: Kernel panic - not syncing: Fatal exception" out
'

test_expect_success 'crash on the module oops: the exception frame names the module function' '
	printf "bt\nquit\n" | kdebug crash oops >crash.out 2>crash.err &&
	grep -q "COMMAND: \"insmod\"" crash.out &&
	grep -q "\[exception RIP: crashme_deref" crash.out &&
	grep -q "\] do_one_initcall at " crash.out
'

test_expect_success 'the same with panic_on_oops off: caught from the console, still status 121' '
	test_expect_code 121 kdebug run -k "$KDIR" --name oops0 --memory 256 --timeout 240 --module "$PWD/crashme" \
		--exec "echo 0 >/proc/sys/kernel/panic_on_oops; insmod $KO mode=oops" >out 2>err &&
	grep -q "^VM oops0: the guest kernel crashed (oops): BUG: kernel NULL pointer dereference" out &&
	grep -q "at crashme_deref \[crashme\] (.*crashme.c:$(line_of "the NULL dereference"))" out &&
	! grep -q "^then: Kernel panic" out
'

test_expect_success 'a WARN is reported and the run goes on with the command status' '
	kdebug run -k "$KDIR" --name warn --memory 256 --timeout 240 --module "$PWD/crashme" \
		--exec "insmod $KO mode=warn && echo LOADED" >out 2>err &&
	grep -q "^LOADED" out &&
	grep -q "the guest kernel warned (the run goes on" err &&
	grep -q "crashme_warn+0x[0-9a-f]*/0x[0-9a-f]* \[crashme\] .*crashme.c:$(line_of "warned as asked")" err
'

test_expect_success '--on-warn stop: the WARN is the crash' '
	test_expect_code 121 kdebug run -k "$KDIR" --name warns --memory 256 --timeout 240 --module "$PWD/crashme" \
		--on-warn stop --exec "insmod $KO mode=warn && echo LOADED" >out 2>err &&
	grep -q "^VM warns: the guest kernel crashed (warn): WARNING: CPU: 0 PID: [0-9]* at .*crashme.c:[0-9]* crashme_warn" out &&
	! grep -q "^LOADED" out
'

test_expect_success '--on-warn ignore: nothing said' '
	kdebug run -k "$KDIR" --name warni --memory 256 --timeout 240 --module "$PWD/crashme" \
		--on-warn ignore --exec "insmod $KO mode=warn && echo LOADED" >out 2>err &&
	grep -q "^LOADED" out && ! grep -q "warned" err
'

test_expect_success 'a spin with interrupts off: --hang-timeout catches it, gdb names the function, status 124' '
	start=$(date +%s) &&
	test_expect_code 124 kdebug run -k "$KDIR" --name spin --memory 256 --timeout 240 --module "$PWD/crashme" \
		--hang-timeout 5 --exec "insmod $KO mode=spin" >out 2>err &&
	test $(($(date +%s) - start)) -lt 120 &&
	grep -q "^VM spin: the guest kernel hung (hang): no console output for 5 s while the command ran" out &&
	grep -q "crashme_spin () at .*crashme.c:" out
'

test_expect_success 'a soft lockup: the kernel detector names the spinning function, status 124' '
	test_expect_code 124 kdebug run -k "$KDIR" --name lockup --memory 256 --timeout 240 --module "$PWD/crashme" \
		--append watchdog_thresh=1 --exec "insmod $KO mode=lockup" >out 2>err &&
	grep -q "^VM lockup: the guest kernel hung (soft-lockup): watchdog: BUG: soft lockup - CPU#0 stuck for [0-9]*s! \[insmod:[0-9]*\]; at crashme_lockup \[crashme\] (.*crashme.c:$(line_of "the soft lockup"))" out
'

test_expect_success 'a hung task: the kernel detector, status 124' '
	test_expect_code 124 kdebug run -k "$KDIR" --name hung --memory 256 --timeout 240 --module "$PWD/crashme" \
		--exec "echo 2 >/proc/sys/kernel/hung_task_timeout_secs; insmod $KO mode=hung" >out 2>err &&
	grep -q "^VM hung: the guest kernel hung (hung-task): INFO: task insmod:[0-9]* blocked for more than" out
'

test_expect_success '--timeout is a hang too: every CPU in the report' '
	test_expect_code 124 kdebug run -k "$KDIR" --name late --memory 256 --timeout 20 \
		--exec "sleep 1000" >out 2>err &&
	grep -q "^VM late: the guest kernel hung (hang): the run did not finish within --timeout 20 s" out &&
	grep -q "== gdb: every CPU ==" out
'

test_expect_success 'interactive: the VM stays at the crash site and kdebug gdb sees the crash path' '
	python3 "$TEST_DIRECTORY/interactive.py" --type "echo c > /proc/sysrq-trigger" --expect "paused at the crash site" \
		--host "\"$KDEBUG_BIN\" gdb ia --batch bt >gdb.out 2>&1" --code 121 \
		"$KDEBUG_BIN" run -k "$KDIR" --name ia --memory 256 >tty.out 2>&1 &&
	grep -q "sysrq_handle_crash" gdb.out &&
	grep -q "panic" gdb.out
'

test_expect_success 'a guest without problems reports nothing' '
	kdebug run -k "$KDIR" --name fine --memory 256 --timeout 240 --exec "echo FINE" >out 2>err &&
	test "$(cat out)" = FINE && ! grep -q "crash\|hung\|warned" err
'

test_expect_success 'bad input: refused before boot, nothing left' '
	test_expect_code 2 kdebug run -k "$KDIR" --name bad --dump=/nonexistent/dir/core --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q "nonexistent/dir/core" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --name bad --dump --dump-format zip --exec true 2>err &&
	grep -q "dump-format" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --name bad --hang-timeout 5 2>err &&
	grep -q "needs --exec" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --name bad --on-warn maybe --exec true 2>err &&
	grep -q "invalid --on-warn" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --name bad --no-watch --dump --exec true 2>err &&
	! ls "$XDG_RUNTIME_DIR"/kdebug/bad 2>/dev/null
'

test_done
