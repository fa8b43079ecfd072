#!/usr/bin/env bash
# Regenerates Sources/FloeGRPC from Protos/arctic_inference/inference.proto. Run by hand after
# changing the proto; the output is committed and CI never runs it (building the plugins takes
# ~10 minutes). Needs: protoc (Debian `protobuf-compiler`, or `grpcio-tools` from PyPI, used
# here when protoc is missing), and the two Swift plugins, built outside the repo at the
# versions Package.swift pins:
#   git clone https://github.com/grpc/grpc-swift-protobuf -b 2.4.1 && cd grpc-swift-protobuf
#   swift build -c release --product protoc-gen-grpc-swift-2 && swift build -c release --product protoc-gen-swift
#   PLUGIN_DIR=$PWD/.build/release scripts/generate-grpc.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugins="${PLUGIN_DIR:?set PLUGIN_DIR to the folder holding protoc-gen-swift and protoc-gen-grpc-swift-2}"
if command -v protoc >/dev/null; then
  protoc=(protoc)
else
  if [[ ! -x .venv-grpc/bin/python ]]; then python3 -m venv .venv-grpc; fi
  .venv-grpc/bin/python -m pip install --quiet --disable-pip-version-check grpcio-tools
  protoc=(.venv-grpc/bin/python -m grpc_tools.protoc)
fi
"${protoc[@]}" -I Protos \
  --plugin=protoc-gen-swift="$plugins/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift="$plugins/protoc-gen-grpc-swift-2" \
  --swift_out=Sources/FloeGRPC --swift_opt=Visibility=Public \
  --grpc-swift_out=Sources/FloeGRPC --grpc-swift_opt=Visibility=Public,Client=true,Server=true \
  arctic_inference/inference.proto
echo "generated: $(ls Sources/FloeGRPC/arctic_inference)"
