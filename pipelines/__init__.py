"""Workstation side: datasets, training, evaluation, sweeps, robustness, the demo and the CLI.

Importing this package must stay light (no TensorFlow): the ``edgenn`` CLI lives here and also
serves edge-only installs.
"""
