"""Warehouse analytics: the named BigQuery queries of the source design and predictions."""
