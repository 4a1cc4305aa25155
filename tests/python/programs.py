"""Small DSL programs shared by the schedule tests (conftest.py puts this directory on
sys.path, so test files in subdirectories import it too)."""

from cinn import lang


def elementwise(M=32, N=48):
    """B = A * 2; returns (A, B, lowered function)."""
    A = lang.placeholder((M, N), "float32", "A")
    B = lang.compute((M, N), lambda i, j: A[i, j] * 2.0, "B")
    return A, B, lang.lower("ew", [A, B])


def matmul(M=32, N=64, K=24):
    """C = A @ B, lowered."""
    A = lang.placeholder((M, K), "float32", "A")
    B = lang.placeholder((K, N), "float32", "B")
    k = lang.reduce_axis(K, "k")
    C = lang.compute((M, N), lambda i, j: lang.sum(A[i, k] * B[k, j], axis=k), "C")
    return lang.lower("mm", [A, B, C])
