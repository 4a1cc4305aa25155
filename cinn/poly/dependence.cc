#include "cinn/poly/dependence.h"

#include <map>
#include <sstream>

#include "cinn/poly/affine.h"
#include "cinn/poly/isl_context.h"

namespace cinn::poly {

using namespace ir;  // NOLINT

namespace {

// "S<stage>[i...] -> B<buf>[idx...]" for an access; non-affine indices cover the whole dim.
std::string access_text(const StageDomain& stage, const Access& a, int buffer_id,
                        IslNamer* namer) {
  std::string tuple;
  for (size_t d = 0; d < stage.iter_vars.size(); ++d) tuple += (d ? ", " : "") + ("i" + std::to_string(d));
  std::string out, cons;
  for (size_t d = 0; d < a.indices.size(); ++d) {
    std::string o = "o" + std::to_string(d);
    out += (d ? ", " : "") + o;
    std::string c;
    try {
      c = o + " = " + namer->text(a.indices[d]);
    } catch (const NotAffine&) {
      c = "0 <= " + o + " < " + namer->text(a.buffer.shape()[d]);
    }
    cons += (cons.empty() ? "" : " and ") + c;
  }
  return "S" + std::to_string(a.stage) + "[" + tuple + "] -> B" + std::to_string(buffer_id) +
         "[" + out + "]" + (cons.empty() ? "" : " : " + cons);
}

}  // namespace

std::vector<FlowDependence> flow_dependences(const std::vector<StageDomain>& stages,
                                             const std::vector<Access>& accesses) {
  IslNamer namer;
  size_t max_dims = 0;
  for (const auto& s : stages) max_dims = std::max(max_dims, s.iter_vars.size());
  std::vector<std::string> domains, schedules, reads, writes;
  std::map<const BufferNode*, int> buffer_ids;
  try {
    for (size_t si = 0; si < stages.size(); ++si) {
      domains.push_back(domain_text(stages[si], static_cast<int>(si), &namer));
      schedules.push_back(schedule_text(stages[si], static_cast<int>(si), max_dims));
    }
    for (const Access& a : accesses) {
      CINN_CHECK(a.stage >= 0 && a.stage < static_cast<int>(stages.size())) << "bad stage";
      // Each stage's iter_vars are registered as i0, i1, ... by domain_text; re-register so
      // the access refers to this stage's variables.
      domain_text(stages[a.stage], a.stage, &namer);
      auto [it, _] = buffer_ids.emplace(a.buffer.get(), static_cast<int>(buffer_ids.size()));
      std::string t = access_text(stages[a.stage], a, it->second, &namer);
      (a.is_write ? writes : reads).push_back(t);
    }
  } catch (const NotAffine& e) {
    CINN_THROW(InternalError) << "poly: domain is not affine: " << e.why;
  }

  IslContext ctx;
  std::vector<FlowDependence> result;
  try {
    isl::union_set domain(ctx.ctx(), union_text(namer, domains));
    isl::union_map schedule(ctx.ctx(), union_text(namer, schedules));
    schedule = schedule.intersect_domain(domain);
    isl::set context(ctx.ctx(), namer.params_context());
    auto restrict = [&](const std::vector<std::string>& parts) {
      isl::union_map m(ctx.ctx(), union_text(namer, parts));
      return m.intersect_domain(domain).intersect_params(context);
    };
    isl::union_access_info info(restrict(reads));
    info = info.set_must_source(restrict(writes)).set_schedule_map(schedule);
    isl::union_map deps = info.compute_flow().must_dependence();
    // Split the union by (source, sink) statement pair.
    isl::map_list maps = deps.map_list();
    for (unsigned i = 0; i < maps.size(); ++i) {
      isl::map m = maps.at(i).coalesce();
      FlowDependence d;
      d.source = std::stoi(m.domain_tuple_id().name().substr(1));
      d.sink = std::stoi(m.range_tuple_id().name().substr(1));
      std::ostringstream os;
      os << m;
      d.relation = os.str();
      result.push_back(std::move(d));
    }
  } catch (const isl::exception& e) {
    CINN_THROW(InternalError) << "poly: isl failed in dependence analysis: " << e.what();
  }
  return result;
}

}  // namespace cinn::poly
