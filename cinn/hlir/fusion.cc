#include "cinn/hlir/fusion.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace cinn::hlir {
namespace {

bool is_light(OpPattern p) { return p <= OpPattern::kInjective; }

// A node's pattern kind for fusion: the op's, except that a reshape which only inserts or
// removes axes of size 1 is a Broadcast (out[i] = in[i without those axes]), as when a
// per-channel parameter [C] becomes [C, 1, 1] to broadcast against NCHW.
OpPattern pattern_of(const Node& n) {
  if (n.op_name() == "reshape") {
    auto squeeze = [](const Shape& s) {
      Shape out;
      for (int64_t d : s) {
        if (d != 1) out.push_back(d);
      }
      return out;
    };
    if (squeeze(n.inputs[0]->shape()) == squeeze(n.outputs[0]->shape())) return OpPattern::kBroadcast;
  }
  return n.op->op_pattern;
}

struct GroupInfo {
  std::vector<Node*> nodes;
  OpPattern kind = OpPattern::kElementWise;
  // Reduction groups: the reduced input shape and the (normalized, sorted) axes.
  Shape reduce_in;
  std::vector<int64_t> reduce_axes;
  // OutFusible groups: the result shape of the master op.
  Shape master_out;
  bool has_master = false;
};

class Fuser {
 public:
  explicit Fuser(const Graph& g) : g_(g) {
    for (const auto& n : g.nodes()) {
      for (Value* v : n->inputs) {
        auto& u = users_[v];
        if (u.empty() || u.back() != n.get()) u.push_back(n.get());
      }
    }
    for (const auto& n : g.nodes()) {
      int id = n->id;
      parent_[id] = id;
      GroupInfo& gi = info_[id];
      gi.nodes = {n.get()};
      gi.kind = pattern_of(*n);
      if (gi.kind == OpPattern::kReduction) {
        gi.reduce_in = n->inputs[0]->shape();
        gi.reduce_axes = reduce_axes(*n);
        gi.has_master = true;
      } else if (gi.kind == OpPattern::kOutFusible) {
        gi.master_out = n->outputs[0]->shape();
        gi.has_master = true;
      }
    }
  }

  int find(int id) { return parent_[id] == id ? id : parent_[id] = find(parent_[id]); }

  void run() {
    for (const auto& n : g_.nodes()) {
      for (Value* v : n->inputs) {
        if (!v->producer) continue;
        int p = find(v->producer->id), c = find(n->id);
        if (p != c && can_merge(p, c) && !creates_cycle(p, c)) merge(p, c);
      }
    }
  }

  // Horizontal fusion: groups reading a common value, with no path between them, merge when
  // both are light ops over one iteration shape, or reductions of the same input shape and
  // axes: one kernel then reads the shared value once.
  void run_horizontal() {
    std::vector<const Value*> values(g_.inputs().begin(), g_.inputs().end());
    for (const auto& n : g_.nodes()) values.insert(values.end(), n->outputs.begin(), n->outputs.end());
    for (const Value* v : values) {
      std::vector<int> groups;
      for (Node* u : users(v)) {
        int r = find(u->id);
        if (std::find(groups.begin(), groups.end(), r) == groups.end()) groups.push_back(r);
      }
      for (size_t i = 0; i < groups.size(); ++i) {
        for (size_t j = i + 1; j < groups.size(); ++j) {
          int a = find(groups[i]), b = find(groups[j]);
          if (a != b && can_merge_siblings(a, b) && !creates_cycle(a, b) && !creates_cycle(b, a)) {
            merge(a, b);
          }
        }
      }
    }
  }

