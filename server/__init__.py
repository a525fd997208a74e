"""lossboard: the PyTorch two-layer-network tutorial as live training jobs."""

__version__ = "0.1.0"
