"""The hidden suites: what grades a submission against the reference, one file per assignment.

They never leave the instructor's tree (``course release`` leaves them out, and
its leak check refuses any of their lines), and their failure messages never
quote their own code or the reference's values: see ``support.py``.
"""
