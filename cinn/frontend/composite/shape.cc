// Composite shape ops: views and rearrangements built from reshape, broadcast_to,
// transpose, slice, concat and gather. Each rule's formula is in its comment and its
// description.
#include <algorithm>

#include "cinn/frontend/composite/rule_util.h"

namespace cinn::frontend::composite {
namespace {

// flatten(x, start, end) = reshape(x, shape[:start] + [prod(shape[start:end+1])] + shape[end+1:])
CINN_REGISTER_OP(flatten)
    .describe("x with axes start_axis..end_axis merged into one (torch.flatten)")
    .inputs({"x"})
    .attr("start_axis", int64_t{0}, "the first merged axis")
    .attr("end_axis", int64_t{-1}, "the last merged axis (included)")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      const Shape& s = x->shape();
      if (s.empty()) return Values{b.reshape(x, {1})};
      int64_t lo = normalize_axis("flatten", attr<int64_t>(a, "start_axis"), rank(x));
      int64_t hi = normalize_axis("flatten", attr<int64_t>(a, "end_axis"), rank(x));
      if (lo > hi) {
        RULE_THROW("flatten", ShapeError) << "start_axis " << lo << " comes after end_axis " << hi;
      }
      Shape out(s.begin(), s.begin() + lo);
      out.push_back(hlir::num_elements(Shape(s.begin() + lo, s.begin() + hi + 1)));
      out.insert(out.end(), s.begin() + hi + 1, s.end());
      return Values{b.reshape(x, out)};
    }));

// squeeze(x, axis) = reshape(x, shape without the size-1 axes among `axis`)
CINN_REGISTER_OP(squeeze)
    .describe(
        "x without its size-1 axes among axis ([] = every size-1 axis); listed axes of "
        "another size are kept (torch.squeeze)")
    .inputs({"x"})
    .attr("axis", std::vector<int64_t>{}, "the axes to drop if of size 1; [] means all")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Ints axes = normalize_axes("squeeze", attr<Ints>(a, "axis"), rank(x));
      Shape out;
      for (int64_t d = 0; d < rank(x); ++d) {
        bool listed = std::find(axes.begin(), axes.end(), d) != axes.end();
        if (!(listed && x->shape()[d] == 1)) out.push_back(x->shape()[d]);
      }
      return Values{out == x->shape() ? x : b.reshape(x, out)};
    }));

// unsqueeze(x, axis) = reshape(x, shape with size-1 axes inserted at `axis`)
Shape unsqueezed(const char* op, const Shape& s, const Ints& axis) {
  int64_t out_rank = static_cast<int64_t>(s.size() + axis.size());
  Ints axes = normalize_axes(op, axis, out_rank);
  Shape out;
  size_t next = 0;
  for (int64_t d = 0; d < out_rank; ++d) {
    bool inserted = std::find(axes.begin(), axes.end(), d) != axes.end();
    out.push_back(inserted ? 1 : s[next++]);
  }
  return out;
}

CINN_REGISTER_OP(unsqueeze)
    .describe("x with size-1 axes inserted so that they are the result's axes `axis`")
    .inputs({"x"})
    .required_attr("axis", hlir::AttrKind::kInts, "positions in the result (negative allowed)")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      const auto& axis = attr<Ints>(a, "axis");
      if (axis.empty()) return Values{in[0]};
      return Values{b.reshape(in[0], unsqueezed("unsqueeze", in[0]->shape(), axis))};
    }));

// expand(x, shape) = broadcast_to(x, shape with -1 replaced by x's size)
CINN_REGISTER_OP(expand)
    .describe("broadcast_to(x, shape) where -1 keeps x's size (torch expand)")
    .inputs({"x"})
    .required_attr("shape", hlir::AttrKind::kInts, "the result shape; -1 keeps x's size")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Shape shape = attr<Ints>(a, "shape");
      if (shape.size() < x->shape().size()) {
        RULE_THROW("expand", ShapeError) << "shape " << hlir::shape_to_string(shape)
                                         << " has fewer axes than x " << x->type.to_string();
      }
      size_t lead = shape.size() - x->shape().size();
      for (size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] != -1) continue;
        if (d < lead) {
          RULE_THROW("expand", ShapeError)
              << "-1 is not allowed for a new leading axis (" << d << ")";
        }
        shape[d] = x->shape()[d - lead];
      }
      return Values{shape == x->shape() ? x : b.broadcast_to(x, shape)};
    }));

