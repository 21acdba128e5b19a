"""DuckDB warehouse: migrations, writes, views."""
