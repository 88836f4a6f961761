#!/usr/bin/env bash
# Puts `earshot` on the PATH: a symlink to this checkout's bin/earshot.js in /usr/local/bin (or
# EARSHOT_BIN_DIR) when that directory is writable (root), else prints how. Safe to run again: it never
# replaces a file that is not a symlink, nor a link to another checkout that still exists.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$(pwd -P)/bin/earshot.js"
dir="${EARSHOT_BIN_DIR:-/usr/local/bin}"
link="$dir/earshot"

if [ -L "$link" ] && [ "$(readlink -f "$link")" = "$target" ]; then
  exit 0
fi
if [ -e "$link" ] && [ ! -L "$link" ]; then
  echo "Not linking earshot: $link exists and is not a symlink (left as it is)." >&2
  exit 0
fi
if [ -L "$link" ] && [ -e "$link" ]; then
  echo "\`earshot\` on the PATH is $(readlink -f "$link"), not this checkout; to switch: ln -sfn $target $link" >&2
  exit 0
fi
if [ -d "$dir" ] && [ -w "$dir" ]; then
  ln -sfn "$target" "$link"
  echo "Linked $link -> $target"
  case ":$PATH:" in *":$dir:"*) ;; *) echo "($dir is not on your PATH)" >&2 ;; esac
else
  echo "To run \`earshot\` from anywhere: sudo ln -s $target $link   (or: npm link)" >&2
fi
