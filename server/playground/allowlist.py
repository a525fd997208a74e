"""What a playground snippet may name: modules, their functions, and methods per value type.

Everything not listed here is refused. File, process and code functions (torch.load, save,
from_file, hub, ops, utils, compile, jit; np.load, save, fromfile, memmap, ctypeslib; the
tensor methods apply_, map_, register_hook, storage, data_ptr, set_, ...) are absent on purpose.
"""

from __future__ import annotations

# The modules a snippet may import, and the name each binds by default.
IMPORTABLE = frozenset({"torch", "numpy", "torch.nn"})

DTYPES = frozenset(
    {
        "float", "double", "half", "bfloat16", "float16", "float32", "float64",
        "int", "long", "short", "int8", "int16", "int32", "int64", "uint8", "bool",
        "complex64", "complex128", "cfloat", "cdouble",
    }
)  # fmt: skip

TORCH = DTYPES | frozenset(
    {
        # Creation.
        "tensor", "as_tensor", "from_numpy", "empty", "zeros", "ones", "full", "rand",
        "randn", "randint", "randperm", "arange", "linspace", "logspace", "eye",
        "empty_like", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
        "randint_like",
        # Arithmetic and maths.
        "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
        "floor_divide", "remainder", "fmod", "pow", "neg", "abs", "exp", "log", "log2",
        "log10", "log1p", "expm1", "sqrt", "rsqrt", "square", "sin", "cos", "tan", "tanh",
        "sigmoid", "relu", "sign", "floor", "ceil", "round", "trunc", "frac", "clamp",
        "clip", "maximum", "minimum", "lerp",
        # Reductions and comparisons.
        "max", "min", "argmax", "argmin", "sum", "mean", "median", "std", "var", "prod",
        "cumsum", "cumprod", "norm", "dist", "allclose", "equal", "eq", "ne", "lt", "le",
        "gt", "ge", "isclose", "isnan", "isinf", "isfinite", "all", "any", "sort",
        "argsort", "topk", "softmax", "log_softmax", "count_nonzero", "unique", "nonzero",
        # Linear algebra.
        "dot", "mm", "matmul", "mv", "bmm", "outer", "t", "trace", "diag", "tril", "triu",
        # Shapes.
        "transpose", "permute", "reshape", "flatten", "squeeze", "unsqueeze", "cat",
        "concat", "stack", "hstack", "vstack", "split", "chunk", "unbind", "where", "flip",
        "roll", "broadcast_to", "broadcast_tensors", "broadcast_shapes", "masked_select",
        "index_select", "gather", "clone", "detach",
        # Types, devices, autograd switches.
        "numel", "is_tensor", "is_floating_point", "manual_seed", "get_default_dtype",
        "set_default_dtype", "device", "Size", "no_grad", "enable_grad", "set_grad_enabled",
        "is_grad_enabled", "inference_mode",
        # Constants and submodules.
        "pi", "e", "inf", "nan", "cuda", "nn",
    }
)  # fmt: skip

TORCH_CUDA = frozenset({"is_available", "device_count"})

TORCH_NN = frozenset({"Linear", "ReLU", "Sigmoid", "Tanh", "Sequential", "MSELoss"})

NUMPY_DTYPES = frozenset(
    {
        "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
        "bool_", "complex64", "complex128",
    }
)  # fmt: skip

NUMPY = NUMPY_DTYPES | frozenset(
    {
        "array", "asarray", "ones", "zeros", "empty", "full", "ones_like", "zeros_like",
        "empty_like", "full_like", "arange", "linspace", "eye", "identity", "add",
        "subtract", "multiply", "divide", "true_divide", "floor_divide", "power", "mod",
        "negative", "abs", "absolute", "exp", "log", "log2", "log10", "sqrt", "square",
        "sin", "cos", "tan", "tanh", "sign", "maximum", "minimum", "max", "min", "amax",
        "amin", "argmax", "argmin", "sum", "mean", "median", "std", "var", "prod", "cumsum",
        "dot", "matmul", "outer", "transpose", "reshape", "ravel", "concatenate", "stack",
        "hstack", "vstack", "split", "where", "clip", "allclose", "array_equal", "isclose",
        "isnan", "all", "any", "sort", "argsort", "round", "floor", "ceil", "shape", "ndim",
        "size", "tile", "repeat", "broadcast_to", "newaxis", "pi", "e", "inf", "nan",
        "random",
    }
)  # fmt: skip

NUMPY_RANDOM = frozenset({"rand", "randn", "random", "randint", "seed", "normal", "uniform"})

# Attribute names per dotted module name; a submodule listed here is reachable from its parent.
MODULES = {
    "torch": TORCH,
    "torch.cuda": TORCH_CUDA,
    "torch.nn": TORCH_NN,
    "numpy": NUMPY,
    "numpy.random": NUMPY_RANDOM,
}

