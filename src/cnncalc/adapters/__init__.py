"""Framework adapters: turn a model of another framework into cnncalc's rows and totals.

Each adapter imports its framework lazily, so ``import cnncalc`` never needs PyTorch.
"""
