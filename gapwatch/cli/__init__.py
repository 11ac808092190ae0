"""The ``gapwatch`` command line: thin commands that parse input, call one service and format the result."""
