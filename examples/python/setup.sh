#!/usr/bin/env bash
# Creates the virtual environment (reused while requirements.txt is unchanged)
# and generates the Python client from proto/ into examples/python/gen/.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/examples/python"
venv="${ROSTER_PYTHON_VENV:-$root/.tools/python}"
python="${PYTHON:-python3}"

if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt" 2>/dev/null; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi

# google/rpc comes from googleapis-common-protos; only Roster's own files are generated.
rm -rf "$here/gen"
mkdir -p "$here/gen"
cd "$root/proto"
"$venv/bin/python" -m grpc_tools.protoc -I . --python_out="$here/gen" --grpc_python_out="$here/gen" $(find roster -name '*.proto' | sort)
echo "$venv/bin/python"