  // Recomputation across kernels: a value made by cheap elementwise/broadcast ops and read
  // by other groups is computed again inside each of them (its producing chain is copied
  // into their node lists) instead of being written to memory by its own group and read
  // back, when every reading group can take the chain (the same rules as a merge into it)
  // and the chain reads at most one value as large as the result, which its group does not
  // have to write just for this. The typical case is training: the normalized activations
  // and relu masks that backward kernels read are recomputed from the convolution result
  // and the per-channel statistics.
  void recompute() {
    constexpr size_t kMaxChain = 16;
    for (const auto& node : g_.nodes()) {
      Node* p = node.get();
      if (!is_cheap(p) || p->inputs.empty()) continue;
      int home = find(p->id);
      for (Value* v : p->outputs) {
        if (g_.is_output(v)) continue;
        std::vector<int> readers;
        for (Node* u : users(v)) {
          int h = find(u->id);
          if (h != home && std::find(readers.begin(), readers.end(), h) == readers.end()) readers.push_back(h);
        }
        if (readers.empty()) continue;
        std::vector<Node*> chain;
        if (!collect_chain(p, home, kMaxChain, &chain)) continue;
        if (!cheap_anchors(chain, home, num_elements(v->shape()))) continue;
        bool all = true;
        for (int h : readers) all = all && can_absorb(h, chain, v);
        if (!all) continue;
        for (int h : readers) {
          auto& extra = recomputed_[h];
          for (Node* n : chain) {
            if (std::find(extra.begin(), extra.end(), n) == extra.end()) extra.push_back(n);
          }
        }
      }
    }
  }

  std::vector<FusionGroup> groups() {
    std::map<int, FusionGroup> by_root;
    std::vector<int> first_seen;
    for (const auto& n : g_.nodes()) {
      int r = find(n->id);
      if (!by_root.count(r)) first_seen.push_back(r);
      by_root[r].nodes.push_back(n.get());
    }
    // Recomputed nodes join the groups that read them, in graph order.
    std::map<const Node*, size_t> position;
    for (const auto& n : g_.nodes()) position[n.get()] = position.size();
    std::map<int, std::set<const Node*>> members_of;
    for (auto& [r, fg] : by_root) {
      auto it = recomputed_.find(r);
      if (it != recomputed_.end()) {
        fg.nodes.insert(fg.nodes.end(), it->second.begin(), it->second.end());
        std::sort(fg.nodes.begin(), fg.nodes.end(),
                  [&](const Node* a, const Node* b) { return position[a] < position[b]; });
      }
      members_of[r] = std::set<const Node*>(fg.nodes.begin(), fg.nodes.end());
    }
    std::map<const Node*, std::vector<int>> groups_of;  // the groups that run each node
    for (const auto& [r, nodes] : members_of) {
      for (const Node* n : nodes) groups_of[n].push_back(r);
    }
    // Launch order: every group after the groups it reads from. A group's first node can
    // precede a node of a group it depends on (conv2d, then the bias broadcast its epilogue
    // adds), so first appearance alone is not an order; the group graph is acyclic.
    std::vector<int> order;
    std::set<int> placed, placing;
    std::function<void(int)> place = [&](int r) {
      if (placing.count(r)) {
        CINN_THROW(InternalError) << "fusion made the group graph cyclic (a group containing op '"
                                  << by_root[r].nodes.front()->op_name() << "' depends on itself)";
      }
      if (placed.count(r)) return;
      placing.insert(r);
      for (Node* n : by_root[r].nodes) {
        for (Value* v : n->inputs) {
          if (v->producer && find(v->producer->id) != r && !members_of[r].count(v->producer)) {
            place(find(v->producer->id));
          }
        }
      }
      placing.erase(r);
      placed.insert(r);
      order.push_back(r);
    };
    for (int r : first_seen) place(r);
    std::vector<FusionGroup> out;
    for (int r : order) {
      FusionGroup fg = by_root[r];
      fg.kind = info_[r].kind;
      const std::set<const Node*>& members = members_of[r];
      std::set<const Value*> seen;
      for (Node* n : fg.nodes) {
        for (Value* v : n->inputs) {
          if ((!v->producer || !members.count(v->producer)) && seen.insert(v).second) fg.inputs.push_back(v);
        }
      }
      // A group writes the values of its own nodes that a group without the producer reads.
      for (Node* n : fg.nodes) {
        if (find(n->id) != r) continue;  // recomputed here: its own group decides
        for (Value* v : n->outputs) {
          bool outside = g_.is_output(v);
          // Every group that runs a reader (its own, or one recomputing it) and not n.
          for (Node* u : users(v)) {
            for (int x : groups_of[u]) outside = outside || (x != r && !members_of[x].count(n));
          }
          if (outside) fg.outputs.push_back(v);
        }
      }
      // Every reader recomputes what this group made: nothing left to run.
      bool recomputed = std::any_of(fg.nodes.begin(), fg.nodes.end(),
                                    [&](const Node* n) { return groups_of[n].size() > 1; });
      if (fg.outputs.empty() && recomputed) continue;
      fg.id = static_cast<int>(out.size());
      std::ostringstream name;
      name << "fn" << fg.id;
      std::set<std::string> ops;
      for (Node* n : fg.nodes) {
        if (find(n->id) != r) continue;
        if (n->op->op_pattern >= OpPattern::kReduction || ops.size() < 3) {
          if (ops.insert(n->op_name()).second) name << "_" << n->op_name();
        }
      }
      fg.name = name.str();
      out.push_back(std::move(fg));
    }
    return out;
  }

