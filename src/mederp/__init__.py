"""mederp: an ERP for medical-device manufacturers with security and compliance by design."""

__version__ = "0.1.0"
