#!/usr/bin/env bash
# The main job: what a new user runs after setup to see debertacl work on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/tools/debertacl
echo "== OpenCL devices"
$bin devices