 private:
  static std::vector<int64_t> reduce_axes(const Node& n) {
    auto axes = get_attr<std::vector<int64_t>>(n.attrs, "axis");
    int64_t r = static_cast<int64_t>(n.inputs[0]->shape().size());
    if (axes.empty()) {
      for (int64_t i = 0; i < r; ++i) axes.push_back(i);
    }
    for (auto& a : axes) a = a < 0 ? a + r : a;
    std::sort(axes.begin(), axes.end());
    return axes;
  }

  // The shapes an epilogue of reduction group `p` may have: the input shape, and the
  // result shape with and without the reduced axes kept.
  static bool fits_reduction(const GroupInfo& p, const Shape& s) {
    if (s == p.reduce_in) return true;
    Shape keep, drop;
    for (size_t d = 0, a = 0; d < p.reduce_in.size(); ++d) {
      bool red = a < p.reduce_axes.size() && p.reduce_axes[a] == static_cast<int64_t>(d);
      if (red) ++a;
      keep.push_back(red ? 1 : p.reduce_in[d]);
      if (!red) drop.push_back(p.reduce_in[d]);
    }
    return s == keep || s == drop;
  }

  template <typename Pred>
  static bool all_fit(const GroupInfo& g, Pred pred) {
    for (Node* n : g.nodes) {
      if (n->inputs.empty()) continue;  // sources are inlined anywhere
      for (Value* v : n->outputs) {
        if (!pred(v->shape())) return false;
      }
    }
    return true;
  }

