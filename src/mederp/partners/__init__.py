"""Suppliers (qualification, approved supplier list, certificates, scorecards) and customers
(hospitals, distributors and their licences)."""
