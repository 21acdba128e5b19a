"""Korean NLP: tokeniser, sentiment, policy area, topics, keywords (pure; no I/O but model files)."""
