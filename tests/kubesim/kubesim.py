#!/usr/bin/env python3
"""Entry point: python3 tests/kubesim/kubesim.py --dir DIR [--http] [--port N] [--history N]
[--nodes FILE] [--eks-nodes] [--valkey-nodes N] [--bookmark-interval S] [--owner-pid PID]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kubesim.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
