"""Compatibility patches that let Chainer 7.8.1 import on newer Python/NumPy.

Filled in by the Python 3.12/3.13 work; empty on Python 3.11 + NumPy 1.26.
"""
