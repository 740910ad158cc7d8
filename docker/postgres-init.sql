-- Databases of the weir stack: pipelines and tests use weir, the schema registry weir_registry.
CREATE DATABASE weir;
CREATE DATABASE weir_registry;
