#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs Intel's OpenCL CPU runtime next to PoCL on Debian 12 and registers both in one vendors
# folder: the pip wheel opencl-rt (libintelocl.so), TBB from Debian, an intel.icd holding the
# library's full path, and a copy of pocl.icd beside it. Prints the OCL_ICD_VENDORS value that
# makes both drivers visible (select one with --device intel / --device pocl or DEBERTACL_DEVICE).
#
#   tools/install_intel_ocl.sh [VENDORS_DIR]      (default /opt/ocl-vendors)
#   export OCL_ICD_VENDORS=/opt/ocl-vendors
set -euo pipefail

vendors=${1:-/opt/ocl-vendors}
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo

missing=()
for p in libtbb12 libtbbmalloc2 python3-pip ocl-icd-libopencl1 pocl-opencl-icd; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_intel_ocl: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
if ! "$python" -m pip show opencl-rt >/dev/null 2>&1; then
  echo "install_intel_ocl: pip install opencl-rt"
  # Debian's own Python refuses system-wide pip installs (PEP 668) unless told otherwise
  "$python" -m pip install --quiet opencl-rt 2>/dev/null ||
    "$python" -m pip install --quiet --break-system-packages opencl-rt
fi

# the wheel's files are listed relative to its Location
location=$("$python" -m pip show -f opencl-rt | sed -n 's/^Location: //p')
rel=$("$python" -m pip show -f opencl-rt | sed -n 's/^ *\(.*libintelocl\.so\)$/\1/p' | head -n 1)
if [ -z "$location" ] || [ -z "$rel" ]; then
  echo "install_intel_ocl: libintelocl.so is not among the files of the opencl-rt wheel" >&2
  exit 1
fi
lib=$(realpath "$location/$rel")
[ -f "$lib" ] || { echo "install_intel_ocl: $lib does not exist" >&2; exit 1; }

$SUDO mkdir -p "$vendors"
echo "$lib" | $SUDO tee "$vendors/intel.icd" >/dev/null
if [ -f /etc/OpenCL/vendors/pocl.icd ]; then
  $SUDO cp /etc/OpenCL/vendors/pocl.icd "$vendors/pocl.icd"
fi
echo "install_intel_ocl: $vendors/intel.icd -> $lib"
echo "export OCL_ICD_VENDORS=$vendors"
