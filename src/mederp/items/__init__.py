"""Items (materials, components, finished devices) and their identifiers.

For now this package holds only :mod:`mederp.items.gs1`, a pure module (no Django needed to
import it) that validates GTINs and parses GS1 barcode scans. The Django app with the item master
comes later.
"""
