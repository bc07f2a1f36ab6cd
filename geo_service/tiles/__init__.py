"""Vector tiles at scale: the SQL over the stored summary and tile geometry (``queries``), the
per-process cache (``cache``), the store shared by every worker in the database (``store``), the
key and HTTP answer both paths share (``http``), the fast path of a built tile (``fastpath``)
and the warm-up at start (``warm``)."""
