#!/bin/bash
# kdebug run --net user (the default): the guest's eth0 comes up with its
# address by itself, reaches a server on the host's loopback through the
# slirp gateway, --guest-ip dhcp asks QEMU's DHCP server, and --forward brings
# a host port (on 127.0.0.1) to the guest.
. "$(dirname "$0")/lib.sh"
test_require qemu-system-x86_64 python3
test_require_kernel_source
KDIR=$(test_built_kernel) || exit 1

test_expect_success 'eth0 is up with 10.0.2.15/24 and a default route, no options needed' '
	kdebug run -k "$KDIR" --timeout 180 --exec "ip -4 addr show eth0; ip route" >out &&
	grep -q "inet 10.0.2.15/24" out &&
	grep -q "^default via 10.0.2.2 dev eth0" out
'

test_expect_success 'the guest opens a TCP connection to a server on the host loopback (via 10.0.2.2)' '
	echo "hello from the host $$" >served.txt &&
	python3 -c "
import http.server, socketserver, sys
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
s = socketserver.TCPServer((\"127.0.0.1\", 0), H)
print(s.server_address[1], flush=True)
s.timeout = 120
s.handle_request()
" >port 2>/dev/null &
	srv=$!
	test_cleanup "kill $srv 2>/dev/null"
	test_wait_for "test -s port" 10 &&
	kdebug run -k "$KDIR" --timeout 180 --exec "wget -q -O - http://10.0.2.2:$(cat port)/served.txt" >out &&
	grep -qx "hello from the host $$" out
'

test_expect_success '--forward HOST:GUEST reaches a listener in the guest, host side on 127.0.0.1 only' '
	hp=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])") || exit 1
	"$KDEBUG_BIN" run -k "$KDIR" --name fwd --forward "$hp:7777" --timeout 180 \
		--exec "echo guest-says-hi | nc -l -p 7777" >fwd.out 2>fwd.err &
	pid=$!
	test_cleanup "kill $pid 2>/dev/null"
	test_wait_for "grep -q KDEBUG-START $XDG_RUNTIME_DIR/kdebug/fwd/console.log 2>/dev/null" 60 &&
	ss -ltnH "sport = :$hp" >listen && grep -q "127.0.0.1:$hp" listen && ! grep -qv "127.0.0.1:$hp" listen &&
	for i in $(seq 50); do
		python3 -c "
import socket, sys
c = socket.create_connection((\"127.0.0.1\", $hp), timeout=5)
data = c.recv(100)
sys.exit(0 if data.startswith(b\"guest-says-hi\") else 1)" && break
		sleep 0.2
	done &&
	wait $pid
'

test_expect_success '--guest-ip dhcp: udhcpc gets 10.0.2.15/24 and the default route from QEMU' '
	kdebug run -k "$KDIR" --guest-ip dhcp --timeout 180 \
		--exec "cat /proc/cmdline; ip -4 addr show eth0; ip route; cat /etc/resolv.conf" >out 2>err &&
	grep -q "kdebug.net=dhcp" out &&
	grep -q "inet 10.0.2.15/24" out &&
	grep -q "^default via 10.0.2.2 dev eth0" out &&
	grep -q "^nameserver 10.0.2.3" out &&
	! grep -q "kdebug serves" err
'

test_expect_success '--net none: no NIC at all' '
	kdebug run -k "$KDIR" --net none --timeout 180 --exec "ls /sys/class/net" >out &&
	grep -qx lo out && ! grep -q eth0 out
'

test_expect_success '--nic virtio-net works the same way' '
	kdebug run -k "$KDIR" --nic virtio-net --timeout 180 \
		--exec "cat /sys/class/net/eth0/device/uevent; ip -4 addr show eth0" >out &&
	grep -q "DRIVER=virtio_net" out && grep -q "inet 10.0.2.15/24" out
'

test_expect_success 'bad input: --forward syntax, busy host port, options that need user mode' '
	test_expect_code 2 kdebug run -k "$KDIR" --forward 80 --exec true 2>err && grep -q "invalid --forward" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --net none --forward 8080:80 --exec true 2>err &&
	grep -q "needs --net user" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --net bogus --exec true 2>err && grep -q "invalid --net" err &&
	test_expect_code 2 kdebug run -k "$KDIR" --guest-ip 10.0.2.300/24 --exec true 2>err &&
	grep -q "invalid --guest-ip" err && test $(wc -l <err) = 1 &&
	test_expect_code 2 kdebug run -k "$KDIR" --net none --guest-ip dhcp --exec true 2>err &&
	grep -q "needs a network" err || exit 1
	python3 -c "import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\",0)); s.listen(); print(s.getsockname()[1], flush=True); time.sleep(30)" >busy &
	holder=$!
	test_cleanup "kill $holder 2>/dev/null"
	test_wait_for "test -s busy" 10 &&
	test_expect_code 2 kdebug run -k "$KDIR" --forward "$(cat busy):22" --exec true 2>err &&
	test $(wc -l <err) = 1 && grep -q "port $(cat busy) on 127.0.0.1 is in use" err &&
	test -z "$(ls "$XDG_RUNTIME_DIR/kdebug" 2>/dev/null)"
'

test_done