  bool can_merge(int p, int c) {
    const GroupInfo& P = info_[p];
    const GroupInfo& C = info_[c];
    bool p_source = P.nodes.size() == 1 && P.nodes[0]->inputs.empty();
    // A source (fill_constant, iota: computed from its indices alone) is inlined even into
    // an opaque op: scatter_add into a zero table then writes zeros rather than reading a
    // table of them (benchmarks/results/reductions_2026-11-24.md).
    if (p_source && P.kind != OpPattern::kOpaque && C.kind == OpPattern::kOpaque) return true;
    if (P.kind == OpPattern::kOpaque || C.kind == OpPattern::kOpaque) return false;
    if (is_light(P.kind) && is_light(C.kind)) return true;
    if (is_light(P.kind) && C.kind == OpPattern::kReduction) {
      if (p_source) return true;
      return all_fit(P, [&](const Shape& s) { return fits_reduction(C, s); });
    }
    if (P.kind <= OpPattern::kBroadcast && C.kind == OpPattern::kOutFusible) {
      // Only into the epilogue: no value of P may feed the master op.
      for (Node* n : C.nodes) {
        if (n->op->op_pattern != OpPattern::kOutFusible) continue;
        for (Value* v : n->inputs) {
          if (v->producer && find(v->producer->id) == p) return false;
        }
      }
      // Its values are computed per element of the epilogue (inlined): none may be larger.
      int64_t limit = num_elements(C.master_out);
      return all_fit(P, [&](const Shape& s) { return num_elements(s) <= limit; });
    }
    if (P.kind == OpPattern::kReduction && C.kind <= OpPattern::kBroadcast) {
      return all_fit(C, [&](const Shape& s) { return fits_reduction(P, s); });
    }
    if (P.kind == OpPattern::kReduction && C.kind == OpPattern::kReduction) {
      return P.reduce_in == C.reduce_in && P.reduce_axes == C.reduce_axes;
    }
    if (P.kind == OpPattern::kOutFusible && C.kind <= OpPattern::kBroadcast) {
      return all_fit(C, [&](const Shape& s) { return s == P.master_out; });
    }
    return false;
  }

  // The shape of every (non-source) result of a light group, if they all agree.
  std::optional<Shape> uniform_shape(const GroupInfo& g) const {
    std::optional<Shape> shape;
    for (Node* n : g.nodes) {
      if (n->inputs.empty()) continue;
      for (Value* v : n->outputs) {
        if (!shape) shape = v->shape();
        if (*shape != v->shape()) return std::nullopt;
      }
    }
    return shape;
  }

  bool can_merge_siblings(int a, int b) {
    const GroupInfo& A = info_[a];
    const GroupInfo& B = info_[b];
    if (is_light(A.kind) && is_light(B.kind)) {
      if (A.kind == OpPattern::kInjective || B.kind == OpPattern::kInjective) return false;
      auto sa = uniform_shape(A), sb = uniform_shape(B);
      return sa && sb && *sa == *sb;
    }
    if (A.kind == OpPattern::kReduction && B.kind == OpPattern::kReduction) {
      return A.reduce_in == B.reduce_in && A.reduce_axes == B.reduce_axes;
    }
    return false;
  }

  // Whether some path from group p to group c leaves both groups on the way. The walk is
  // over groups, not nodes: a group runs as one kernel, so reaching any of its nodes makes
  // all of its results depend on what was reached (a node-level walk would miss p -> x1,
  // x2 -> c with x1 and x2 in one other group and no path from x1 to x2).
  bool creates_cycle(int p, int c) {
    std::vector<int> stack;
    std::set<int> visited;
    bool found = false;
    auto visit_successors = [&](int g) {
      for (const Node* n : info_[g].nodes) {
        for (Value* v : n->outputs) {
          for (Node* u : users(v)) {
            int h = find(u->id);
            if (h == p || h == g) continue;
            if (h == c) {
              found = found || g != p;  // p -> c directly is the edge being fused
              continue;
            }
            if (visited.insert(h).second) stack.push_back(h);
          }
        }
      }
    };
    visit_successors(p);
    while (!stack.empty() && !found) {
      int g = stack.back();
      stack.pop_back();
      visit_successors(g);
    }
    return found;
  }

  static bool is_cheap(const Node* n) {
    return pattern_of(*n) <= OpPattern::kBroadcast;
  }

  // The cheap nodes of group `home` that compute `p`'s results from values made elsewhere
  // (or by costly nodes of the group), `p` last; false if more than `limit`.
  bool collect_chain(Node* p, int home, size_t limit, std::vector<Node*>* chain) {
    std::set<const Node*> seen;
    std::function<bool(Node*)> visit = [&](Node* n) {
      if (!seen.insert(n).second) return true;
      for (Value* v : n->inputs) {
        Node* q = v->producer;
        if (q && find(q->id) == home && is_cheap(q) && !visit(q)) return false;
      }
      chain->push_back(n);
      return chain->size() <= limit;
    };
    return visit(p);
  }

