#!/bin/bash
# The command line: help, unknown commands, exit codes.
. "$(dirname "$0")/lib.sh"

test_expect_success 'kdebug help lists the commands' '
	kdebug help >out &&
	grep -q "^  run " out && grep -q "^  rootfs " out && grep -q "^  gdbserver " out
'

test_expect_success 'unknown command suggests the closest one, exit 2' '
	test_expect_code 2 kdebug rnu 2>err &&
	grep -q "did you mean .run." err
'

test_expect_success 'no command is a usage error' '
	test_expect_code 2 kdebug 2>err && grep -q usage err
'

test_expect_success 'kdebug --version' '
	kdebug --version | grep -q "^kdebug "
'

test_done
