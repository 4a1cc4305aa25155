// The CUDA emulator's runtime: runs CUDA kernels, compiled for the host by the
// `cuda_emulator` backend (backends/cuda/cuda_emulator.h), on the CPU.
//
// A launch runs the grid's blocks one after another. The threads of a block are fibers
// on the calling thread, switched only at barriers:
// * __syncthreads() suspends a thread until every thread of its block has reached a
//   barrier;
// * a warp shuffle suspends it until every live thread of its warp has reached a shuffle.
// So kernels that synchronize correctly compute what they compute on a GPU. The threads of
// a block run between barriers in ascending order in even blocks and in descending order
// in odd ones, so a missing __syncthreads usually shows up as a wrong result rather than
// going unnoticed.
//
// Launching with `barriers == 0` (the kernel has no barrier or shuffle) runs the threads as
// plain calls. Errors -- a barrier that only part of a block reaches, a shuffle in a launch
// without fibers, a misaligned vector move -- are ExecutionErrors thrown from
// cinn_emu_launch_kernel.
//
// Vector moves (uint1/uint2/uint4 in the generated code) go through cinn_emu_move_vector,
// which checks what the GPU requires: an address that is a multiple of the move's size. A
// GPU kernel with a misaligned move dies with "misaligned address" and takes its CUDA
// context with it; here it is an error naming the thread. The runtime's buffers are 64-byte
// aligned on the GPU, but the emulator may be handed host arrays at any address (numpy
// views), so a move into an argument whose own start is misaligned is checked relative to
// that start.
//
// Generated kernels call these functions; the library that defines them (libcinn or the
// runtime-only libcinn_runtime) is promoted to global symbol scope before their code loads.
#pragma once

#include <cstdint>

extern "C" {

struct cinn_emu_dim3 {
  unsigned x, y, z;
};

// One thread of a kernel: the generated trampoline unpacks args/sizes into the kernel's
// parameters.
typedef void (*cinn_emu_kernel_t)(void* const* args, const int64_t* sizes);

// Runs `kernel` over grid[0..2] x block[0..2] threads; args[0..nargs) are its buffers.
// `barriers` is nonzero when the kernel may call cinn_emu_syncthreads or
// cinn_emu_warp_shuffle.
void cinn_emu_launch_kernel(cinn_emu_kernel_t kernel, void* const* args, int nargs, const int64_t* sizes,
                            const int64_t* grid, const int64_t* block, int barriers);

// The running thread's built-in variables.
const cinn_emu_dim3* cinn_emu_thread_idx(void);
const cinn_emu_dim3* cinn_emu_block_idx(void);
const cinn_emu_dim3* cinn_emu_block_dim(void);
const cinn_emu_dim3* cinn_emu_grid_dim(void);

void cinn_emu_syncthreads(void);

// __shfl_*_sync on a value of `bytes` (at most 8) bytes, replaced in place by the value of
// the source lane. kind: 0 idx (lane `arg`), 1 up (lane - arg), 2 down (lane + arg), 3 xor
// (lane ^ arg), within segments of `width` lanes; a source outside the segment yields the
// thread's own value, as on the GPU.
void cinn_emu_warp_shuffle(void* value, int bytes, int kind, int arg, int width);

// Copies `bytes` (4, 8 or 16) bytes from src to dst after checking that both addresses are
// aligned to `bytes`; a misaligned one is recorded (the copy still happens) and the launch
// then fails.
void cinn_emu_move_vector(void* dst, const void* src, int bytes);
}
