#include "cinn/backends/llvm/jit_module.h"

#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/TargetParser/Host.h>

#include <algorithm>
#include <mutex>
#include <sstream>

#include "cinn/backends/host_cc.h"
#include "cinn/backends/llvm/codegen_llvm.h"
#include "cinn/ir/visitor.h"
#include "cinn/runtime/thread_pool.h"

namespace cinn::backends {

struct JitModule::Impl {
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::string ir, ir_unoptimized;
  std::vector<std::string> objects;  // one per part of the module compiled on its own thread
  std::vector<std::string> names;
  std::vector<KernelFn> fns;
};

namespace {
// The k-th object file of an "x86-object" image.
std::string object_file_name(size_t k) { return "kernels." + std::to_string(k) + ".o"; }
}  // namespace

JitModule::JitModule(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  for (const std::string& n : impl_->names) impl_->fns.push_back(lookup(n));
}
JitModule::~JitModule() = default;

int JitModule::find(const std::string& name) const {
  for (size_t i = 0; i < impl_->names.size(); ++i) {
    if (impl_->names[i] == name) return static_cast<int>(i);
  }
  CINN_THROW(ExecutionError) << "module has no kernel '" << name << "'";
}

void JitModule::launch(int kernel, void* const* args, const int64_t* sizes) {
  impl_->fns.at(static_cast<size_t>(kernel))(const_cast<void**>(args), sizes);
}

runtime::ModuleImage JitModule::image() const {
  runtime::ModuleImage im;
  im.format = "x86-object";
  for (size_t k = 0; k < impl_->objects.size(); ++k) im.files[object_file_name(k)] = impl_->objects[k];
  im.files["kernels.ll"] = impl_->ir;
  im.files["kernels.txt"] = runtime::kernel_names_file(impl_->names);
  return im;
}

runtime::ModuleImage JitModule::portable_image() const {
  std::vector<std::pair<std::string, std::string>> objects;
  for (size_t k = 0; k < impl_->objects.size(); ++k) objects.emplace_back(object_file_name(k), impl_->objects[k]);
  return runtime::host_so_image(link_host_library(objects), impl_->names);
}

JitModule::KernelFn JitModule::lookup(const std::string& name) const {
  auto sym = impl_->jit->lookup(name);
  if (!sym) {
    std::string msg = llvm::toString(sym.takeError());
    CINN_THROW(CompileError) << "JIT: function '" << name << "' not found: " << msg;
  }
  return sym->toPtr<KernelFn>();
}
const std::string& JitModule::llvm_ir() const { return impl_->ir; }
const std::string& JitModule::llvm_ir_unoptimized() const { return impl_->ir_unoptimized; }

namespace {

void init_llvm() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

template <typename T>
T check(llvm::Expected<T> v, const char* what) {
  if (!v) CINN_THROW(CompileError) << what << ": " << llvm::toString(v.takeError());
  return std::move(*v);
}

std::string print(const llvm::Module& m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os, nullptr);
  return s;
}

// "+avx2,+fma,..." for the host CPU, as LLVM sees it.
std::string host_features() {
  std::string out;
  for (const auto& [name, on] : llvm::sys::getHostCPUFeatures()) {
    out += (out.empty() ? "" : ",") + std::string(on ? "+" : "-") + name.str();
  }
  return out;
}

llvm::orc::JITTargetMachineBuilder host_machine(const std::string& cpu, const std::string& features,
                                                int opt_level) {
  auto jtmb = check(llvm::orc::JITTargetMachineBuilder::detectHost(), "JIT target");
  jtmb.setCPU(cpu);
  // Position-independent, so that the object code also links into a shared library.
  jtmb.setRelocationModel(llvm::Reloc::PIC_);
  jtmb.getFeatures() = llvm::SubtargetFeatures(features);
  jtmb.setCodeGenOptLevel(opt_level >= 2 ? llvm::CodeGenOptLevel::Aggressive
                                         : llvm::CodeGenOptLevel::None);
  return jtmb;
}

// Links `object` (machine code for this host) into a new JIT with the runtime functions.
void link_object(JitModule::Impl* impl, llvm::orc::JITTargetMachineBuilder jtmb) {
  impl->jit = check(llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(jtmb)).create(),
                    "LLJIT");
  // Runtime functions are found by address: libcinn may be loaded with RTLD_LOCAL (Python).
  auto& jd = impl->jit->getMainJITDylib();
  llvm::orc::SymbolMap runtime;
  runtime[impl->jit->mangleAndIntern("cinn_parallel_for")] = {
      llvm::orc::ExecutorAddr::fromPtr(&cinn_parallel_for), llvm::JITSymbolFlags::Exported};
  if (auto err = jd.define(llvm::orc::absoluteSymbols(std::move(runtime)))) {
    CINN_THROW(CompileError) << "JIT: " << llvm::toString(std::move(err));
  }
  for (const std::string& object : impl->objects) {
    if (auto err = impl->jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(object, "cinn_kernels"))) {
      CINN_THROW(CompileError) << "JIT: " << llvm::toString(std::move(err));
    }
  }
}

}  // namespace

std::string host_code_id() {
  init_llvm();
  return llvm::sys::getHostCPUName().str() + ";" + host_features();
}

