#!/usr/bin/env bash
# Brian2's GPU devices on a CUDA machine, in one go: GeNN's CUDA backend (brian2genn) and brian2cuda against
# cpp_standalone at 1 thread and at all threads, on the exported MNIST autoencoder with B = 100 and 1,000 copies
# (and on an FSVAE decoder graph when one has been exported: FSVAE_DECODER=export/<run>/decoder.nir). Makes the
# two device environments first (.venv-genn with GeNN 4.9.0's source in .genn, patched for CUDA 13's cuCtxCreate;
# .venv-cuda with brian2cuda 1.0a7, which pins brian2 2.8.0), then prints the table: identical spikes, images/s,
# synaptic events/s and the ratio to the memory-bandwidth bound (16 bytes per synaptic event).
#
#     bash benchmarks/gpu.sh            # needs nvidia-smi, nvcc (CUDA_PATH) and bioaware's .venv
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/gpu_out}
export CUDA_PATH=${CUDA_PATH:-/usr/local/cuda}
export GENN_PATH=$PWD/.genn BIOAWARE_GENN_GPU=1
nvidia-smi -L

if [ ! -f .genn/version.txt ]; then
  mkdir -p .genn
  if [ -f ../shared/vendor/genn-4.9.0.tar.gz ]; then tar -xzf ../shared/vendor/genn-4.9.0.tar.gz -C .genn
  else curl -sL https://github.com/genn-team/genn/archive/refs/tags/4.9.0.tar.gz | tar -xz -C .genn --strip-components=1
  fi
fi
OPTIMISER=.genn/src/genn/backends/cuda/optimiser.cc  # CUDA 13 added a parameter to cuCtxCreate
if ! grep -q "CUDA_VERSION >= 13000" "$OPTIMISER"; then
  sed -i 's|^\(\s*\)CHECK_CU_ERRORS(cuCtxCreate(&cuContext, 0, cuDevice));|#if CUDA_VERSION >= 13000\n\1CHECK_CU_ERRORS(cuCtxCreate(\&cuContext, nullptr, 0, cuDevice));\n#else\n\1CHECK_CU_ERRORS(cuCtxCreate(\&cuContext, 0, cuDevice));\n#endif|' "$OPTIMISER"
fi
[ -x .venv-genn/bin/python ] || { python3 -m venv .venv-genn && .venv-genn/bin/pip install -q "brian2==2.5.4" \
  "numpy<2" "brian2genn==1.7.0" scipy "nir==1.0.4" h5py && .venv-genn/bin/pip install -q --no-deps -e .; }
[ -x .venv-cuda/bin/python ] || { python3 -m venv .venv-cuda && .venv-cuda/bin/pip install -q "brian2cuda==1.0a7" \
  "numpy<2.4" scipy "nir==1.0.4" h5py && .venv-cuda/bin/pip install -q --no-deps -e .; }

GRAPHS=("export/roy_ae_mnist_best/model.nir")
[ -n "${FSVAE_DECODER:-}" ] && GRAPHS+=("$FSVAE_DECODER")
for graph in "${GRAPHS[@]}"; do
  tag=$(basename "$(dirname "$graph")")_$(basename "$graph" .nir)
  for B in 100 1000; do
    .venv/bin/python benchmarks/gpu_devices.py cpp_standalone $B "$OUT/${tag}_cpp1_$B.npz" --threads 1 --graph "$graph"
    .venv/bin/python benchmarks/gpu_devices.py cpp_standalone $B "$OUT/${tag}_cppN_$B.npz" --threads "$(nproc)" \
      --graph "$graph"
    .venv-genn/bin/python benchmarks/gpu_devices.py genn $B "$OUT/${tag}_genn_$B.npz" --graph "$graph" || true
    .venv-cuda/bin/python benchmarks/gpu_devices.py cuda_standalone $B "$OUT/${tag}_cuda_$B.npz" --graph "$graph" || true
  done
done
.venv/bin/python benchmarks/gpu_devices.py --compare "$OUT"/*.npz