// tile(x, repeats): with x reshaped to [1, d0, 1, d1, ...], broadcast to
// [r0, d0, r1, d1, ...] and reshaped to [r0 * d0, r1 * d1, ...]; shorter repeats or shape
// are padded with leading 1s (torch.tile)
CINN_REGISTER_OP(tile)
    .describe(
        "x repeated repeats[i] times along axis i (torch.tile); the shorter of repeats "
        "and x's shape is padded with leading 1s")
    .inputs({"x"})
    .required_attr("repeats", hlir::AttrKind::kInts, "repetitions per axis (>= 1)")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Ints reps = attr<Ints>(a, "repeats");
      Shape s = x->shape();
      for (auto r : reps) {
        if (r < 1) RULE_THROW("tile", ShapeError) << "repeats must be >= 1, got " << r;
      }
      while (reps.size() < s.size()) reps.insert(reps.begin(), 1);
      while (s.size() < reps.size()) s.insert(s.begin(), 1);
      Shape pairs, wide, out;
      for (size_t d = 0; d < s.size(); ++d) {
        pairs.insert(pairs.end(), {1, s[d]});
        wide.insert(wide.end(), {reps[d], s[d]});
        out.push_back(reps[d] * s[d]);
      }
      return Values{b.reshape(b.broadcast_to(b.reshape(x, pairs), wide), out)};
    }));

// The pieces [offset, offset + size) of one axis, as slices.
Values slices(NetBuilder& b, Value* x, int64_t axis, const Ints& sizes) {
  Values out;
  int64_t offset = 0;
  for (auto n : sizes) {
    out.push_back(b.slice(x, {axis}, {offset}, {offset + n}));
    offset += n;
  }
  return out;
}

// split(x, sections, axis): consecutive slices of the given sizes; one entry n means n
// equal pieces (Paddle's num_or_sections)
CINN_REGISTER_OP(split)
    .describe(
        "x cut along axis into consecutive pieces (several results): [n] gives n equal "
        "pieces, a longer list gives the pieces' sizes (one may be -1, inferred)")
    .inputs({"x"})
    .required_attr("num_or_sections", hlir::AttrKind::kInts,
                   "[n] for n equal pieces, or the sizes, which sum to the axis' size")
    .attr("axis", int64_t{0}, "the split axis")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      int64_t axis = normalize_axis("split", attr<int64_t>(a, "axis"), rank(x));
      int64_t dim = x->shape()[axis];
      Ints sizes = attr<Ints>(a, "num_or_sections");
      if (sizes.size() == 1) {
        int64_t n = sizes[0];
        if (n < 1 || dim % n != 0) {
          RULE_THROW("split", ShapeError) << "cannot split axis " << axis << " of size " << dim
                                          << " into " << n << " equal pieces";
        }
        sizes.assign(static_cast<size_t>(n), dim / n);
      } else {
        int64_t known = 0, infer = -1;
        for (size_t i = 0; i < sizes.size(); ++i) {
          if (sizes[i] == -1 && infer < 0) {
            infer = static_cast<int64_t>(i);
          } else if (sizes[i] < 1) {
            RULE_THROW("split", ShapeError) << "section sizes must be positive (one may be -1), "
                                            << "got " << hlir::attr_to_string(hlir::Attr(sizes));
          } else {
            known += sizes[i];
          }
        }
        if (infer >= 0) sizes[infer] = dim - known;
        if (known + (infer >= 0 ? sizes[infer] : 0) != dim || (infer >= 0 && sizes[infer] < 1)) {
          RULE_THROW("split", ShapeError)
              << "section sizes " << hlir::attr_to_string(a.at("num_or_sections"))
              << " do not sum to the size of axis " << axis << " (" << dim << ")";
        }
      }
      return slices(b, x, axis, sizes);
    }));

