"""A model of the whole system for the model-based test (tests/e2e/test_model.py).

``oracle`` (with ``fold``) computes, from the public event feed alone, what reporting,
notifications and ``GET /agreements/{id}`` should say; ``inputs`` and ``expect`` model
what the agreements service accepts and answers; ``strategies`` draws the commands;
``checks`` and ``published`` compare the running system with the oracle. Nothing here
imports the services: the model is written from docs/domain.md, independently.
"""
