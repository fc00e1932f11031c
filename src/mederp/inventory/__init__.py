"""Locations, lots and serial numbers, and the stock ledger every quantity is derived from."""
