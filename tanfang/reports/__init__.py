"""Reports: read-only views over the other apps — the home dashboard now, figures later."""
