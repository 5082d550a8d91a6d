#!/usr/bin/env bash
# Build the wheel, install it without extras into a fresh venv outside the checkout
# on the newest Python available, and run the core smoke test there; then add the
# mujoco extra (no PyBullet: it has no wheels past Python 3.11) and run a scenario on MuJoCo.
#   .ci/wheel_smoke.sh [DEV_PYTHON] [TARGET_PYTHON]
# ARMJAC_SMOKE_CONSTRAINT adds a requirement, e.g. "numpy<2" to test numpy 1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEV_PY="${1:-$ROOT/.venv/bin/python}"
TARGET="${2:-${ARMJAC_SMOKE_PYTHON:-}}"
if [[ -z "$TARGET" ]]; then
    for v in 3.13.0 3.13 3.12.1 3.12; do
        cand="$(pyenv root 2>/dev/null)/versions/$v/bin/python3"
        if [[ -x "$cand" ]]; then TARGET="$cand"; break; fi
    done
    [[ -z "$TARGET" ]] && TARGET="$(command -v python3.13 || command -v python3.12 || true)"
fi
if [[ -z "$TARGET" ]] || ! "$TARGET" -c 'import sys' 2>/dev/null; then
    echo "wheel smoke test SKIPPED: no Python 3.12/3.13 found (set ARMJAC_SMOKE_PYTHON)"
    exit 0
fi
start=$SECONDS
TMP="$(mktemp -d /tmp/armjac-wheel.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT
"$DEV_PY" -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir "$TMP/dist" "$ROOT" \
    >"$TMP/build.log" 2>&1 \
    || { cat "$TMP/build.log"; exit 1; }
rm -rf "$ROOT/build"  # setuptools' scratch folder
WHEEL="$(ls "$TMP"/dist/armjac-*.whl)"
cp "$ROOT/configs/arms/pybullet_data/xarm/xarm6_robot.urdf" "$TMP/xarm6.urdf"
"$DEV_PY" "$ROOT/.ci/core_reference.py" "$TMP/reference.json" "$TMP/xarm6.urdf"
"$TARGET" -m venv "$TMP/venv"
# outside the checkout, and without PYTHONPATH: nothing may shadow the installed package
unset PYTHONPATH
"$TMP/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL" \
    ${ARMJAC_SMOKE_CONSTRAINT:+"$ARMJAC_SMOKE_CONSTRAINT"} \
    >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; exit 1; }
echo "core install: $("$TMP/venv/bin/python" -m pip list --format=freeze 2>/dev/null | tr '\n' ' ')"
cd "$TMP"
ARMJAC_CACHE_DIR="$TMP/cache" "$TMP/venv/bin/python" "$ROOT/.ci/smoke_core.py" \
    "$TMP/reference.json" "$TMP/xarm6.urdf" "$ROOT"
mujoco_start=$SECONDS
"$TMP/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$WHEEL[mujoco]" \
    ${ARMJAC_SMOKE_CONSTRAINT:+"$ARMJAC_SMOKE_CONSTRAINT"} \
    >"$TMP/install_mujoco.log" 2>&1 || { cat "$TMP/install_mujoco.log"; exit 1; }
MUJOCO_GL=egl ARMJAC_CACHE_DIR="$TMP/cache" "$TMP/venv/bin/python" "$ROOT/.ci/smoke_mujoco.py"
echo "mujoco extra: install and reach took $((SECONDS - mujoco_start)) s"
echo "wheel $(basename "$WHEEL") ($(du -k "$WHEEL" | cut -f1) KB) on $("$TARGET" --version):" \
     "smoke step took $((SECONDS - start)) s"
