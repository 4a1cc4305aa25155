#include "cinn/backends/c/codegen_c.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "cinn/backends/c/c_printer.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/verifier.h"

namespace cinn::backends::c {
namespace {

bool is_expr_kind(ir::NodeKind k) {
  switch (k) {
#define CINN_EXPR_NODE(Name)  \
  case ir::NodeKind::k##Name: \
    return true;
#include "cinn/ir/node_kinds.def"
    default:
      return false;
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------
// The function

using ir::Expr;

std::string CodeGenC::run() {
  const std::string& fname = func_.name();
  // Facts about the body, and the checks that need the whole body.
  ir::post_order_visit(func_.body(), [&](const ir::IRNode* n) {
    if (is_expr_kind(n->kind())) {
      const auto* e = static_cast<const ir::ExprNode*>(n);
      if (e->type.is_vector()) {
        CINN_THROW(UnsupportedOpError)
            << "C backend, function '" << fname << "': vector expression " << ir::to_string(Expr(e))
            << " of type " << e->type
            << "; the C backend expects scalar IR (vectorized loops are plain loops)";
      }
    } else if (n->kind() == ir::NodeKind::kStore) {
      stored_.insert(static_cast<const ir::Store*>(n)->buffer.get());
    } else if (n->kind() == ir::NodeKind::kAllocate) {
      allocated_.insert(static_cast<const ir::Allocate*>(n)->buffer.get());
    }
  });

  std::ostringstream sig;
  sig << "// " << fname << "(";
  for (size_t i = 0; i < func_.args().size(); ++i) {
    const ir::Argument& a = func_.args()[i];
    sig << (i ? ", " : "") << (a.kind == ir::Argument::Kind::kOutput ? "out " : "") << a.buffer;
  }
  sig << ")";
  line(one_line(sig.str()));
  int void_args = -1, void_sizes = -1;
  std::vector<Binding*> arg_bindings, size_bindings;
  if (cuda()) {
    open_cuda_kernel();
  } else {
    open_block("void " + fname + "(void** args, const int64_t* sizes) {");
    void_args = line("(void)args;");
    void_sizes = line("(void)sizes;");
    for (size_t i = 0; i < func_.args().size(); ++i) {
      std::string elem;
      Binding* b = bind_argument(func_.args()[i].buffer, &elem);
      b->line = line(elem + "* restrict " + b->text + " = (" + elem + "*)args[" +
                     std::to_string(i) + "];");
      arg_bindings.push_back(b);
    }
    for (size_t k = 0; k < func_.size_vars().size(); ++k) {
      const Expr& v = func_.size_vars()[k];
      std::string type = c_type(v.type());
      std::string name = declare(v.var_name());
      std::string value = "sizes[" + std::to_string(k) + "]";
      if (type != "int64_t") value = "(" + type + ")" + value;
      Binding* b = new_binding(name);
      b->line = line("const " + type + " " + name + " = " + value + ";");
      bind(v, b);
      size_bindings.push_back(b);
    }
  }
  for (const ir::Buffer& t : func_->temp_buffers) {
    if (!allocated_.count(t.get()) && !buffers_.count(t.get())) allocate(t);
  }

  visit(func_.body());
  close_block();

  auto any_used = [](const std::vector<Binding*>& bs) {
    return std::any_of(bs.begin(), bs.end(), [](const Binding* b) { return b->uses > 0; });
  };
  std::vector<bool> dropped(lines_.size(), false);
  for (const Binding& b : bindings_) {
    if (b.line >= 0 && b.uses == 0 && !b.keep) dropped[b.line] = true;
    if (b.line >= 0 && b.buffer && !b.on_heap && !b.is_arg && b.uses > 0 && b.loads == 0) {
      // Compilers warn about arrays that are only written (-Wunused-but-set-variable).
      lines_[b.line].text += "\n(void)" + b.text + ";  // written, never read";
    }
  }
  if (void_args >= 0) dropped[void_args] = any_used(arg_bindings);
  if (void_sizes >= 0) dropped[void_sizes] = any_used(size_bindings);

  std::string out;
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (dropped[i]) continue;
    std::istringstream text(lines_[i].text);
    for (std::string l; std::getline(text, l);) {
      out += std::string(2 * lines_[i].indent, ' ') + l + "\n";
    }
  }
  return out;
}

CodeGenC::Binding* CodeGenC::bind_argument(const ir::Buffer& buf, std::string* elem) {
  if (buffers_.count(buf.get())) {
    CINN_THROW(CompileError) << (cuda() ? "CUDA" : "C") << " backend, function '" << func_.name()
                             << "': buffer '" << buf.name() << "' is passed twice";
  }
  *elem = is_half_type(buf.dtype()) ? file_->helpers.half(buf.dtype()) : c_storage_type(buf.dtype());
  if (!stored_.count(buf.get())) *elem = "const " + *elem;
  Binding* b = new_binding(declare(buf.name()));
  b->buffer = buf.get();
  b->is_arg = true;
  buffers_[buf.get()].push_back(b);
  return b;
}

void CodeGenC::open_cuda_kernel() {
  const std::string& fname = func_.name();
  ir::LaunchDims dims = ir::gpu_launch_dims(func_, *file_->target);
  file_->launch_dims.push_back(dims);
  grid_ = dims.grid;
  block_ = dims.block;
  line("// launch: grid (" + std::to_string(grid_[0]) + ", " + std::to_string(grid_[1]) + ", " +
       std::to_string(grid_[2]) + "), block (" + std::to_string(block_[0]) + ", " +
       std::to_string(block_[1]) + ", " + std::to_string(block_[2]) + ")");
  // The parameters belong to the function's frame, which opens before its header line.
  frames_.emplace_back();
  std::vector<std::string> params;
  for (const ir::Argument& a : func_.args()) {
    std::string elem;
    Binding* b = bind_argument(a.buffer, &elem);
    params.push_back(elem + "* __restrict__ " + b->text);
  }
  for (const Expr& v : func_.size_vars()) {
    std::string name = declare(v.var_name());
    bind(v, new_binding(name));
    params.push_back("const " + c_type(v.type()) + " " + name);
  }
  std::string header = "extern \"C\" __global__ void __launch_bounds__(" +
                       std::to_string(dims.threads_per_block()) + ") " + fname + "(";
  for (size_t i = 0; i < params.size(); ++i) header += (i ? ", " : "") + params[i];
  line(header + ") {");
  ++indent_;
}

namespace {

// The CUDA prologue: NVRTC has no C library headers, so the fixed-width integer types and
// the float constants the printer uses are defined here; math functions are CUDA's own.
std::string cuda_banner(const std::string& module_name) {
  std::ostringstream os;
  os << "// Generated by CINN's CUDA backend from module '" << one_line(module_name) << "'.\n"
     << "//\n"
     << "// One __global__ function per kernel, extern \"C\" (unmangled): buffer arguments in\n"
     << "// order, then the symbolic sizes as int64_t. Each kernel's launch shape is in the\n"
     << "// comment above it. Buffers must not overlap.\n"
     << "typedef signed char int8_t;\n"
     << "typedef short int16_t;\n"
     << "typedef int int32_t;\n"
     << "typedef long long int64_t;\n"
     << "typedef unsigned char uint8_t;\n"
     << "typedef unsigned short uint16_t;\n"
     << "typedef unsigned int uint32_t;\n"
     << "typedef unsigned long long uint64_t;\n"
     << "#define INFINITY __int_as_float(0x7f800000)\n"
     << "#define NAN __int_as_float(0x7fffffff)\n"
     // The <stdint.h> macros the printer uses for integer literals and limits.
     << "#define INT64_C(c) c##LL\n"
     << "#define UINT64_C(c) c##ULL\n"
     << "#define INT8_MIN (-128)\n#define INT8_MAX 127\n#define UINT8_MAX 255\n"
     << "#define INT16_MIN (-32767 - 1)\n#define INT16_MAX 32767\n#define UINT16_MAX 65535\n"
     << "#define INT32_MIN (-2147483647 - 1)\n#define INT32_MAX 2147483647\n#define UINT32_MAX 4294967295U\n"
     << "#define INT64_MIN (-INT64_C(9223372036854775807) - 1)\n#define INT64_MAX INT64_C(9223372036854775807)\n"
     << "#define UINT64_MAX UINT64_C(18446744073709551615)\n";
  return os.str();
}

std::string banner(const std::string& module_name) {
  std::ostringstream os;
  os << "// Generated by CINN's C backend from module '" << one_line(module_name) << "'.\n"
     << "//\n"
     << "// ABI of every function: void f(void** args, const int64_t* sizes), where args[i] is\n"
     << "// the data of buffer argument i (row-major; bool as one byte) and sizes[k] the k-th\n"
     << "// symbolic size. Buffers must not overlap. Signed integer arithmetic wraps in\n"
     << "// CINN's IR: compile with -fwrapv if it may overflow.\n"
     << "#include <math.h>\n"
     << "#include <stdbool.h>\n"
     << "#include <stdint.h>\n"
     << "#include <stdlib.h>\n";
  return os.str();
}

}  // namespace

std::string codegen_c(const ir::Module& m) { return codegen(m, Dialect::kC); }

std::string codegen(const ir::Module& m, Dialect dialect, std::vector<ir::LaunchDims>* launch_dims) {
  FileContext file;
  file.dialect = dialect;
  file.target = &m.target;
  for (const ir::LoweredFunc& f : m.functions) {
    if (!is_free_c_identifier(f.name())) {
      CINN_THROW(UnsupportedOpError) << "C backend: function name '" << f.name()
                                     << "' is not a C identifier the file may define";
    }
    if (!file.global_names.insert(f.name()).second) {
      CINN_THROW(CompileError) << "C backend: two functions named '" << f.name() << "' in module '"
                               << m.name << "'";
    }
  }
  for (const ir::LoweredFunc& f : m.functions) {
    ir::post_order_visit(f.body(), [&](const ir::IRNode* n) {
      if (!is_extern_call(n)) return;
      const std::string& name = static_cast<const ir::Call*>(n)->name;
      for (const ir::LoweredFunc& g : m.functions) {
        if (g.name() == name) {
          CINN_THROW(UnsupportedOpError)
              << "C backend: extern call of '" << name
              << "', which is a function of the module with the kernel ABI";
        }
      }
      file.global_names.insert(name);
    });
  }
  std::vector<std::string> bodies;
  for (const ir::LoweredFunc& f : m.functions) {
    ir::verify(f);
    bodies.push_back(CodeGenC(&file, f).run());
  }

  bool device = dialect == Dialect::kCUDA;
  std::string out = device ? cuda_banner(m.name) : banner(m.name);
  std::string helpers = file.helpers.definitions(device);
  if (!helpers.empty()) out += "\n" + helpers;
  if (!file.extern_decls.empty()) {
    out += "\n// External functions the kernels call.\n";
    for (const auto& kv : file.extern_decls) out += kv.second + "\n";
  }
  for (const std::string& b : bodies) out += "\n" + b;
  if (launch_dims) *launch_dims = std::move(file.launch_dims);
  return out;
}

std::string codegen_c(const ir::LoweredFunc& f) {
  ir::Module m;
  m.name = f.name();
  m.functions = {f};
  return codegen_c(m);
}

}  // namespace cinn::backends::c
