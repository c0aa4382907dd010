"""A synthetic marketplace with a hidden truth (``truth``) run through the real services
(``run``). Nothing outside this package imports it: the ranker sees only what the services
record (tests/test_marketplace.py checks the imports)."""
