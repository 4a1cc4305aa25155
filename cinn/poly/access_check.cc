#include "cinn/poly/access_check.h"

#include <sstream>

#include "cinn/ir/printer.h"
#include "cinn/poly/affine.h"
#include "cinn/poly/isl_context.h"

namespace cinn::poly {

using namespace ir;  // NOLINT

std::string check_access_in_bounds(const StageDomain& stage, const Buffer& buffer,
                                   const std::vector<Expr>& indices) {
  IslNamer namer;
  std::string dom, access, box;
  try {
    dom = domain_text(stage, 0, &namer);
    std::string tuple, out, acons, bcons;
    for (size_t d = 0; d < stage.iter_vars.size(); ++d) tuple += (d ? ", " : "") + ("i" + std::to_string(d));
    for (size_t d = 0; d < indices.size(); ++d) {
      std::string o = "o" + std::to_string(d);
      out += (d ? ", " : "") + o;
      acons += (d ? " and " : "") + o + " = " + namer.text(indices[d]);
      bcons += (d ? " and " : "") + ("0 <= " + o + " < " + namer.text(buffer.shape()[d]));
    }
    access = "S0[" + tuple + "] -> A[" + out + "]" + (acons.empty() ? "" : " : " + acons);
    box = "A[" + out + "]" + (bcons.empty() ? "" : " : " + bcons);
  } catch (const NotAffine&) {
    return "";
  }
  IslContext ctx;
  try {
    isl::set context(ctx.ctx(), namer.params_context());
    isl::union_set domain = isl::union_set(ctx.ctx(), union_text(namer, {dom}));
    isl::union_map acc(ctx.ctx(), union_text(namer, {access}));
    isl::union_set image = domain.apply(acc).intersect_params(context);
    isl::union_set inside(ctx.ctx(), union_text(namer, {box}));
    isl::union_set outside = image.subtract(inside);
    if (outside.is_empty()) return "";
    isl::point p = outside.sample_point();
    std::ostringstream os;
    os << "index out of bounds: " << buffer.name() << "[";
    for (size_t d = 0; d < indices.size(); ++d) os << (d ? ", " : "") << indices[d];
    os << "] reaches " << buffer.name() << "[";
    for (size_t d = 0; d < indices.size(); ++d) {
      os << (d ? ", " : "")
         << isl::manage(isl_point_get_coordinate_val(p.get(), isl_dim_set, static_cast<int>(d)));
    }
    os << "] but " << buffer.name() << " has shape [";
    for (size_t d = 0; d < buffer.shape().size(); ++d) os << (d ? ", " : "") << buffer.shape()[d];
    os << "]";
    return os.str();
  } catch (const isl::exception&) {
    return "";
  }
}

bool constraints_keep_outer_points(const StageDomain& stage, int n_outer) {
  IslNamer namer;
  StageDomain box = stage;
  box.constraints.clear();
  std::string with, without;
  try {
    with = domain_text(stage, 0, &namer);
    without = domain_text(box, 0, &namer);
  } catch (const NotAffine&) {
    return false;
  }
  IslContext ctx;
  try {
    isl::set context(ctx.ctx(), namer.params_context());
    isl::set a = isl::set(ctx.ctx(), union_text(namer, {with})).intersect_params(context);
    isl::set b = isl::set(ctx.ctx(), union_text(namer, {without})).intersect_params(context);
    int n_inner = static_cast<int>(stage.iter_vars.size()) - n_outer;
    a = isl::manage(isl_set_project_out(a.release(), isl_dim_set, n_outer, n_inner));
    b = isl::manage(isl_set_project_out(b.release(), isl_dim_set, n_outer, n_inner));
    return b.is_subset(a);
  } catch (const isl::exception&) {
    return false;
  }
}

}  // namespace cinn::poly
