#!/usr/bin/env python
from lifeline.cli import main

if __name__ == "__main__":
    main()
