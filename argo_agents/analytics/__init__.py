"""Analytics: what ARGO reads back from its record.

The warehouse's named BigQuery queries and predictions (:mod:`.queries`) and
the graph's named Cypher reads (:mod:`.graph_queries`).
"""
