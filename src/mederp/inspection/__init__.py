"""Incoming inspection: plans per item, ISO 2859-1 sampling, results, dispositions.

:mod:`mederp.inspection.sampling` is a pure module (no Django needed to import it) that looks
up ISO 2859-1 / GB/T 2828.1 single sampling plans.
"""
