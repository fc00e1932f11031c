"""Items (materials, components, finished devices): the item master, units of measure and UDI.

:mod:`mederp.items.gs1` is a pure module (no Django needed to import it) that validates GTINs
and parses GS1 barcode scans.
"""
