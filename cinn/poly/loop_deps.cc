#include "cinn/poly/loop_deps.h"

#include <isl/map.h>
#include <isl/point.h>
#include <isl/space.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/visitor.h"
#include "cinn/poly/isl_context.h"
#include "cinn/poly/loop_model.h"

namespace cinn::poly {

using namespace ir;  // NOLINT

namespace {

// The isl objects of one FuncModel, parsed on first use (most accesses never meet a write
// of their buffer, and isl's parser is the larger part of the cost).
class IslModel {
 public:
  IslModel(isl::ctx ctx, const FuncModel& m, const IslNamer& namer)
      : ctx_(ctx),
        m_(m),
        prefix_(namer.params_prefix()),
        context_(ctx, namer.params_context()),
        domains_(m.stmts.size()),
        accesses_(m.stmts.size()),
        iter_accesses_(m.stmts.size()) {
    for (size_t s = 0; s < m.stmts.size(); ++s) {
      accesses_[s].resize(m.stmts[s].accesses.size());
      iter_accesses_[s].resize(m.stmts[s].accesses.size());
    }
  }

  const FuncModel& model() const { return m_; }

  isl::map map(const std::string& text) const {
    return isl::map(ctx_, prefix_ + "{ " + text + " }");
  }

  const isl::set& domain(size_t s) {
    if (!domains_[s]) {
      domains_[s] =
          isl::set(ctx_, prefix_ + "{ " + m_.stmts[s].domain + " }").intersect_params(context_);
    }
    return *domains_[s];
  }

  // Pairs of instances of s1 (access a1) and s2 (access a2) that touch one element, less a
  // reduction's own accumulation (instances of one reduction block with equal spatial
  // iter_vars). nullopt when there are none that simple syntax shows.
  std::optional<isl::map> conflict(size_t s1, size_t a1, size_t s2, size_t a2) {
    // A read and a write of one element expression give the same pairs: ask isl once.
    auto key = std::make_tuple(s1, m_.stmts[s1].accesses[a1].relation, s2,
                               m_.stmts[s2].accesses[a2].relation);
    auto it = memo_.find(key);
    if (it == memo_.end()) it = memo_.emplace(key, compute_conflict(s1, a1, s2, a2)).first;
    return it->second;
  }

 private:
  std::optional<isl::map> compute_conflict(size_t s1, size_t a1, size_t s2, size_t a2) {
    const StmtModel& s = m_.stmts[s1];
    bool self_reduction = s1 == s2 && s.is_reduction;
    if (self_reduction && indexed_by_all_spatial(s, s.accesses[a1], s.accesses[a2])) {
      return std::nullopt;
    }
    std::string differ;  // some spatial iter_var differs
    if (self_reduction) {
      for (size_t d = 0; d < s.block->iter_vars.size(); ++d) {
        if (s.block->iter_vars[d].is_reduce()) continue;
        std::string v = "v" + std::to_string(d), bv = "bv" + std::to_string(d);
        differ += (differ.empty() ? "" : " or ") + v + " < " + bv + " or " + v + " > " + bv;
      }
      if (differ.empty()) return std::nullopt;
      differ = " : " + differ;
    }
    // First over the iter_vars alone: no pair of iter points meets, no pair of instances.
    isl::map ci = access(s1, a1, true).apply_range(access(s2, a2, true).reverse());
    if (self_reduction)
      ci = ci.intersect(
          map(s.renamed_tuple("", true) + " -> " + s.renamed_tuple("b", true) + differ));
    if (ci.is_empty()) return std::nullopt;
    isl::map c = access(s1, a1, false).apply_range(access(s2, a2, false).reverse());
    c = c.intersect_domain(domain(s1)).intersect_range(domain(s2));
    if (self_reduction) c = c.intersect(map(s.tuple + " -> " + s.renamed_tuple("b") + differ));
    if (c.is_empty()) return std::nullopt;
    return c;
  }

  // The access relation of statement s over its instances, or over its iter_vars alone.
  const isl::map& access(size_t s, size_t a, bool iters_only) {
    auto& slot = (iters_only ? iter_accesses_ : accesses_)[s][a];
    if (!slot) {
      const AccessModel& m = m_.stmts[s].accesses[a];
      slot = map(iters_only ? m.iter_relation : m.relation).intersect_params(context_);
    }
    return *slot;
  }

