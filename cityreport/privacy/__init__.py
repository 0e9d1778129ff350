"""Anonymisation before publication: personal data in residents' text and in photos.

The rules here are pure and need no application context, so pages, feeds, the API, Open311, the
open-data export and the worker all call the same code (docs/privacy.md).
"""