// chunk(x, chunks, axis): pieces of ceil(n / chunks) along axis, the last one smaller; as in
// torch.chunk there may be fewer than `chunks` pieces
CINN_REGISTER_OP(chunk)
    .describe(
        "x cut along axis into pieces of ceil(n / chunks), the last smaller (several "
        "results; possibly fewer than chunks, as torch.chunk)")
    .inputs({"x"})
    .required_attr("chunks", hlir::AttrKind::kInt, "the number of pieces wanted (>= 1)")
    .attr("axis", int64_t{0}, "the split axis")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      int64_t axis = normalize_axis("chunk", attr<int64_t>(a, "axis"), rank(x));
      int64_t chunks = attr<int64_t>(a, "chunks"), dim = x->shape()[axis];
      if (chunks < 1) RULE_THROW("chunk", ShapeError) << "chunks must be >= 1, got " << chunks;
      int64_t size = (dim + chunks - 1) / chunks;
      Ints sizes;
      for (int64_t off = 0; off < dim; off += size) sizes.push_back(std::min(size, dim - off));
      return slices(b, x, axis, sizes);
    }));

// stack(xs, axis) = concat([unsqueeze(x, axis) for x in xs], axis)
CINN_REGISTER_OP(stack)
    .describe("the operands (all of one shape) joined along a new axis `axis`")
    .inputs({"xs..."})
    .attr("axis", int64_t{0}, "the new axis' position in the result")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      for (size_t i = 1; i < in.size(); ++i) {
        if (in[i]->shape() != in[0]->shape()) {
          RULE_THROW("stack", ShapeError)
              << "operand " << i << " is " << in[i]->type.to_string() << ", operand 0 "
              << in[0]->type.to_string() << "; they must have one shape";
        }
      }
      int64_t axis = normalize_axis("stack", attr<int64_t>(a, "axis"), rank(in[0]) + 1);
      Shape s = unsqueezed("stack", in[0]->shape(), {axis});
      Values parts;
      for (Value* x : in) parts.push_back(b.reshape(x, s));
      return Values{parts.size() == 1 ? parts[0] : b.concat(parts, axis)};
    }));

// flip(x, axis): one slice x[n - 1::-1] along the listed axes (an index expression, which
// fuses and vectorizes, where a gather by an index tensor would read the indices too)
CINN_REGISTER_OP(flip)
    .describe("x reversed along each of axis: out[.., i, ..] = x[.., n - 1 - i, ..]")
    .inputs({"x"})
    .required_attr("axis", hlir::AttrKind::kInts, "the reversed axes")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Ints axes, starts, ends, strides;
      for (int64_t axis : normalize_axes("flip", attr<Ints>(a, "axis"), rank(x))) {
        int64_t n = x->shape()[axis];
        if (n == 1) continue;
        axes.push_back(axis);
        starts.push_back(n - 1);
        ends.push_back(-n - 1);
        strides.push_back(-1);
      }
      return Values{axes.empty() ? x : b.slice(x, axes, starts, ends, strides)};
    }));