_ELEMENTWISE = frozenset(
    {
        "add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "clamp",
        "fill_", "zero_", "copy_", "add_", "sub_", "mul_", "div_", "pow_", "neg_", "abs_",
        "exp_", "log_", "sqrt_", "clamp_", "square", "sin", "cos", "tanh", "sigmoid", "relu",
        "floor", "ceil", "round", "sign", "fmod", "remainder", "clamp_min", "clamp_max",
        "lerp",
    }
)  # fmt: skip

_REDUCTIONS = frozenset(
    {
        "sum", "mean", "std", "var", "max", "min", "argmax", "argmin", "prod", "cumsum",
        "norm", "all", "any", "sort", "argsort", "topk", "median", "nonzero", "unique",
    }
)  # fmt: skip

TENSOR = (
    _ELEMENTWISE
    | _REDUCTIONS
    | frozenset(
        {
            # Attributes.
            "shape", "dtype", "device", "grad", "requires_grad", "is_leaf", "grad_fn",
            "data", "T", "mT", "ndim", "is_cuda", "real", "imag",
            # Introspection.
            "size", "dim", "numel", "nelement", "element_size", "stride", "storage_offset",
            "is_contiguous", "is_floating_point", "item", "tolist", "numpy",
            # Shapes and views.
            "view", "view_as", "reshape", "reshape_as", "transpose", "t", "t_", "permute",
            "contiguous", "clone", "squeeze", "squeeze_", "unsqueeze", "unsqueeze_",
            "flatten", "expand", "expand_as", "repeat", "chunk", "split", "unbind",
            "narrow", "index_select", "gather", "masked_fill", "masked_fill_",
            "masked_select", "flip", "roll", "tril", "triu", "diag", "trace", "where",
            # Autograd.
            "detach", "detach_", "requires_grad_", "backward", "retain_grad",
            # Linear algebra and comparisons.
            "matmul", "mm", "mv", "dot", "bmm", "outer", "eq", "ne", "lt", "le", "gt",
            "ge", "equal", "allclose", "isnan", "softmax", "log_softmax",
            # New tensors, conversions, devices.
            "new_ones", "new_zeros", "new_empty", "new_full", "new_tensor", "to", "cpu",
            "cuda", "long", "int", "float", "double", "half", "bool", "short", "byte",
            "type_as", "uniform_", "normal_",
        }
    )
)  # fmt: skip

NDARRAY = frozenset(
    {
        "shape", "dtype", "ndim", "size", "T", "strides", "itemsize", "nbytes", "real",
        "imag", "astype", "copy", "reshape", "view", "transpose", "flatten", "ravel",
        "squeeze", "fill", "sum", "mean", "std", "var", "max", "min", "argmax", "argmin",
        "prod", "cumsum", "dot", "clip", "round", "all", "any", "item", "tolist", "sort",
        "argsort", "repeat", "swapaxes", "nonzero",
    }
)  # fmt: skip

NUMPY_SCALAR = frozenset({"item", "dtype", "shape", "ndim", "real", "imag", "tolist"})
NUMPY_DTYPE = frozenset({"name", "itemsize", "kind"})
TORCH_DTYPE = frozenset({"is_floating_point", "is_complex", "is_signed", "itemsize"})
TORCH_SIZE = frozenset({"numel", "index", "count"})
TORCH_DEVICE = frozenset({"type", "index"})
RETURN_TYPES = frozenset({"values", "indices"})
NN_MODULE = frozenset({"weight", "bias", "in_features", "out_features", "zero_grad", "parameters"})

STR = frozenset({"upper", "lower", "strip", "split", "replace", "startswith", "endswith"})
LIST = frozenset({"append", "pop", "index", "count", "copy", "reverse", "insert"})
DICT = frozenset({"keys", "values", "items", "get", "copy"})
TUPLE = frozenset({"index", "count"})
NUMBER = frozenset({"real", "imag", "is_integer", "bit_length", "conjugate"})

# Attributes a snippet may assign: `x.requires_grad = True`, `w.grad = None`.
SETTABLE = frozenset({"requires_grad", "grad"})

BUILTINS = frozenset(
    {
        "print", "len", "range", "int", "float", "bool", "str", "abs", "min", "max", "sum",
        "round", "list", "tuple", "dict",
    }
)  # fmt: skip

# Names refused with a pointed message even though they would only be undefined.
FORBIDDEN_NAMES = frozenset(
    {
        "getattr", "setattr", "delattr", "hasattr", "eval", "exec", "open", "compile",
        "type", "vars", "dir", "globals", "locals", "breakpoint", "input", "help", "id",
        "object", "super", "memoryview", "classmethod", "staticmethod", "property",
        "exit", "quit",
    }
)  # fmt: skip

ALL_ATTRIBUTES = frozenset().union(
    *MODULES.values(),
    TENSOR,
    NDARRAY,
    NUMPY_SCALAR,
    NUMPY_DTYPE,
    TORCH_DTYPE,
    TORCH_SIZE,
    TORCH_DEVICE,
    RETURN_TYPES,
    NN_MODULE,
    STR,
    LIST,
    DICT,
    TUPLE,
    NUMBER,
)
