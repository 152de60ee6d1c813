"""Lifeline: keeps a hospital running when its information systems fail."""
