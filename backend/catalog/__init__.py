"""The item catalog (事项目录): tables, store, file format, service, API and admin console.

Importing this package loads nothing heavy: Flask is imported only by
:mod:`backend.catalog.api` and :mod:`backend.catalog.admin`.
"""