  // Whether the chain's inputs cost less than the value it replaces: at most one as large
  // as an eighth of it, and none that group `home` would write only for the chain.
  bool cheap_anchors(const std::vector<Node*>& chain, int home, int64_t elements) {
    std::set<const Node*> in_chain(chain.begin(), chain.end());
    std::set<const Value*> anchors;
    for (Node* n : chain) {
      for (Value* v : n->inputs) {
        if (!v->producer || !in_chain.count(v->producer)) anchors.insert(v);
      }
    }
    int large = 0;
    for (const Value* a : anchors) {
      if (num_elements(a->shape()) * 8 <= elements) continue;
      ++large;
      if (a->producer && find(a->producer->id) == home && !g_.is_output(a)) {
        bool written = false;
        for (Node* u : users(a)) written = written || find(u->id) != home;
        if (!written) return false;
      }
    }
    return large <= 1;
  }

  // Whether group h can compute the chain making `v` (the rules of a merge into h).
  bool can_absorb(int h, const std::vector<Node*>& chain, const Value* v) {
    const GroupInfo& C = info_[h];
    if (C.kind == OpPattern::kOpaque) return false;
    if (is_light(C.kind)) return true;
    auto all_outputs = [&](auto pred) {
      for (Node* n : chain) {
        for (Value* o : n->outputs) {
          if (!pred(o->shape())) return false;
        }
      }
      return true;
    };
    if (C.kind == OpPattern::kReduction) {
      return all_outputs([&](const Shape& s) { return fits_reduction(C, s); });
    }
    if (C.kind == OpPattern::kOutFusible) {
      for (Node* u : users(v)) {
        if (find(u->id) == h && u->op->op_pattern == OpPattern::kOutFusible) return false;
      }
      int64_t limit = num_elements(C.master_out);
      return all_outputs([&](const Shape& s) { return num_elements(s) <= limit; });
    }
    return false;
  }

  void merge(int p, int c) {
    GroupInfo& P = info_[p];
    GroupInfo& C = info_[c];
    for (Node* n : P.nodes) C.nodes.push_back(n);
    if (P.has_master && !C.has_master) {
      C.reduce_in = P.reduce_in;
      C.reduce_axes = P.reduce_axes;
      C.master_out = P.master_out;
      C.has_master = true;
    }
    C.kind = std::max(C.kind, P.kind);
    parent_[p] = c;
    info_.erase(p);
  }

  const std::vector<Node*>& users(const Value* v) const {
    static const std::vector<Node*> kNone;
    auto it = users_.find(v);
    return it == users_.end() ? kNone : it->second;
  }

  const Graph& g_;
  std::map<const Value*, std::vector<Node*>> users_;  // consumers of each value, in order
  std::map<int, int> parent_;
  std::map<int, GroupInfo> info_;
  std::map<int, std::vector<Node*>> recomputed_;  // group -> nodes of other groups it recomputes
};

}  // namespace

std::vector<FusionGroup> fuse_ops(const Graph& g, bool enable) {
  Fuser f(g);
  if (enable) {
    f.run();
    f.run_horizontal();
    f.recompute();
  }
  return f.groups();
}

std::string fusion_groups_to_string(const std::vector<FusionGroup>& groups) {
  std::ostringstream os;
  for (const auto& fg : groups) {
    os << fg.name << " [" << op_pattern_name(fg.kind) << "]: ";
    for (size_t i = 0; i < fg.nodes.size(); ++i) {
      os << (i ? ", " : "") << fg.nodes[i]->op_name() << "->" << fg.nodes[i]->outputs[0]->name;
    }
    os << "\n";
  }
  return os.str();
}

}  // namespace cinn::hlir
