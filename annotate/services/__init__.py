"""Writes: plain typed functions that the UI, the REST API and the commands all call."""
