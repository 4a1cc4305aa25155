#include "cinn/ir/pass_manager.h"

#include "cinn/common/dump.h"
#include "cinn/ir/verifier.h"

namespace cinn::ir {

PassManager::PassManager(std::optional<std::string> dump_dir) : dump_dir_(std::move(dump_dir)) {}

PassManager& PassManager::add(const std::string& name, std::function<Stmt(const Stmt&)> pass) {
  CINN_CHECK(pass) << "pass '" << name << "' has no function";
  return add_func(
      name, [pass = std::move(pass)](const LoweredFunc& f) { return f.with_body(pass(f.body())); });
}

PassManager& PassManager::add_func(const std::string& name,
                                   std::function<LoweredFunc(const LoweredFunc&)> pass) {
  CINN_CHECK(!name.empty()) << "a pass needs a name";
  CINN_CHECK(pass) << "pass '" << name << "' has no function";
  passes_.push_back({name, std::move(pass)});
  return *this;
}

std::vector<std::string> PassManager::pass_names() const {
  std::vector<std::string> out;
  for (const Pass& p : passes_) out.push_back(p.name);
  return out;
}

LoweredFunc PassManager::run(const LoweredFunc& f) const {
  common::Dumper dumper(common::dump_root(dump_dir_), f.name());
  if (dumper.enabled()) dumper.dump(0, "input", f.to_string());
  try {
    verify(f);
  } catch (const InternalError& e) {
    CINN_THROW(InternalError) << "the input of the loop passes does not verify: " << e.what();
  }
  LoweredFunc cur = f;
  for (size_t i = 0; i < passes_.size(); ++i) {
    const Pass& p = passes_[i];
    try {
      cur = p.run(cur);
    } catch (const InternalError& e) {
      CINN_THROW(InternalError) << "pass '" << p.name << "' failed: " << e.what();
    }
    if (dumper.enabled()) dumper.dump(static_cast<int>(i + 1), p.name, cur.to_string());
    try {
      verify(cur);
    } catch (const InternalError& e) {
      CINN_THROW(InternalError) << "pass '" << p.name
                                << "' produced IR that does not verify: " << e.what();
    }
  }
  return cur;
}

}  // namespace cinn::ir
