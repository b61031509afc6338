#!/usr/bin/env bash
# Builds static/vendor/plotly/plotly-smm.min.js: plotly.js with only the traces our pages draw
# (scatterpolar for the radar, scatter for the heatmap's tiles, bar for change over time), a
# quarter of the full bundle's size (issue 16: a first visit under 1 MB compressed). Run it by
# hand when upgrading plotly.js; the output is committed, so neither CI nor `make run` needs npm.
set -euo pipefail
VERSION="${PLOTLY_VERSION:-3.7.0}"
ESBUILD_VERSION="${ESBUILD_VERSION:-0.28.2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund -E "plotly.js@$VERSION" "esbuild@$ESBUILD_VERSION"
cat > entry.js <<'JS'
var Plotly = require("plotly.js/lib/core");
Plotly.register([require("plotly.js/lib/scatterpolar"), require("plotly.js/lib/bar")]);
module.exports = Plotly;
JS
# plotly.js's own build settings (its esbuild-config.js); its CSS (map styles) is not wanted:
# our pages give plotly its rules from static/css/report-plotly.css under a strict CSP.
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
  --define:global=window --define:define.amd=false --target=es2016 \
  --banner:js="/*! plotly.js v$VERSION (traces: scatter, scatterpolar, bar) | (c) Plotly, Inc. | MIT license */" \
  --outfile=out/plotly-smm.min.js
cp out/plotly-smm.min.js "$root/static/vendor/plotly/plotly-smm.min.js"
echo "static/vendor/plotly/plotly-smm.min.js: $(wc -c < out/plotly-smm.min.js) bytes, $(gzip -9c out/plotly-smm.min.js | wc -c) gzipped"