  // Both accesses have the same indices, from which every spatial iter_var can be read back,
  // so instances meeting on an element have equal spatial iter_vars: the accumulator
  // C[vi, vj] (or C'[vi // 16, vj, vi % 16] after a layout_transform) of a reduction
  // against itself, settled without isl.
  static bool indexed_by_all_spatial(const StmtModel& s, const AccessModel& x,
                                     const AccessModel& y) {
    if (x.indices.size() != y.indices.size()) return false;
    for (size_t d = 0; d < x.indices.size(); ++d) {
      if (!structural_equal(x.indices[d], y.indices[d])) return false;
    }
    for (const IterVar& iv : s.block->iter_vars) {
      if (!iv.is_reduce() && !recoverable(iv.var.as<Var>(), x.indices)) return false;
    }
    return true;
  }

  // Whether v is determined by the values of `indices`: one of them is v (plus a constant),
  // or two are v // c and v % c.
  static bool recoverable(const Var* v, const std::vector<Expr>& indices) {
    auto is_v = [&](const Expr& e) { return e.as<Var>() == v; };
    std::set<int64_t> divs, mods;
    for (const Expr& e : indices) {
      if (is_v(e)) return true;
      if (const auto* a = e.as<Add>(); a && is_v(a->a) && as_const_int(a->b)) return true;
      if (const auto* a = e.as<Sub>(); a && is_v(a->a) && as_const_int(a->b)) return true;
      if (const auto* a = e.as<Div>(); a && is_v(a->a) && as_const_int(a->b)) {
        divs.insert(*as_const_int(a->b));
      }
      if (const auto* a = e.as<Mod>(); a && is_v(a->a) && as_const_int(a->b)) {
        mods.insert(*as_const_int(a->b));
      }
    }
    for (int64_t c : divs) {
      if (mods.count(c)) return true;
    }
    return false;
  }

