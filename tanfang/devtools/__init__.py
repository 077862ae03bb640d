"""Developer tools: demo data and the demo runner. Not installed in production."""
