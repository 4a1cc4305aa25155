// Saved executables: what Executable.save writes and cinn.load / runtime::load read, in a
// process with or without the compiler (the runtime-only build, tools/cinn_run).
//
// An artifact is a directory:
//   manifest.txt  "cinn-artifact <version>", the target it was compiled for, the kernel
//                 module's format, each file with its size and checksum, and the inputs
//                 and outputs (name, dtype, shape), one per line
//   plan.bin      the launch plan and memory plan, constants included (sealed: magic,
//                 version, size, checksum)
//   the kernel module's files: kernels.so (x86, a shared library linked by the system C
//   compiler from the object code LLVM emits), or kernels.cubin, kernels.ptx and
//   launch.txt (CUDA)
// Loading checks the version, every size and checksum, the signature lines against the
// plan, that this CPU has the features an x86 target's kernels were compiled for, and that
// this build has a loader for the module format; any mismatch is an ExecutionError naming
// the artifact and why.
#pragma once

#include <memory>
#include <string>

#include "cinn/common/target.h"
#include "cinn/runtime/executable.h"

namespace cinn::runtime {

constexpr int kArtifactVersion = 3;  // 2: input/output aliases; 3: launches' kernel names

// Writes the artifact of `exe` to `dir` (created if needed; files of an earlier artifact
// there are replaced). `target` is recorded in the manifest.
void save_executable(const Executable& exe, const std::string& dir, const std::string& target);

// The executable saved in `dir`; `target` (if given) receives the recorded target.
std::shared_ptr<Executable> load_executable(const std::string& dir, std::string* target = nullptr);

// The CPU features of a recorded x86 target ("x86(..., features=avx+avx2)", or a vendor
// backend's "name:x86(...)") that `host` lacks, among those Target::host_x86 detects, as
// "a, b" ("" for none, and for other targets): kernels compiled for them would stop the
// process with an illegal instruction.
std::string missing_cpu_features(const std::string& target, const common::Target& host);

}  // namespace cinn::runtime