  isl::ctx ctx_;
  const FuncModel& m_;
  std::string prefix_;
  isl::set context_;
  std::vector<std::optional<isl::set>> domains_;
  std::vector<std::vector<std::optional<isl::map>>> accesses_, iter_accesses_;
  std::map<std::tuple<size_t, std::string, size_t, std::string>, std::optional<isl::map>> memo_;
};

// Coordinates of one point of the relation: the source's dimensions, then the sink's.
std::vector<long> sample(const isl::map& rel) {  // NOLINT(runtime/int): isl's type
  isl::point p = rel.wrap().sample_point();
  isl::space space = isl::manage(isl_point_get_space(p.get()));
  isl_size n = isl_space_dim(space.get(), isl_dim_set);
  std::vector<long> out;  // NOLINT(runtime/int)
  for (isl_size i = 0; i < n; ++i) {
    out.push_back(isl::manage(isl_point_get_coordinate_val(p.get(), isl_dim_set, i)).num_si());
  }
  return out;
}

// "i=1, j=0" for names[k] = coords[offset + k].
std::string point_text(const std::vector<std::string>& names,
                       const std::vector<long>& coords,  // NOLINT(runtime/int)
                       size_t offset) {
  std::string t;
  for (size_t k = 0; k < names.size() && offset + k < coords.size(); ++k) {
    t += (k ? ", " : "") + names[k] + "=" + std::to_string(coords[offset + k]);
  }
  return t;
}

// "block 'A' writes X[i, j] and block 'B' reads it as X[i - 1, j]".
std::string describe(const StmtModel& s1, const AccessModel& a1, const StmtModel& s2,
                     const AccessModel& a2) {
  std::string x = access_in_loops(s1, a1), y = access_in_loops(s2, a2);
  std::string d =
      "block '" + s1.block->name + "' " + (a1.is_write ? "writes " : "reads ") + x + " and ";
  d += s1.block == s2.block ? "" : "block '" + s2.block->name + "' ";
  d += !a2.is_write ? "reads it" : a1.is_write ? "writes it again" : "overwrites it";
  if (!(s1.block == s2.block && x == y)) d += " as " + y;
  return d;
}

const char* dependence_kind(const AccessModel& a1, const AccessModel& a2) {
  if (!a2.is_write) return "read after write";
  return a1.is_write ? "write after write" : "write after read";
}

// Calls f(s1, a1, s2, a2, conflict) for each ordered pair of accesses to one buffer (at
// least one a write) by statements that `pick` accepts, until f returns true.
void for_each_conflict(
    IslModel* im, const std::function<bool(size_t)>& pick,
    const std::function<bool(size_t, size_t, size_t, size_t, const isl::map&)>& f) {
  const FuncModel& m = im->model();
  for (size_t s1 = 0; s1 < m.stmts.size(); ++s1) {
    if (!pick(s1)) continue;
    for (size_t a1 = 0; a1 < m.stmts[s1].accesses.size(); ++a1) {
      const AccessModel& x = m.stmts[s1].accesses[a1];
      for (size_t s2 = 0; s2 < m.stmts.size(); ++s2) {
        if (!pick(s2)) continue;
        for (size_t a2 = 0; a2 < m.stmts[s2].accesses.size(); ++a2) {
          const AccessModel& y = m.stmts[s2].accesses[a2];
          if (!x.buffer.same_as(y.buffer) || (!x.is_write && !y.is_write)) continue;
          std::optional<isl::map> c = im->conflict(s1, a1, s2, a2);
          if (c && f(s1, a1, s2, a2, *c)) return;
        }
      }
    }
  }
}

std::vector<std::string> loop_names(const StmtModel& s) {
  std::vector<std::string> names;
  for (const Expr& l : s.loops) names.push_back(l.var_name());
  return names;
}

// Index of `var` among the loops around s, or -1.
int loop_index(const StmtModel& s, const Expr& var) {
  for (size_t d = 0; d < s.loops.size(); ++d) {
    if (s.loops[d].same_as(var)) return static_cast<int>(d);
  }
  return -1;
}

bool has_loop(const Stmt& body, const Expr& var) {
  bool found = false;
  post_order_visit(body, [&](const IRNode* n) {
    found |= n->kind() == NodeKind::kFor && static_cast<const For*>(n)->loop_var.same_as(var);
  });
  return found;
}

template <typename F>
std::string guarded(F f) {
  try {
    return f();
  } catch (const isl::exception& e) {
    CINN_THROW(InternalError) << "poly: isl failed in loop dependence analysis: " << e.what();
  }
  return {};  // unreachable: the builder above throws
}

}  // namespace

std::string loop_carried_dependence(const LoweredFunc& f, const Expr& loop_var) {
  CINN_CHECK(has_loop(f.body(), loop_var))
      << "loop_carried_dependence: no loop over '" << loop_var << "'";
  return guarded([&]() -> std::string {
    IslNamer namer;
    std::map<const BufferNode*, int> buffer_ids;
    FuncModel m = build_model(f, &namer, &buffer_ids);
    IslContext ctx;
    IslModel im(ctx.ctx(), m, namer);
    std::string result;
    auto under = [&](size_t s) { return loop_index(m.stmts[s], loop_var) >= 0; };
    for_each_conflict(
        &im, under, [&](size_t s1, size_t a1, size_t s2, size_t a2, const isl::map& c) {
          // The statements share the loops down to this one (index q): equal iterations of
          // the loops outside it, an earlier iteration of it.
          const StmtModel& x = m.stmts[s1];
          const StmtModel& y = m.stmts[s2];
          int q = loop_index(x, loop_var);
          std::string cons;
          for (int d = 0; d <= q; ++d) {
            std::string l = "l" + std::to_string(d);
            cons += (d ? " and " : "") + l + (d < q ? " = b" : " < b") + l;
          }
          isl::map carried =
              c.intersect(im.map(x.tuple + " -> " + y.renamed_tuple("b") + " : " + cons));
          if (carried.is_empty()) return false;
          std::vector<long> p = sample(carried);  // NOLINT(runtime/int)
          result = describe(x, x.accesses[a1], y, y.accesses[a2]) +
                   " at a later iteration of loop '" + loop_var.var_name() + "' (" +
                   dependence_kind(x.accesses[a1], y.accesses[a2]) + "; e.g. " +
                   point_text(loop_names(x), p, 0) + " then " +
                   point_text(loop_names(y), p, x.n_dims()) + ")";
          return true;
        });
    return result;
  });
}

std::string check_dependences_preserved(const LoweredFunc& before, const LoweredFunc& after,
                                        const Expr& scope) {
  return guarded([&]() -> std::string {
    IslNamer namer;
    std::map<const BufferNode*, int> buffer_ids;
    FuncModel mb = build_model(before, &namer, &buffer_ids);
    FuncModel ma = build_model(after, &namer, &buffer_ids);
    IslContext ctx;
    IslModel ib(ctx.ctx(), mb, namer), ia(ctx.ctx(), ma, namer);

    // Instances are matched through a key K<s>[iter_vars..., common loops...]: key_b[s]
    // maps the instances of before's statement s to it, key_a[s] those of the same block in
    // `after` (statement match[s]).
    size_t n = mb.stmts.size();
    std::vector<std::optional<std::string>> key_b(n), key_a(n);  // isl text, parsed on use
    std::vector<size_t> match(n), key_size(n, 0);
    for (size_t s = 0; s < n; ++s) {
      const StmtModel& b = mb.stmts[s];
      if (scope.defined() && loop_index(b, scope) < 0) continue;
      for (size_t t = 0; t < ma.stmts.size(); ++t) {
        const StmtModel& a = ma.stmts[t];
        if (a.block->name != b.block->name) continue;
        if (a.block->iter_vars.size() != b.block->iter_vars.size()) break;
        std::string kb;
        for (size_t d = 0; d < b.block->iter_vars.size(); ++d) {
          kb += (d ? ", v" : "v") + std::to_string(d);
        }
        std::string ka = kb;
        key_size[s] = b.block->iter_vars.size();
        for (size_t d = 0; d < b.loops.size(); ++d) {
          int e = loop_index(a, b.loops[d]);
          if (e < 0) continue;
          kb += (kb.empty() ? "l" : ", l") + std::to_string(d);
          ka += (ka.empty() ? "l" : ", l") + std::to_string(e);
          ++key_size[s];
        }
        std::string key = " -> K" + std::to_string(s) + "[";
        key_b[s] = b.tuple + key + kb + "]";
        key_a[s] = a.tuple + key + ka + "]";
        match[s] = t;
        break;
      }
    }

    std::string result;
    auto pick = [&](size_t s) { return key_b[s].has_value(); };
    for_each_conflict(
        &ib, pick, [&](size_t s1, size_t a1, size_t s2, size_t a2, const isl::map& c) {
          const StmtModel& x = mb.stmts[s1];
          const StmtModel& y = mb.stmts[s2];
          isl::map dep = c.intersect(ib.map(x.tuple + " -> " + y.renamed_tuple("b") + " : " +
                                            precedes_text(x, "", y, "b", /*or_equal=*/false)));
          if (dep.is_empty()) return false;
          // In `after`: pairs of instances where the sink does not run after the source.
          const StmtModel& xa = ma.stmts[match[s1]];
          const StmtModel& ya = ma.stmts[match[s2]];
          isl::map not_after = ia.map(xa.tuple + " -> " + ya.renamed_tuple("b") + " : " +
                                      precedes_text(ya, "b", xa, "", /*or_equal=*/true));
          auto kb = [&](size_t s) { return ib.map(*key_b[s]).intersect_domain(ib.domain(s)); };
          auto ka = [&](size_t s) {
            return ia.map(*key_a[s]).intersect_domain(ia.domain(match[s]));
          };
          isl::map keys = dep.apply_domain(kb(s1)).apply_range(kb(s2));
          isl::map reversed = keys.intersect(not_after.apply_domain(ka(s1)).apply_range(ka(s2)));
          if (reversed.is_empty()) return false;
          std::vector<long> p = sample(reversed);  // NOLINT(runtime/int)
          auto iter_names = [](const StmtModel& s) {
            std::vector<std::string> names;
            for (const IterVar& iv : s.block->iter_vars) names.push_back(iv.var.var_name());
            return names;
          };
          result = describe(x, x.accesses[a1], y, y.accesses[a2]) + " (" +
                   dependence_kind(x.accesses[a1], y.accesses[a2]) +
                   "), which the new loop order would run the other way round, e.g. for " +
                   x.block->name + "(" + point_text(iter_names(x), p, 0) + ") and " +
                   y.block->name + "(" + point_text(iter_names(y), p, key_size[s1]) + ")";
          return true;
        });
    return result;
  });
}

}  // namespace cinn::poly
