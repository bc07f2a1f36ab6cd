"""Vector tiles at scale: the SQL over the stored summary and tile geometry, and the tile cache."""
