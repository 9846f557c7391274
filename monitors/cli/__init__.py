"""The command line: `python -m monitors <command>` parses, calls one function, prints and maps
errors to exit codes.

May use every layer below it.
"""
