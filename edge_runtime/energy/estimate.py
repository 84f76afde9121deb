"""An energy *lower bound* from multiply-accumulates and bytes moved (the headline estimate is
:mod:`edge_runtime.energy.core_power`: CPU time x the board's power per core).

Constants are Horowitz's per-operation energies at 45 nm, 0.9 V (M. Horowitz, "Computing's
energy problem (and what we can do about it)", ISSCC 2014, pp. 10-14). A MAC costs one multiply
plus one add at the arithmetic's width (int8 products accumulate in 32-bit integers); every byte
moved costs one access of the chosen memory per 64 bits. Newer processes are cheaper and real
CPUs add instruction, control, cache and leakage overheads the model ignores (and it does not see
preprocessing), so on a CPU it is two to three orders of magnitude below what a core spends: it
is labelled "lower bound", never shown as the estimate.
"""

from __future__ import annotations

from edge_runtime.errors import ConfigError

SOURCE = 'Horowitz, "Computing\'s energy problem", ISSCC 2014 (45 nm, 0.9 V)'

#: picojoules per operation, Horowitz ISSCC 2014
OPERATION_PJ: dict[str, float] = {
    "int8_add": 0.03, "int32_add": 0.1, "int8_mult": 0.2, "int32_mult": 3.1,
    "fp16_add": 0.4, "fp32_add": 0.9, "fp16_mult": 1.1, "fp32_mult": 3.7,
}

#: picojoules per 64-bit access, Horowitz ISSCC 2014 (DRAM: the low end of 1.3-2.6 nJ)
MEMORY_PJ_PER_64BIT: dict[str, float] = {"sram_8kb": 10.0, "sram_32kb": 20.0, "sram_1mb": 100.0, "dram": 1300.0}

#: precision (as in the bundle manifest) -> (multiply, add) the arithmetic really performs
MAC_OPERATIONS: dict[str, tuple[str, str]] = {
    "fp32": ("fp32_mult", "fp32_add"),
    "fp16": ("fp32_mult", "fp32_add"),             # CPU kernels dequantize fp16 weights to fp32
    "qdq-activations": ("fp32_mult", "fp32_add"),  # float weights: float arithmetic
    "int8": ("int8_mult", "int32_add"),
    "dynamic": ("int8_mult", "int32_add"),         # int8 weights, activations quantized on the fly
    "int16x8": ("int32_mult", "int32_add"),        # no 16-bit figure in the source: 32-bit upper bound
}


def estimate(macs: int, bytes_moved: int, precision: str, memory: str = "sram_1mb") -> dict:
    """Arithmetic energy of one inference in microjoules (a lower bound), with its constants, method and source.

    ``bytes_moved`` counts weights and activations read or written per inference; ``memory`` is
    the level they come from (default: a 1 MB SRAM, the L2 cache class holding a small model).
    """
    if precision not in MAC_OPERATIONS:
        raise ConfigError(f"Expected a precision in {sorted(MAC_OPERATIONS)}. Received: precision={precision!r}")
    if memory not in MEMORY_PJ_PER_64BIT:
        raise ConfigError(f"Expected a memory in {sorted(MEMORY_PJ_PER_64BIT)}. Received: memory={memory!r}")
    for name, value in (("macs", macs), ("bytes_moved", bytes_moved)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"Expected a count >= 0. Received: {name}={value!r}")
    mult, add = MAC_OPERATIONS[precision]
    mac_pj = OPERATION_PJ[mult] + OPERATION_PJ[add]
    access_pj = MEMORY_PJ_PER_64BIT[memory]
    compute_uj = macs * mac_pj / 1e6
    memory_uj = bytes_moved / 8 * access_pj / 1e6
    return {
        "energy_uj_per_inference": compute_uj + memory_uj,
        "compute_uj": compute_uj,
        "memory_uj": memory_uj,
        "label": "lower bound",
        "precision": precision,
        "macs": macs,
        "bytes_moved": bytes_moved,
        "memory": memory,
        "constants_pj": {mult: OPERATION_PJ[mult], add: OPERATION_PJ[add], f"{memory}_per_64bit": access_pj},
        "method": (f"MACs x ({mult} + {add}) = {mac_pj:g} pJ each, plus bytes moved / 8 x {access_pj:g} pJ "
                   f"per 64-bit {memory} access; 45 nm figures, ignores instruction, control and leakage energy"),
        "source": SOURCE,
    }
