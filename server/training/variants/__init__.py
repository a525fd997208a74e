"""The tutorial's training loops, one module per network and edition; importing this package
imports every one of them, and each registers its variants as it loads.

To add a loop module, add it to LOOP_MODULES: this is the one list of them.
"""

from __future__ import annotations

import importlib

LOOP_MODULES = (
    "two_layer",  # the Chinese notebook's six loops on the two-layer network
    "two_layer_english",  # the English edition's two more sections on the same network
    "polynomial",  # the current edition's fits to sin(x) by hand and with autograd
    "polynomial_nn",  # the same fits with torch.nn
)

for _name in LOOP_MODULES:
    importlib.import_module(f"{__name__}.{_name}")