std::shared_ptr<JitModule> load_object_image(const runtime::ModuleImage& image) {
  init_llvm();
  auto file = [&](const char* name) -> const std::string& {
    auto it = image.files.find(name);
    if (it == image.files.end()) {
      CINN_THROW(ExecutionError) << "x86-object module: the image lacks " << name;
    }
    return it->second;
  };
  auto impl = std::make_unique<JitModule::Impl>();
  for (size_t k = 0; image.files.count(object_file_name(k)); ++k) impl->objects.push_back(image.files.at(object_file_name(k)));
  if (impl->objects.empty()) file("kernels.0.o");  // the error
  impl->ir = file("kernels.ll");
  impl->names = runtime::parse_kernel_names_file(file("kernels.txt"));
  link_object(impl.get(), host_machine(llvm::sys::getHostCPUName().str(), host_features(), 3));
  return std::make_shared<JitModule>(std::move(impl));
}

namespace {

// One part of a module, compiled on its own thread in its own LLVMContext.
struct CompiledPart {
  std::string ir, ir_unoptimized, object;
};

CompiledPart compile_part(const ir::Module& m, const std::vector<size_t>& functions, const LLVMOptions& opts,
                          const std::string& cpu, const std::string& features) {
  llvm::LLVMContext ctx;
  auto module = std::make_unique<llvm::Module>(m.name.empty() ? "cinn" : m.name, ctx);
  auto tm = check(host_machine(cpu, features, opts.opt_level).createTargetMachine(), "target machine");
  module->setDataLayout(tm->createDataLayout());
  module->setTargetTriple(tm->getTargetTriple().str());

  CodeGenLLVM cg(module.get(), m.target);
  for (size_t f : functions) cg.add_function(m.functions[f]);
  bool avx512 = m.target.has_feature("avx512f");
  for (llvm::Function& f : *module) {
    if (f.isDeclaration()) continue;
    f.addFnAttr("target-cpu", cpu);
    f.addFnAttr("target-features", features);
    // LLVM prefers 256-bit vectors on some AVX-512 CPUs; the target says what to use.
    f.addFnAttr("prefer-vector-width", avx512 ? "512" : "256");
  }

  CompiledPart part;
  part.ir_unoptimized = print(*module);
  std::string verify_msg;
  llvm::raw_string_ostream vos(verify_msg);
  if (llvm::verifyModule(*module, &vos)) {
    CINN_THROW(InternalError) << "LLVM codegen produced an invalid module: " << verify_msg << "\n"
                              << part.ir_unoptimized;
  }

  if (opts.opt_level > 0) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    mpm.run(*module, mam);
  }
  part.ir = print(*module);

  // Machine code, kept so that the compile cache can store it (load_object).
  llvm::SmallVector<char, 0> obj;
  {
    llvm::raw_svector_ostream os(obj);
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
      CINN_THROW(CompileError) << "LLVM: the host target cannot emit object code";
    }
    pm.run(*module);
  }
  part.object.assign(obj.begin(), obj.end());
  return part;
}

// The module's functions in up to `parts` groups of about equal size (IR nodes: the
// optimizer's and the instruction selector's work grows with them), largest first.
std::vector<std::vector<size_t>> partition(const ir::Module& m, size_t parts) {
  std::vector<std::pair<int64_t, size_t>> sizes;
  for (size_t f = 0; f < m.functions.size(); ++f) {
    int64_t n = 0;
    ir::post_order_visit(m.functions[f].body(), [&](const ir::IRNode*) { ++n; });
    sizes.emplace_back(n, f);
  }
  std::sort(sizes.begin(), sizes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  parts = std::max<size_t>(1, std::min(parts, m.functions.size()));
  std::vector<std::vector<size_t>> out(parts);
  std::vector<int64_t> load(parts, 0);
  for (const auto& [n, f] : sizes) {
    size_t k = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    out[k].push_back(f);
    load[k] += n;
  }
  for (auto& p : out) std::sort(p.begin(), p.end());  // module order within a part
  return out;
}

}  // namespace

std::unique_ptr<JitModule> compile_llvm(const ir::Module& m, const LLVMOptions& opts) {
  init_llvm();
  std::string cpu = llvm::sys::getHostCPUName().str();
  std::string features = host_features();
  // The functions are independent: a part per thread, each optimized and compiled to an
  // object file on its own (LLVMContexts are not shared between threads); the JIT links
  // the objects.
  std::vector<std::vector<size_t>> parts = partition(m, static_cast<size_t>(std::max(1, runtime::num_threads())));
  std::vector<CompiledPart> compiled(parts.size());
  runtime::parallel_each(parts.size(), [&](size_t k) { compiled[k] = compile_part(m, parts[k], opts, cpu, features); });

  auto impl = std::make_unique<JitModule::Impl>();
  for (const ir::LoweredFunc& f : m.functions) impl->names.push_back(f.name());
  for (CompiledPart& p : compiled) {
    impl->ir_unoptimized += p.ir_unoptimized;
    impl->ir += p.ir;
    impl->objects.push_back(std::move(p.object));
  }
  link_object(impl.get(), host_machine(cpu, features, opts.opt_level));
  return std::make_unique<JitModule>(std::move(impl));
}

}  // namespace cinn::backends
