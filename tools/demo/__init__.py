"""The demo district's generator: regenerates the files in ``data/demo/`` that ``geo-service demo
load`` reads (``python -m tools.demo.generate --out data/demo``, or ``make demo-data``)."""
