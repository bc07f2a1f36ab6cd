"""Documents officials pass around: the weekly 督查专报, the monthly meeting pack, and charts.

``figures`` gathers what the documents say from the ledger modules (the same functions as the
API: ``project_stats``, the RAG rules, problems, visits); ``charts`` draws server-side SVG;
``render`` fills the Jinja2 templates; ``pdf`` and ``docx`` write the files. No HTTP here.
"""
