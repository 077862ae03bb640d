#!/usr/bin/env python
"""Django's manage.py; `tanfang` is the same command once installed."""

from tanfang.__main__ import main

if __name__ == "__main__":
    main()
