#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs a command under Oclgrind with data-race and API checking; fails when the command fails or
# Oclgrind reports anything. Oclgrind prints its reports to stderr (its --log file is reopened,
# emptied, by every new OpenCL context), so stderr is kept in LOG and searched for them.
# Usage: oclgrind.sh LOG COMMAND [ARGS...]
set -u
log=$1
shift
oclgrind --data-races --check-api "$@" 2> "$log"
rc=$?
cat "$log" >&2
# Oclgrind's reports: every kernel-side one names the kernel on a tab-indented "Kernel:" line (bad
# accesses, data races, divergence), the API checker's start with "Oclgrind - OpenCL runtime error"
if grep -qE "^(.*data race|Invalid (read|write)|Oclgrind - OpenCL runtime error|OCLGRIND FATAL)|^[[:space:]]+Kernel: " "$log"; then
  echo "oclgrind.sh: Oclgrind reported errors (above)" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "oclgrind.sh: the command exited with status $rc" >&2
  exit "$rc"
fi
echo "oclgrind.sh: no Oclgrind errors"
