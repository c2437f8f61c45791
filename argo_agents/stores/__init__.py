"""Persistence: four small ports (`ports`) and one adapter module per store.

Adapters: `redis_cache.RedisCache`, `graph.Neo4jGraph`, `warehouse.BigQueryWarehouse`,
`vector.ChromaVectors`; `factory.open_stores` builds them. Nothing outside this
package imports a database client.
"""
