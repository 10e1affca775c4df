#!/usr/bin/env bash
# Fetches and builds the data sets of the experiments into data/.
# The experiments implemented so far simulate neurons only and need no data; the
# data crate (Multi-MNIST family) adds its sources here when it lands.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
echo "icnet: no experiment currently needs external data; data/ is ready."
