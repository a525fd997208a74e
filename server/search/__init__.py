"""Sweeps that search and stop early: Optuna's studies, samplers and pruners behind a sweep.

lossboard's points are Optuna's trials: the sampler proposes, the run manager trains, and each
point's score is told back. Imports the engine (training/), never the web.
"""
