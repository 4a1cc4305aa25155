// The CUDA emulator: its runtime (barriers, warp shuffles, errors) with hand-written
// kernels, and the cuda_emulator backend against the x86 backend on a graph.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "cinn/common/error.h"
#include "cinn/frontend/compile.h"
#include "cinn/runtime/cuda_emulator.h"

namespace cinn {
namespace {

#define threadIdx (*cinn_emu_thread_idx())
#define blockIdx (*cinn_emu_block_idx())
#define blockDim (*cinn_emu_block_dim())

void launch(cinn_emu_kernel_t k, void* const* args, int nargs, int64_t grid, int64_t block, int barriers) {
  const int64_t g[3] = {grid, 1, 1}, b[3] = {block, 1, 1};
  cinn_emu_launch_kernel(k, args, nargs, nullptr, g, b, barriers);
}
template <size_t N>
void launch(cinn_emu_kernel_t k, void* (&args)[N], int64_t grid, int64_t block, int barriers = 1) {
  launch(k, args, int(N), grid, block, barriers);
}
void launch(cinn_emu_kernel_t k, std::nullptr_t, int64_t grid, int64_t block, int barriers = 1) {
  launch(k, nullptr, 0, grid, block, barriers);
}

float shuffle(float v, int kind, int arg, int width = 32) {
  cinn_emu_warp_shuffle(&v, sizeof(v), kind, arg, width);
  return v;
}

// out[blockIdx.x] = sum of in[blockIdx.x * 256 + t] by a tree in shared memory.
template <bool kSync>
void tree_sum(void* const* args, const int64_t*) {
  static float sh[256];
  const float* in = static_cast<const float*>(args[0]);
  float* out = static_cast<float*>(args[1]);
  unsigned t = threadIdx.x;
  sh[t] = in[blockIdx.x * 256 + t];
  if (kSync) cinn_emu_syncthreads();
  for (unsigned s = 128; s > 0; s /= 2) {
    if (t < s) sh[t] += sh[t + s];
    if (kSync) cinn_emu_syncthreads();
  }
  if (t == 0) out[blockIdx.x] = sh[0];
}

std::vector<float> iota_blocks(int blocks) {
  std::vector<float> v(size_t(blocks) * 256);
  std::iota(v.begin(), v.end(), 0.0f);
  return v;
}

float block_sum(const std::vector<float>& v, int b) {
  return std::accumulate(v.begin() + b * 256, v.begin() + (b + 1) * 256, 0.0f);
}

TEST(CudaEmulator, SharedMemoryTreeReductionWithBarriers) {
  std::vector<float> in = iota_blocks(4), out(4, -1);
  void* args[] = {in.data(), out.data()};
  launch(tree_sum<true>, args, 4, 256);
  for (int b = 0; b < 4; ++b) EXPECT_EQ(out[size_t(b)], block_sum(in, b)) << "block " << b;
}

TEST(CudaEmulator, AMissingBarrierGivesAWrongResult) {
  // Without barriers the threads run one after another, in ascending order in even blocks
  // and descending order in odd ones; at least one order reads partial sums too early.
  std::vector<float> in = iota_blocks(2), out(2, -1);
  void* args[] = {in.data(), out.data()};
  launch(tree_sum<false>, args, 2, 256);
  EXPECT_TRUE(out[0] != block_sum(in, 0) || out[1] != block_sum(in, 1));
}

void warp_sum(void* const* args, const int64_t*) {
  const float* in = static_cast<const float*>(args[0]);
  float* out = static_cast<float*>(args[1]);
  unsigned t = threadIdx.x;
  float v = in[t];
  for (int d = 16; d > 0; d /= 2) v += shuffle(v, 2, d);
  if (t % 32 == 0) out[t / 32] = v;
}

TEST(CudaEmulator, WarpShuffleDownReduction) {
  std::vector<float> in(96), out(3, -1);
  std::iota(in.begin(), in.end(), 1.0f);
  void* args[] = {in.data(), out.data()};
  launch(warp_sum, args, 1, 96);
  for (int w = 0; w < 3; ++w) {
    EXPECT_EQ(out[size_t(w)], std::accumulate(in.begin() + w * 32, in.begin() + (w + 1) * 32, 0.0f));
  }
}

void shuffle_kinds(void* const* args, const int64_t*) {
  float* out = static_cast<float*>(args[0]);
  unsigned t = threadIdx.x;
  float v = float(t);
  out[t * 4 + 0] = shuffle(v, 0, 5);      // idx: lane 5 of the warp
  out[t * 4 + 1] = shuffle(v, 1, 1);      // up by 1: lane 0 keeps its own
  out[t * 4 + 2] = shuffle(v, 2, 4, 8);   // down by 4 within segments of 8
  out[t * 4 + 3] = shuffle(v, 3, 1);      // xor 1: swap neighbours
}

TEST(CudaEmulator, ShuffleKindsFollowCudaSemantics) {
  std::vector<float> out(64 * 4, -1);
  void* args[] = {out.data()};
  launch(shuffle_kinds, args, 1, 64);
  for (unsigned t = 0; t < 64; ++t) {
    unsigned warp = t - t % 32, lane = t % 32;
    EXPECT_EQ(out[t * 4 + 0], float(warp + 5)) << t;
    EXPECT_EQ(out[t * 4 + 1], float(lane == 0 ? t : t - 1)) << t;
    EXPECT_EQ(out[t * 4 + 2], float(lane % 8 < 4 ? t + 4 : t)) << t;
    EXPECT_EQ(out[t * 4 + 3], float(t ^ 1u)) << t;
  }
}

void divergent_barrier(void* const*, const int64_t*) {
  if (threadIdx.x < 10) cinn_emu_syncthreads();
}

TEST(CudaEmulator, ABarrierOnlyPartOfTheBlockReachesIsAnError) {
  try {
    launch(divergent_barrier, nullptr, 1, 64);
    FAIL() << "no error";
  } catch (const ExecutionError& e) {
    EXPECT_NE(std::string(e.what()).find("deadlocks: of 64 threads, 10 wait at __syncthreads"), std::string::npos)
        << e.what();
  }
}

TEST(CudaEmulator, ABarrierInALaunchWithoutFibersIsAnError) {
  std::vector<float> in = iota_blocks(1), out(1);
  void* args[] = {in.data(), out.data()};
  EXPECT_THROW(launch(tree_sum<true>, args, 1, 256, /*barriers=*/0), ExecutionError);
}

// Thread t moves 16 bytes from in + 16 t + g_in_shift to out + 16 t + g_out_shift, as the
// generated code's uint4 moves do.
int64_t g_in_shift = 0, g_out_shift = 0;
void vector_moves(void* const* args, const int64_t*) {
  char* out = static_cast<char*>(args[0]);
  const char* in = static_cast<const char*>(args[1]);
  unsigned t = threadIdx.x;
  cinn_emu_move_vector(out + 16 * t + g_out_shift, in + 16 * t + g_in_shift, 16);
}

// Runs vector_moves on 4 threads with the arguments `in` and `out` starting `in_at` /
// `out_at` bytes past 64-byte aligned storage; returns the error, or "" after checking the
// copied bytes.
std::string run_vector_moves(int64_t in_at, int64_t out_at, int64_t in_shift, int64_t out_shift, int barriers = 0) {
  alignas(64) unsigned char in_storage[128], out_storage[128] = {};
  for (int i = 0; i < 128; ++i) in_storage[i] = static_cast<unsigned char>(i);
  unsigned char *in = in_storage + in_at, *out = out_storage + out_at;
  void* args[] = {out, in};
  g_in_shift = in_shift;
  g_out_shift = out_shift;
  try {
    launch(vector_moves, args, 1, 4, barriers);
  } catch (const ExecutionError& e) {
    return e.what();
  }
  for (int i = 0; i < 64; ++i) EXPECT_EQ(out[i + out_shift], in[i + in_shift]) << i;
  return "";
}

TEST(CudaEmulator, VectorMovesMustBeAlignedToTheirSize) {
  for (int barriers : {0, 1}) {  // plain calls, and fibers (which must not throw)
    SCOPED_TRACE(barriers);
    EXPECT_EQ(run_vector_moves(0, 0, 0, 0, barriers), "");
    EXPECT_EQ(run_vector_moves(0, 0, 32, 16, barriers), "");
    std::string err = run_vector_moves(0, 0, 4, 0, barriers);
    EXPECT_NE(err.find("thread (0, 0, 0) of block (0, 0, 0) makes a 16-byte vector load from address 0x"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("which is not a multiple of 16 (on a GPU: a 'misaligned address' fault)"), std::string::npos)
        << err;
    err = run_vector_moves(0, 0, 0, 8, barriers);
    EXPECT_NE(err.find("16-byte vector store to"), std::string::npos) << err;
  }
}

TEST(CudaEmulator, VectorMovesInArgumentsThatStartMisalignedAreCheckedFromTheirStart) {
  // Host arrays may start anywhere (numpy views); the GPU would get aligned copies of them.
  EXPECT_EQ(run_vector_moves(4, 12, 0, 0), "");
  EXPECT_EQ(run_vector_moves(4, 8, 16, 32), "");
  std::string err = run_vector_moves(4, 0, 8, 0);
  EXPECT_NE(err.find("16-byte vector load from"), std::string::npos) << err;
  err = run_vector_moves(0, 4, 0, 4);
  EXPECT_NE(err.find("16-byte vector store to"), std::string::npos) << err;
}

TEST(CudaEmulator, BuiltInsOutsideALaunchAreAnError) {
  EXPECT_THROW(cinn_emu_thread_idx(), ExecutionError);
}

TEST(CudaEmulator, BackendRunsTheCudaSchedulesOfAGraph) {
  frontend::NetBuilder b("emulated");
  frontend::Value* x = b.input({16, 300}, common::Float(32), "x");
  frontend::Program p = b.build({b.softmax(x), b.sum(b.exp(x), {0, 1}), b.amax(x, {0})});
  frontend::CompileOptions opts;
  opts.cache = false;
  common::Target t = common::Target::cuda();
  t.backend = "cuda_emulator";
  auto emu = frontend::compile(p, t, opts);
  auto ref = frontend::compile(p, common::Target::host_x86(), opts);
  EXPECT_NE(emu->source.find("__global__"), std::string::npos);  // the CUDA C

  std::mt19937 gen(7);
  std::normal_distribution<float> dist;
  std::vector<float> in(16 * 300);
  for (float& v : in) v = dist(gen);
  std::vector<std::vector<float>> got(3), want(3);
  for (size_t i = 0; i < 3; ++i) {
    got[i].resize(size_t(ref->executable->output(i).bytes()) / 4);
    want[i].resize(got[i].size());
  }
  emu->executable->run({in.data()}, {got[0].data(), got[1].data(), got[2].data()});
  ref->executable->run({in.data()}, {want[0].data(), want[1].data(), want[2].data()});
  for (size_t i = 0; i < 3; ++i) {
    for (size_t j = 0; j < got[i].size(); ++j) {
      ASSERT_NEAR(got[i][j], want[i][j], 1e-4f * (1 + std::fabs(want[i][j]))) << "output " << i << " [" << j << "]";
    }
  }
}

}  // namespace
}  // namespace cinn
