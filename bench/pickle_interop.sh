#!/usr/bin/env bash
# Interop check of `airm scan` verdicts on real CPython pickles (protocols 0-5) and real
# joblib output (every compress= setting), and HDF5 files written by h5py. joblib, numpy and
# h5py go into a venv under target/.
# Usage: bench/pickle_interop.sh [DIR]   (files are written to DIR, default /tmp/airm-interop)
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-/tmp/airm-interop}"
venv=target/joblib-venv
cargo build --locked -p airm-scan --example scan_path >/dev/null
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import joblib, numpy, h5py' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q joblib numpy h5py
fi
"$venv/bin/python" bench/pickle_interop.py target/debug/examples/scan_path "$dir"
