"""The public suites: what students run to check their work, one file per assignment.

A package, so that these modules do not clash with the reference suites' files
of the same names.
"""
