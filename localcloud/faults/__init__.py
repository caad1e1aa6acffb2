"""Faults for chaos runs: what to inject (plan), and the injector that turns it on in the embedded cloud.

Off unless a caller asks for it; nothing here is imported by the functions themselves.
"""
