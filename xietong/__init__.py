"""Xietong (协同): cross-department collaboration regulations as running software."""