// pixel_shuffle(x, r): [*, C r^2, H, W] -> reshape [*, C, r, r, H, W] -> transpose to
// [*, C, H, r, W, r] -> reshape [*, C, H r, W r]
CINN_REGISTER_OP(pixel_shuffle)
    .describe(
        "[*, C*r*r, H, W] -> [*, C, H*r, W*r]: out[.., c, h*r+i, w*r+j] = "
        "x[.., c*r*r + i*r + j, h, w] (torch pixel_shuffle)")
    .inputs({"x"})
    .required_attr("upscale_factor", hlir::AttrKind::kInt, "r")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      int64_t r = attr<int64_t>(a, "upscale_factor"), k = rank(x);
      const Shape& s = x->shape();
      if (k < 3 || r < 1 || s[k - 3] % (r * r) != 0) {
        RULE_THROW("pixel_shuffle", ShapeError)
            << "x must be [*, C*r*r, H, W] with r = " << r << ", got " << x->type.to_string();
      }
      Shape lead(s.begin(), s.end() - 3), split = lead, out = lead;
      int64_t c = s[k - 3] / (r * r), h = s[k - 2], w = s[k - 1];
      split.insert(split.end(), {c, r, r, h, w});
      out.insert(out.end(), {c, h * r, w * r});
      Ints perm;
      for (int64_t d = 0; d < k - 3; ++d) perm.push_back(d);
      int64_t l = k - 3;
      perm.insert(perm.end(), {l, l + 3, l + 1, l + 4, l + 2});
      return Values{b.reshape(b.transpose(b.reshape(x, split), perm), out)};
    }));

// pixel_unshuffle(x, r): the inverse, [*, C, H r, W r] -> [*, C r^2, H, W]
CINN_REGISTER_OP(pixel_unshuffle)
    .describe("[*, C, H*r, W*r] -> [*, C*r*r, H, W], the inverse of pixel_shuffle")
    .inputs({"x"})
    .required_attr("downscale_factor", hlir::AttrKind::kInt, "r")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      int64_t r = attr<int64_t>(a, "downscale_factor"), k = rank(x);
      const Shape& s = x->shape();
      if (k < 3 || r < 1 || s[k - 2] % r != 0 || s[k - 1] % r != 0) {
        RULE_THROW("pixel_unshuffle", ShapeError)
            << "x must be [*, C, H*r, W*r] with r = " << r << ", got " << x->type.to_string();
      }
      Shape lead(s.begin(), s.end() - 3), split = lead, out = lead;
      int64_t c = s[k - 3], h = s[k - 2] / r, w = s[k - 1] / r;
      split.insert(split.end(), {c, h, r, w, r});
      out.insert(out.end(), {c * r * r, h, w});
      Ints perm;
      for (int64_t d = 0; d < k - 3; ++d) perm.push_back(d);
      int64_t l = k - 3;
      perm.insert(perm.end(), {l, l + 2, l + 4, l + 1, l + 3});
      return Values{b.reshape(b.transpose(b.reshape(x, split), perm), out)};
    }));

// upsample_nearest2d(x, [sh, sw]): [N, C, H, W] -> reshape [N, C, H, 1, W, 1] ->
// broadcast [N, C, H, sh, W, sw] -> reshape [N, C, H sh, W sw]
CINN_REGISTER_OP(upsample_nearest2d)
    .describe(
        "nearest-neighbour upsampling of NCHW x by integer factors: out[n, c, i, j] = "
        "x[n, c, i / sh, j / sw]")
    .inputs({"x"})
    .required_attr("scale_factor", hlir::AttrKind::kInts, "s or [sh, sw], integers >= 1")
    .decompose(net_rule([](NetBuilder& b, const Values& in, const AttrMap& a) {
      Value* x = in[0];
      Ints f = pair_of("upsample_nearest2d", "scale_factor", attr<Ints>(a, "scale_factor"));
      if (rank(x) != 4 || f[0] < 1 || f[1] < 1) {
        RULE_THROW("upsample_nearest2d", ShapeError)
            << "x must be NCHW and the factors >= 1; got x " << x->type.to_string()
            << ", scale_factor " << hlir::attr_to_string(hlir::Attr(f));
      }
      const Shape& s = x->shape();
      Value* wide = b.broadcast_to(b.reshape(x, {s[0], s[1], s[2], 1, s[3], 1}),
                                   {s[0], s[1], s[2], f[0], s[3], f[1]});
      return Values{b.reshape(wide, {s[0], s[1], s[2] * f[0], s[3] * f[1]})};
    }));

}  // namespace
}  // namespace cinn::frontend::composite
