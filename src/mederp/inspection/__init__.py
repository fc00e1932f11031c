"""Incoming and in-process inspection.

For now this package holds only :mod:`mederp.inspection.sampling`, a pure module (no Django
needed to import it) that looks up ISO 2859-1 / GB/T 2828.1 single sampling plans. The Django
app with inspection plans, results and dispositions comes later.
"""
