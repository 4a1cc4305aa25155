// Importing MLIR: a function of TOSA ops (with func, arith and tensor helpers) becomes a
// frontend::Program, the way cinn.onnx turns an ONNX graph into one.
//
//   Program p = frontend::mlir::import_tosa(text, "model.mlir", /*entry=*/"main");
//
// The text is parsed and verified with MLIR's C++ API; the entry function's arguments become
// the program's inputs ("arg0", "arg1", ... in order: MLIR keeps no SSA names), its returned
// values the outputs, and every op is mapped onto NetBuilder ops by a table of converters
// (tosa_ops.cc). TOSA's NHWC convolutions and poolings become CINN's NCHW ones between
// transposes; `tosa.const` tensors become `constant` literals. MLIR headers stay out of this
// header: only the importer's own files include them.
#pragma once

#include <string>
#include <vector>

#include "cinn/frontend/net_builder.h"

namespace cinn::frontend::mlir {

// Parses `text` (`source_name` appears in error locations) and imports function `entry`:
// the only function when `entry` is empty, else the one of that name. Errors are cinn
// errors naming the op and its location: a parse or verifier failure (Error, with MLIR's
// diagnostics), an op with no mapping or an unsupported variant of one
// (UnsupportedOpError), a dynamic or unranked shape (ShapeError), an element type CINN has
// no dtype for (DTypeError).
Program import_tosa(const std::string& text, const std::string& source_name = "<string>",
                    const std::string& entry = "");

// The MLIR operations the importer maps (e.g. "tosa.conv2d"), sorted.
std::vector<std::string> supported_ops();

}  // namespace cinn::frontend::mlir
